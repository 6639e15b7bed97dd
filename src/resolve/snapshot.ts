// What every decision reads: the zones, the GeoIP data and the health view of one moment, never changed in place.
import type { GeoDatabase } from '../geo/index.ts';
import type { ZoneSet } from '../zone/index.ts';
import type { HealthView } from './dynamic.ts';
import type { PlanCache } from './plans.ts';
import type { DecisionTrees } from './trees.ts';

/** The data every decision reads; one snapshot per query, never changed in place. */
export interface Snapshot {
  readonly zones: ZoneSet;
  readonly geo: GeoDatabase | undefined;
  readonly health: HealthView;
  /**
   * Dynamic plans per record and client (see plans.ts), filled as queries arrive: derived from this snapshot only, so a
   * new snapshot starts empty (no invalidation to get wrong). Absent: no caching.
   */
  readonly plans?: PlanCache;
  /** Dynamic records' rules compiled over `geo` (trees.ts); absent, or a record not compiled: decided per client. */
  readonly trees?: DecisionTrees;
}

/** A snapshot with an empty plan cache, as the server keeps one. */
export function cachingSnapshot(
  data: Pick<Snapshot, 'zones' | 'geo' | 'health'> & { readonly trees?: DecisionTrees | undefined },
): Snapshot {
  return {
    zones: data.zones,
    geo: data.geo,
    health: data.health,
    plans: new Map(),
    ...(data.trees ? { trees: data.trees } : {}),
  };
}

/** Every member counts as never checked: until health checks run, members are up unless their status says otherwise. */
export const NO_HEALTH: HealthView = {
  check: () => undefined,
  inService: () => true,
  memberOverride: () => undefined,
  poolOverride: () => undefined,
};
