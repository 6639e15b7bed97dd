// Public surface of update: RFC 2136 dynamic updates as pure phases, producing a changeset.
export { type Applied, applyUpdates, prescan } from './apply.ts';
export type { Change, Refusal, UpdateRR, UpdateSource, UpdateZone } from './model.ts';
export { parseUpdate, type ParsedUpdate } from './parse.ts';
export { checkPrerequisites } from './prerequisites.ts';
export { processUpdate, type UpdateEnv, type UpdateKey, type UpdateOutcome } from './process.ts';
export { rdataKey, sameRData } from './rdata.ts';
export { type AddressChange, buildAddressUpdate } from './build.ts';
