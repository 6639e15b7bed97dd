// Public surface of resolve: the pure decision of what a query gets.
import { type GeoDatabase, NO_FACTS as NO_GEO_FACTS } from '../geo/index.ts';
import type { DynamicRecord, ZoneSet } from '../zone/index.ts';
import type { Answer, Query } from './answer.ts';
import { type ClientAddress, decideDynamic, type DynamicDecision, type HealthView } from './dynamic.ts';
import { lookup } from './lookup.ts';
import type { Chooser } from './pick.ts';

export type { Answer, Query } from './answer.ts';
export type { ClientAddress, DynamicDecision, DynamicTrace, HealthView, MemberTrace, Outcome } from './dynamic.ts';
export { describePools } from './dynamic.ts';
export { findZone } from './lookup.ts';
export { describeFacts, type ExplainInput, formatExplanation } from './explain.ts';
export { type Candidate, type Chooser, pickRendezvous, pickRoundRobin, pickWeighted } from './pick.ts';

/** The data every decision reads; one snapshot per query, never changed in place. */
export interface Snapshot {
  readonly zones: ZoneSet;
  readonly geo: GeoDatabase | undefined;
  readonly health: HealthView;
  /**
   * Encoded replies to static answers, filled as queries arrive: derived from this snapshot only, so a new snapshot
   * starts empty (no invalidation to get wrong). Absent: no caching.
   */
  readonly replies?: Map<string, CachedReply>;
}

export interface CachedReply {
  readonly bytes: Buffer;
  readonly rcode: number;
  readonly zone: string | undefined;
}

/** Every member counts as never checked: until health checks run, members are up unless their status says otherwise. */
export const NO_HEALTH: HealthView = { check: () => undefined, inService: () => true, memberOverride: () => undefined, poolOverride: () => undefined };

/** Decides the answer to one query: no I/O, no clock, and randomness only from `chooser`. */
export function resolve(query: Query, client: ClientAddress, snapshot: Snapshot, chooser: Chooser): Answer {
  const facts = snapshot.geo ? snapshot.geo.lookup : () => NO_GEO_FACTS;
  return lookup(snapshot.zones, query, (rrset) => decideDynamic(rrset.dynamic!, client, facts, snapshot.health, chooser));
}

/** The redirect tier's decision for a dynamic record: the same rules, pools and health, without redirect answers. */
export function decideForHttp(record: DynamicRecord, client: ClientAddress, snapshot: Snapshot, chooser: Chooser): DynamicDecision {
  const facts = snapshot.geo ? snapshot.geo.lookup : () => NO_GEO_FACTS;
  return decideDynamic(record, client, facts, snapshot.health, chooser, 'http');
}
