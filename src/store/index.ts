// Public surface of store: persisted serials, overlay, member state, overrides and journal (SQLite).
export { JOURNAL_MAX_ENTRIES, Store } from './store.ts';
