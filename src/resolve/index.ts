// Public surface of resolve: the pure decision of what a query gets.
import { type ClientFacts, type GeoDatabase, NO_FACTS as NO_GEO_FACTS } from '../geo/index.ts';
import type { DynamicRecord, ZoneSet } from '../zone/index.ts';
import type { Answer, Query } from './answer.ts';
import {
  type ClientAddress,
  decideDynamic,
  type DynamicDecision,
  type DynamicPlan,
  type HealthView,
  decisionOf,
  pickCandidates,
  pickFromPlan,
  pickKey,
  planDynamic,
  type PlannedCandidate,
} from './dynamic.ts';
import { lookup } from './lookup.ts';
import type { Chooser } from './pick.ts';

export type { Answer, Query } from './answer.ts';
export type {
  ClientAddress,
  DynamicDecision,
  DynamicPlan,
  DynamicTrace,
  HealthView,
  MemberTrace,
  Outcome,
} from './dynamic.ts';
export { describePools } from './dynamic.ts';
export { findZone } from './lookup.ts';
export { describeFacts, type ExplainInput, formatExplanation } from './explain.ts';
export {
  type Candidate,
  type Chooser,
  pickRendezvous,
  pickRoundRobin,
  pickWeighted,
} from './pick.ts';

/** The data every decision reads; one snapshot per query, never changed in place. */
export interface Snapshot {
  readonly zones: ZoneSet;
  readonly geo: GeoDatabase | undefined;
  readonly health: HealthView;
  /**
   * Encoded replies (see CachedReply), filled as queries arrive: derived from this snapshot only, so a new snapshot
   * starts empty (no invalidation to get wrong). Absent: no caching.
   */
  readonly replies?: ReplyCache;
  /** Dynamic plans per record and client (see DynamicPlan), filled and bounded like `replies`. Absent: no caching. */
  readonly plans?: Map<DynamicRecord, RecordPlans>;
}

/** A snapshot with empty reply and plan caches, as the server keeps one. */
export function cachingSnapshot(data: Pick<Snapshot, 'zones' | 'geo' | 'health'>): Snapshot {
  return {
    zones: data.zones,
    geo: data.geo,
    health: data.health,
    replies: new ReplyCache(),
    plans: new Map(),
  };
}

/**
 * Encoded replies by question name and `shape`, in two tiers that each start over when full. Answers (positive, and
 * the picks of dynamic records) may hold MAX_ENTRIES: a large zone's working set. Negative answers (NXDOMAIN, NODATA,
 * REFUSED) hold NEGATIVE_ENTRIES: a flood of random names or types churns that small tier and nothing else, so it
 * neither grows memory nor pushes out the answers (RFC 8198 names the better cure, NSEC, for signed zones).
 */
export class ReplyCache {
  static readonly MAX_ENTRIES = 50_000;
  static readonly NEGATIVE_ENTRIES = 2_048;
  private readonly positive = new ReplyTier(ReplyCache.MAX_ENTRIES);
  private readonly negative = new ReplyTier(ReplyCache.NEGATIVE_ENTRIES);

  /** Replies held, picks of dynamic records included. */
  get size(): number {
    return this.positive.size + this.negative.size;
  }

  get(name: string, shape: number): CachedReply | undefined {
    return this.positive.get(name, shape) ?? this.negative.get(name, shape);
  }

  /** `negative`: an answer with nothing in it (kept in the small tier). */
  set(name: string, entry: CachedReply, negative = false): void {
    (negative ? this.negative : this.positive).set(name, entry);
  }

  /** One pick's reply for a dynamic route (counted against MAX_ENTRIES). */
  setPick(route: CachedReply & { kind: 'dynamic' }, pickKey: string, reply: EncodedReply): void {
    if (route.replies.size >= MAX_REPLIES_PER_ROUTE) {
      this.positive.uncount(route.replies.size);
      route.replies.clear();
    }
    if (!route.replies.has(pickKey)) this.positive.count(1);
    route.replies.set(pickKey, reply);
  }
}

