// Public surface of zone: load and check zone files, and the compiled zone model.
export {
  drain,
  loadZones,
  loadZoneSteps,
  parseZoneText,
  type LoadOptions,
  type LoadResult,
  type ZoneFile,
} from './load.ts';
export type { RRset, Zone, ZoneNode, ZoneSet } from './model.ts';
export { recordMembers } from './dynamic-model.ts';
export type {
  DynamicRecord,
  HealthcheckSpec,
  MemberStatus,
  PickMethod,
  Pool,
  PoolMember,
  RedirectSpec,
  Rule,
} from './dynamic-model.ts';
export { durationMs } from './healthcheck.ts';
export { buildZone } from './load.ts';
export { editZone, type RRsetChange } from './edit.ts';
export { nextSerial, serialGreater, soaSerial, zoneRRsets } from './overlay.ts';
