// The dynamic decision (SPEC §4 steps 5-8): rule → pool → fallback chain → default values →
// redirect → fail open.
import { maskAddress, type RR } from '../core/index.ts';
import { type ClientFacts, NO_FACTS } from '../geo/index.ts';
import type { DynamicRecord, MemberStatus, PickMethod, Pool, PoolMember } from '../zone/index.ts';
import {
  type Candidate,
  type Chooser,
  pickRendezvous,
  pickRoundRobin,
  pickWeighted,
} from './pick.ts';
import { matchRule } from './rules.ts';

export interface ClientAddress {
  /** What decisions use: the ECS address (bits past its prefix zero) or the packet's source; undefined if unknown. */
  readonly address: Uint8Array | undefined;
  /** The ECS source prefix, or the full length for a source address. */
  readonly prefix: number;
}

export interface HealthView {
  // Function properties: a caller may hand one on alone (`healthTargets(zones, view.check)`).
  /** The latest health-check verdict for a member address of a record; undefined until its first check completes. */
  readonly check: (record: DynamicRecord, address: string) => boolean | undefined;
  /** False when a dynamic update deleted the address from the record (until one adds it back). */
  readonly inService: (record: DynamicRecord, address: string) => boolean;
  /** An operator's override of a member's status (API), in place of the configured one. */
  readonly memberOverride: (record: DynamicRecord, address: string) => MemberStatus | undefined;
  /** An operator's override of a whole pool: down skips it (its fallback takes over), up counts every member up. */
  readonly poolOverride: (record: DynamicRecord, pool: string) => MemberStatus | undefined;
}

export type Outcome = 'pool' | 'fallback' | 'default values' | 'redirect' | 'fail-open' | 'empty';

export interface MemberTrace {
  readonly address: string;
  readonly weight: number;
  readonly status: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly up: boolean;
}

export interface DynamicTrace {
  /** What the answer's records depend on (see `pickKey`). */
  readonly pickKey: string;
  /** The pool that answered, or the outcome when no pool did ('default values', 'redirect', ...): for counters. */
  readonly answeredBy: string;
  readonly facts: ClientFacts | undefined;
  readonly rules: readonly {
    readonly index: number;
    readonly pool: string;
    readonly matched: boolean;
    readonly detail: string;
  }[];
  readonly pools: readonly {
    readonly name: string;
    readonly override: MemberStatus | undefined;
    readonly members: readonly MemberTrace[];
    readonly answered: boolean;
  }[];
  readonly outcome: Outcome;
  /** Answered on a degraded path (with ttl_degraded). */
  readonly degraded: boolean;
  readonly method: PickMethod;
  readonly candidates: readonly Candidate[];
  readonly picked: readonly string[];
  readonly ttl: number;
  readonly scopePrefix: number;
}

export interface DynamicDecision {
  readonly record: DynamicRecord;
  readonly records: readonly RR[]; // empty: NODATA (all_down: empty)
  readonly scopePrefix: number;
  readonly trace: DynamicTrace;
}

const HASH_PREFIX = { 4: 24, 16: 56 } as const; // the client subnet `hash` keeps a client on

/**
 * Everything a decision settles before the pick: which rule matched, which pool answers and with which members, the
 * TTL and the ECS scope. A function of the record, the client and the health view only, so a snapshot may keep one per
 * client and redo just the pick (which is random, round-robin or a hash) for each query.
 */
export interface DynamicPlan {
  readonly record: DynamicRecord;
  readonly outcome: Outcome;
  readonly degraded: boolean;
  /** The pool that answers; 'default' for the default values; undefined for the rest. */
  readonly pool: string | undefined;
  /** The pool that answered, or the outcome when no pool did (see DynamicTrace). */
  readonly answeredBy: string;
  readonly pickAll: boolean;
  readonly members: readonly PoolMember[];
  /** What picks choose from: members with weight, or all of them as equals when every one is drained. */
  readonly candidates: readonly PlannedCandidate[];
  /** Each member's record at the answer's TTL, by address. */
  readonly records: ReadonlyMap<string, RR>;
  readonly ttl: number;
  /** The scope the rules needed; a hash pick can widen it. */
  readonly scopePrefix: number;
  readonly facts: ClientFacts | undefined;
  readonly rules: DynamicTrace['rules'];
  readonly pools: DynamicTrace['pools'];
}