const MAX_REPLIES_PER_ROUTE = 1_024; // orders of several picked members

/** Replies by name, then shape; most names are asked in one shape, kept alone (a Map of shapes for the others). */
class ReplyTier {
  private byName = new Map<string, CachedReply | Map<number, CachedReply>>();
  private entries = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries;
  }

  get(name: string, shape: number): CachedReply | undefined {
    const found = this.byName.get(name);
    if (found === undefined) return undefined;
    if (found instanceof Map) return found.get(shape);
    return found.shape === shape ? found : undefined;
  }

  set(name: string, entry: CachedReply): void {
    if (this.entries >= this.max) {
      this.byName = new Map(); // a new table: clear() would keep the old one's size
      this.entries = 0;
    }
    const found = this.byName.get(name);
    if (found === undefined) {
      this.byName.set(name, entry);
      this.count(1);
    } else if (found instanceof Map) {
      if (!found.has(entry.shape)) this.count(1);
      found.set(entry.shape, entry);
    } else if (found.shape === entry.shape) {
      this.byName.set(name, entry);
    } else {
      this.byName.set(
        name,
        new Map([
          [found.shape, found],
          [entry.shape, entry],
        ]),
      );
      this.count(1);
    }
  }

  count(n: number): void {
    this.entries += n;
  }

  uncount(n: number): void {
    this.entries = Math.max(0, this.entries - n);
  }
}

/** One encoded reply; `zone` answered it; `responseClass`: what rate limiting counts it as (see query/). */
export interface EncodedReply {
  readonly bytes: Buffer;
  readonly rcode: number;
  readonly zone: string | undefined;
  readonly responseClass: number;
}

/**
 * What the reply cache holds for a question: the reply itself (the same for every client), or for a question that
 * leads to a dynamic record, that record and its replies by what was picked. `shape`: everything besides the name
 * that the bytes depend on (type, size limit, EDNS, ECS family and prefix), as one number.
 */
export type CachedReply =
  | ({ readonly kind: 'reply'; readonly shape: number } & EncodedReply)
  | {
      readonly kind: 'dynamic';
      readonly shape: number;
      readonly record: DynamicRecord;
      readonly zone: string;
      readonly owner: string;
      readonly replies: Map<string, EncodedReply>;
    };

/** Every member counts as never checked: until health checks run, members are up unless their status says otherwise. */
export const NO_HEALTH: HealthView = {
  check: () => undefined,
  inService: () => true,
  memberOverride: () => undefined,
  poolOverride: () => undefined,
};

/** Decides the answer to one query: no I/O, no clock, and randomness only from `chooser`. */
export function resolve(
  query: Query,
  client: ClientAddress,
  snapshot: Snapshot,
  chooser: Chooser,
): Answer {
  return lookup(snapshot.zones, query, (rrset) =>
    pickFromPlan(planFor(snapshot, rrset.dynamic!, client), client, chooser),
  );
}

/** A pick from a dynamic record's plan for one client (the query path's shortcut; see `resolveChoice`). */
export interface Choice {
  readonly plan: DynamicPlan;
  readonly picked: readonly PlannedCandidate[];
  readonly scopePrefix: number;
  /** Equal keys, equal records and scope. */
  readonly pickKey: string;
}

export function choose(
  snapshot: Snapshot,
  record: DynamicRecord,
  client: ClientAddress,
  chooser: Chooser,
): Choice {
  const plan = planFor(snapshot, record, client);
  const pick = pickCandidates(plan, client, chooser);
  const scopePrefix = Math.max(plan.scopePrefix, pick.scope);
  return {
    plan,
    picked: pick.picked,
    scopePrefix,
    pickKey: pickKey(plan, pick.picked, scopePrefix),
  };
}

