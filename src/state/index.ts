// Public surface of state: stored state over the zone files, and the commits that changes make. Pure.
export type {
  Commit,
  JournalEntry,
  MemberRow,
  OverlayRecordRow,
  OverlayRow,
  OverrideRow,
  StoredState,
} from './rows.ts';
export {
  dataJson,
  EMPTY_LIVE,
  healthView,
  liveFromStored,
  type LiveState,
  materialize,
  materializeZone,
  type MemberState,
  type OverlayRRset,
  type Override,
  type RecordOverrides,
  reconcile,
  storedIdentity,
  updateView,
} from './live.ts';
export {
  applyDelta,
  type ChangeMeta,
  type LiveDelta,
  liveFromPlain,
  plainLive,
  type PlainLive,
  planChanges,
  zoneWithDelta,
} from './plan.ts';