/** A candidate with the pick key of a pick of it alone (see `pickKey`), made once per plan. */
export interface PlannedCandidate extends Candidate {
  readonly key: string;
}

/**
 * Equal keys, equal answers: the members picked (in order), the TTL and the ECS scope. The query path keys encoded
 * replies by it.
 */
export function pickKey(
  plan: DynamicPlan,
  picked: readonly PlannedCandidate[],
  scopePrefix: number,
): string {
  if (picked.length === 1 && scopePrefix === plan.scopePrefix) return picked[0]!.key;
  return keyOf(
    picked.map((c) => c.address),
    plan.ttl,
    scopePrefix,
  );
}

function keyOf(addresses: readonly string[], ttl: number, scopePrefix: number): string {
  return `${addresses.join(',')}|${ttl}|${scopePrefix}`;
}

/** What one plan has gathered so far (module functions, not closures: this runs for every client). */
interface Working {
  readonly record: DynamicRecord;
  readonly client: ClientAddress;
  readonly lookupFacts: (a: Uint8Array) => ClientFacts;
  facts: ClientFacts | undefined;
  scope: number;
  readonly rules: DynamicTrace['rules'][number][];
  readonly pools: DynamicTrace['pools'][number][];
}

function factsOf(w: Working): ClientFacts {
  return (w.facts ??= w.client.address ? w.lookupFacts(w.client.address) : NO_FACTS);
}

function settle(
  w: Working,
  outcome: Outcome,
  degraded: boolean,
  members: readonly PoolMember[],
  pool: string | undefined,
  pickAll = false,
): DynamicPlan {
  const { record } = w;
  const ttl = degraded ? record.ttlDegraded : record.ttl;
  const planned = (address: string, weight: number): PlannedCandidate => ({
    address,
    weight,
    key: keyOf([address], ttl, w.scope),
  });
  // Weight 0 drains: such members are picked only when no member with weight is up, and then as equals.
  const weighted = members.filter((m) => m.weight > 0);
  const drained = !pickAll && weighted.length === 0;
  const candidates = (pickAll || drained ? members : weighted).map((m) =>
    planned(m.address, drained ? 1 : m.weight),
  );
  const records = new Map(
    members.map((m) => [m.address, m.record.ttl === ttl ? m.record : { ...m.record, ttl }]),
  );
  const answeredBy =
    (outcome === 'pool' || outcome === 'fallback') && pool !== undefined ? pool : outcome;
  return {
    record,
    outcome,
    degraded,
    pool,
    answeredBy,
    pickAll,
    members,
    candidates,
    records,
    ttl,
    scopePrefix: w.scope,
    facts: w.facts,
    rules: w.rules,
    pools: w.pools,
  };
}

/** A decision: the plan (see `planDynamic`) and a pick from it. */
export function decideDynamic(
  record: DynamicRecord,
  client: ClientAddress,
  lookupFacts: (a: Uint8Array) => ClientFacts,
  health: HealthView,
  chooser: Chooser,
  purpose: 'dns' | 'http' = 'dns',
): DynamicDecision {
  return pickFromPlan(planDynamic(record, client, lookupFacts, health, purpose), client, chooser);
}

/** The pick for one query from a plan, with the whole trace. */
export function pickFromPlan(
  plan: DynamicPlan,
  client: ClientAddress,
  chooser: Chooser,
): DynamicDecision {
  const pick = pickCandidates(plan, client, chooser);
  return decisionOf(plan, pick.picked, Math.max(plan.scopePrefix, pick.scope));
}

