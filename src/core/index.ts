// Public surface of core: names, DNS vocabulary and diagnostics. Imports nothing of the project.
export * from './names.ts';
export * from './types.ts';
export * from './diagnostics.ts';
export * from './presentation.ts';
export * from './addresses.ts';
export * from './geo-codes.ts';
export { memberKey, parseMemberKey, parseRecordKey, probeKey, recordKey } from './keys.ts';
export { errorMessage, errorStack, fail, ok, type Result } from './result.ts';
export { LayeredMap, PersistentMap } from './persistent-map.ts';
export { NodeStore } from './node-store.ts';
export { coalescing } from './coalesce.ts';