/** `resolve`, with the choice already made for its record: the answer the choice stands for. */
export function resolveChoice(
  query: Query,
  client: ClientAddress,
  snapshot: Snapshot,
  chooser: Chooser,
  choice: Choice,
): Answer {
  return lookup(snapshot.zones, query, (rrset) =>
    rrset.dynamic === choice.plan.record
      ? decisionOf(choice.plan, choice.picked, choice.scopePrefix)
      : pickFromPlan(planFor(snapshot, rrset.dynamic!, client), client, chooser),
  );
}

/**
 * A record's plans: by client, and by what they pick from. Clients with the same pool, health, TTL and scope share one
 * set of candidates and records, so thousands of ECS subnets keep a few of them, not thousands (memory, and the
 * processor's caches on the query path).
 */
interface RecordPlans {
  byClient: Map<number | string, DynamicPlan>;
  readonly shared: Map<string, DynamicPlan>;
}

/** The snapshot's plan for this record and client, made on first use. */
function planFor(snapshot: Snapshot, record: DynamicRecord, client: ClientAddress): DynamicPlan {
  const plans = snapshot.plans;
  if (!plans) return planDynamic(record, client, factsOf(snapshot), snapshot.health);
  let forRecord = plans.get(record);
  if (!forRecord) {
    if (plans.size >= MAX_PLANNED_RECORDS) plans.clear();
    plans.set(record, (forRecord = { byClient: new Map(), shared: new Map() }));
  }
  const key = clientKey(client);
  let plan = forRecord.byClient.get(key);
  if (!plan) {
    if (forRecord.byClient.size >= MAX_PLANS_PER_RECORD) forRecord.byClient = new Map();
    plan = planDynamic(record, client, factsOf(snapshot), snapshot.health);
    const picksFrom = `${plan.pickAll}|${plan.candidates.map((c) => `${c.key}/${c.weight}`).join(';')}`;
    const same = forRecord.shared.get(picksFrom);
    if (same) plan = { ...plan, candidates: same.candidates, records: same.records };
    else if (forRecord.shared.size < MAX_PLANS_PER_RECORD) forRecord.shared.set(picksFrom, plan);
    forRecord.byClient.set(key, plan);
  }
  return plan;
}

function factsOf(snapshot: Snapshot): (address: Uint8Array) => ClientFacts {
  return snapshot.geo ? snapshot.geo.lookup : () => NO_GEO_FACTS;
}

// Clients (ECS subnets, resolvers) are unbounded: past these a record, or the whole cache, starts over. At most
// MAX_PLANNED_RECORDS × MAX_PLANS_PER_RECORD plans (some 200 bytes each) live in one snapshot.
const MAX_PLANS_PER_RECORD = 4_096;
const MAX_PLANNED_RECORDS = 256;

/**
 * A client as a Map key: IPv4 address and prefix as one number, IPv6 as text. An ECS /24 or shorter (what resolvers
 * send) fits a small integer, which V8 hashes without allocating: its address bits past the prefix are zero, so the
 * last byte can go.
 */
function clientKey(client: ClientAddress): number | string {
  const a = client.address;
  if (!a) return -1;
  if (a.length === 4 && client.prefix <= 24)
    return ((a[0]! << 16) | (a[1]! << 8) | a[2]!) * 64 + client.prefix;
  if (a.length === 4)
    return (
      2 ** 38 + (((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0) * 64 + client.prefix
    );
  let text = `${client.prefix}/`;
  for (const byte of a) text += byte.toString(16).padStart(2, '0');
  return text;
}

/** The redirect tier's decision for a dynamic record: the same rules, pools and health, without redirect answers. */
export function decideForHttp(
  record: DynamicRecord,
  client: ClientAddress,
  snapshot: Snapshot,
  chooser: Chooser,
): DynamicDecision {
  return decideDynamic(record, client, factsOf(snapshot), snapshot.health, chooser, 'http');
}