/** The decision (records and trace) for members picked from a plan. */
export function decisionOf(
  plan: DynamicPlan,
  picked: readonly PlannedCandidate[],
  scopePrefix: number,
): DynamicDecision {
  const records = picked.map((c) => plan.records.get(c.address)!);
  const trace: DynamicTrace = {
    pickKey: pickKey(plan, picked, scopePrefix),
    answeredBy: plan.answeredBy,
    facts: plan.facts,
    rules: plan.rules,
    pools: plan.pools,
    outcome: plan.outcome,
    degraded: plan.degraded,
    method: plan.record.method,
    candidates: plan.members.map(candidateOf),
    picked: picked.map((c) => c.address),
    ttl: plan.ttl,
    scopePrefix,
  };
  return { record: plan.record, records, scopePrefix, trace };
}

/** What a record's decision tree says for a client (see tree.ts): the pool its rules lead to, over which block. */
export interface CompiledOutcome {
  /** The pool of the first rule that matches; undefined when none does. */
  readonly pool: string | undefined;
  /** The widest block around the client with that outcome. */
  readonly scope: number;
  /** Evaluate the rules anyway, for the trace (explain): the tree still decides the pool and the scope. */
  readonly traceRules: boolean;
}

/**
 * `purpose: 'http'` is the redirect tier's view: it never answers with the redirect addresses (that would send the
 * client back to the tier) and treats fail-open and empty as nothing healthy. With `compiled`, the tree has matched
 * the rules already.
 */
export function planDynamic(
  record: DynamicRecord,
  client: ClientAddress,
  lookupFacts: (a: Uint8Array) => ClientFacts,
  health: HealthView,
  purpose: 'dns' | 'http' = 'dns',
  compiled?: CompiledOutcome,
): DynamicPlan {
  const w: Working = {
    record,
    client,
    lookupFacts,
    facts: undefined,
    scope: 0,
    rules: [],
    pools: [],
  };
  if (record.redirect?.mode === 'always' && purpose === 'dns')
    return settle(w, 'redirect', false, redirectMembers(record), undefined, true);
  let chain: Pool[] = [];
  const facts = (): ClientFacts => factsOf(w); // one closure per plan, not per rule
  for (const rule of compiled && !compiled.traceRules ? [] : record.rules) {
    const r = matchRule(rule, client.address, facts);
    w.scope = Math.max(w.scope, r.scopePrefix);
    w.rules.push({ index: rule.index, pool: rule.pool, matched: r.matched, detail: r.detail });
    if (r.matched) {
      chain = fallbackChain(record, rule.pool);
      break;
    }
  }
  if (compiled) {
    w.scope = compiled.scope;
    chain = compiled.pool === undefined ? [] : fallbackChain(record, compiled.pool);
  }
  for (const [i, pool] of chain.entries()) {
    const override = health.poolOverride(record, pool.name);
    const members = pool.members.map((m) => memberTrace(record, m, health, override));
    const up = pool.members.filter((_, j) => members[j]!.up);
    w.pools.push({ name: pool.name, override, members, answered: up.length > 0 });
    if (up.length > 0) return settle(w, i === 0 ? 'pool' : 'fallback', i > 0, up, pool.name);
  }
  // Default values answer a client no rule matched (the normal path), or one whose whole chain is down (degraded).
  const defaults = record.defaults.filter((m) => memberTrace(record, m, health).up);
  if (defaults.length > 0)
    return settle(w, 'default values', chain.length > 0, defaults, 'default');
  if (purpose === 'http') return settle(w, 'empty', true, [], undefined, true);
  if (record.redirect) return settle(w, 'redirect', true, redirectMembers(record), undefined, true);
  if (record.allDown === 'empty') return settle(w, 'empty', true, [], undefined, true);
  // Fail open: an answer to a dead server beats no answer. Members marked down by the operator stay out if
  // any others exist.
  const first = chain[0]?.members ?? record.defaults;
  const open = first.filter((m) => m.status !== 'down');
  return settle(w, 'fail-open', true, open.length > 0 ? open : first, undefined, true);
}

