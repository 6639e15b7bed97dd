// Public surface of resolve: the pure decision of what a query gets.
import type { ZoneSet } from '../zone/index.ts';
import type { Answer, Query } from './answer.ts';
import { lookup } from './lookup.ts';

export type { Answer, Query } from './answer.ts';
export { findZone } from './lookup.ts';

/** The facts about the asker that a decision may use. */
export interface Client {
  readonly address: string | undefined;
}

/** The data every decision reads; one snapshot per query, never changed in place. */
export interface Snapshot {
  readonly zones: ZoneSet;
}

/** Decides the answer to one query: no I/O, no clock, no randomness of its own. */
export function resolve(query: Query, _client: Client, snapshot: Snapshot): Answer {
  return lookup(snapshot.zones, query);
}
