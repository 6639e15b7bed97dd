// Public surface of state: stored state over the zone files, and the commits that changes make. Pure.
export type { Commit, JournalEntry, MemberRow, OverrideRow, RRsetRow, StoredState } from './rows.ts';
export { healthView, liveFromStored, type LiveState, materialize, materializeZone, type MemberState, planChanges, reconcile, updateView } from './live.ts';