/**
 * status: the pool's override if it forces up or down, else the member's override (API), else its configured status.
 *
 * in service  status  check    effective
 * no          *       *        down      deleted by a dynamic update
 * yes         up      *        up        operator forced
 * yes         down    *        down      operator forced
 * yes         obey    up       up
 * yes         obey    down     down
 * yes         obey    unknown  per healthcheck.initial (default up); no health check: up
 */
function memberTrace(
  record: DynamicRecord,
  m: PoolMember,
  health: HealthView,
  poolOverride?: MemberStatus,
): MemberTrace {
  const check = record.healthcheck ? health.check(record, m.address) : undefined;
  const verdict = check === undefined ? 'unknown' : check ? 'up' : 'down';
  const inService = health.inService(record, m.address);
  const status =
    poolOverride !== undefined && poolOverride !== 'obey'
      ? poolOverride
      : (health.memberOverride(record, m.address) ?? m.status);
  const up =
    inService &&
    (status === 'up' || (status === 'obey' && (check ?? record.healthcheck?.initial !== 'down')));
  return {
    address: m.address,
    weight: m.weight,
    status: inService ? status : 'deleted',
    health: verdict,
    up,
  };
}

/** Every pool of a record with its override and each member's effective state (for the API and metrics). */
export function describePools(
  record: DynamicRecord,
  health: HealthView,
): { name: string; override: MemberStatus | undefined; members: MemberTrace[] }[] {
  return [...record.pools.values()].map((pool) => {
    const override = health.poolOverride(record, pool.name);
    return {
      name: pool.name,
      override,
      members: pool.members.map((m) => memberTrace(record, m, health, override)),
    };
  });
}

/** The pool a rule names, then its fallbacks, each once. */
function fallbackChain(record: DynamicRecord, start: string): Pool[] {
  const chain: Pool[] = [];
  for (let name: string | undefined = start; name !== undefined;) {
    const pool = record.pools.get(name);
    if (!pool || chain.includes(pool)) break;
    chain.push(pool);
    name = pool.fallback;
  }
  return chain;
}

function redirectMembers(record: DynamicRecord): PoolMember[] {
  return (record.redirect?.addresses ?? []).map((rr) => ({
    address: rr.data.type === 'A' || rr.data.type === 'AAAA' ? rr.data.address : '',
    weight: 1,
    status: 'up',
    host: undefined,
    record: rr,
  }));
}

const candidateOf = (m: PoolMember): Candidate => ({ address: m.address, weight: m.weight });

/** The members one query gets from a plan (its candidates, see `settle`), and the scope a hash pick adds. */
export function pickCandidates(
  plan: DynamicPlan,
  client: ClientAddress,
  chooser: Chooser,
): { picked: readonly PlannedCandidate[]; scope: number } {
  const { record, candidates } = plan;
  if (plan.pickAll) return { picked: candidates, scope: 0 };
  switch (record.method) {
    case 'all':
      return { picked: candidates, scope: 0 };
    case 'weighted':
      return { picked: pickWeighted(candidates, record.answers, chooser), scope: 0 };
    case 'weighted-rr':
      return {
        picked: pickRoundRobin(
          candidates,
          record.answers,
          chooser.next(`${record.name}/${record.type}/${plan.pool ?? ''}`),
        ),
        scope: 0,
      };
    case 'hash': {
      const address = client.address ?? new Uint8Array(4);
      const prefix = Math.min(client.prefix, HASH_PREFIX[address.length as 4 | 16]);
      return {
        picked: pickRendezvous(candidates, record.answers, maskAddress(address, prefix)),
        scope: client.address ? prefix : 0,
      };
    }
    default: {
      const never: never = record.method;
      throw new Error(`unhandled method ${String(never)}`);
    }
  }
}
