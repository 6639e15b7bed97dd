// The dynamic decision (SPEC §4 steps 5-8): rule → pool → fallback chain → default values → redirect → fail open.
import { maskAddress, type RR } from '../core/index.ts';
import { type ClientFacts, NO_FACTS } from '../geo/index.ts';
import type { DynamicRecord, MemberStatus, PickMethod, Pool, PoolMember } from '../zone/index.ts';
import { type Candidate, type Chooser, pickRendezvous, pickRoundRobin, pickWeighted } from './pick.ts';
import { matchRule } from './rules.ts';

export interface ClientAddress {
  /** What decisions use: the ECS address (bits past its prefix zero) or the packet's source; undefined if unknown. */
  readonly address: Uint8Array | undefined;
  /** The ECS source prefix, or the full length for a source address. */
  readonly prefix: number;
}

export interface HealthView {
  /** The latest health-check verdict for a member address of a record; undefined until its first check completes. */
  check(record: DynamicRecord, address: string): boolean | undefined;
  /** False when a dynamic update deleted the address from the record (until one adds it back). */
  inService(record: DynamicRecord, address: string): boolean;
  /** An operator's override of a member's status (API), in place of the configured one. */
  memberOverride(record: DynamicRecord, address: string): MemberStatus | undefined;
  /** An operator's override of a whole pool: down skips it (its fallback takes over), up counts every member up. */
  poolOverride(record: DynamicRecord, pool: string): MemberStatus | undefined;
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
  readonly facts: ClientFacts | undefined;
  readonly rules: readonly { readonly index: number; readonly pool: string; readonly matched: boolean; readonly detail: string }[];
  readonly pools: readonly { readonly name: string; readonly override: MemberStatus | undefined; readonly members: readonly MemberTrace[]; readonly answered: boolean }[];
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
  readonly records: readonly RR[]; // empty: NODATA (all_down: empty)
  readonly scopePrefix: number;
  readonly trace: DynamicTrace;
}

const HASH_PREFIX = { 4: 24, 16: 56 } as const; // the client subnet `hash` keeps a client on

/** What one decision has gathered so far (module functions, not closures: this runs for every query). */
interface Working {
  readonly record: DynamicRecord;
  readonly client: ClientAddress;
  readonly chooser: Chooser;
  readonly lookupFacts: (a: Uint8Array) => ClientFacts;
  facts: ClientFacts | undefined;
  scope: number;
  readonly rules: DynamicTrace['rules'][number][];
  readonly pools: DynamicTrace['pools'][number][];
}

function factsOf(w: Working): ClientFacts {
  return (w.facts ??= w.client.address ? w.lookupFacts(w.client.address) : NO_FACTS);
}

function finish(w: Working, outcome: Outcome, degraded: boolean, members: readonly PoolMember[], pool: string | undefined, pickAll = false): DynamicDecision {
  const { record } = w;
  const ttl = degraded ? record.ttlDegraded : record.ttl;
  const pick = pickAll ? { picked: members.map(candidateOf), scope: 0 } : pickMembers(record, members, pool, w.client, w.chooser);
  w.scope = Math.max(w.scope, pick.scope);
  const records = pick.picked.map((c) => {
    const rr = members.find((m) => m.address === c.address)!.record;
    return rr.ttl === ttl ? rr : { ...rr, ttl };
  });
  const trace: DynamicTrace = {
    facts: w.facts, rules: w.rules, pools: w.pools, outcome, degraded, method: record.method, candidates: members.map(candidateOf),
    picked: pick.picked.map((c) => c.address), ttl, scopePrefix: w.scope,
  };
  return { records, scopePrefix: w.scope, trace };
}

/**
 * `purpose: 'http'` is the redirect tier's view: it never answers with the redirect addresses (that would send the
 * client back to the tier) and treats fail-open and empty as nothing healthy.
 */
export function decideDynamic(record: DynamicRecord, client: ClientAddress, lookupFacts: (a: Uint8Array) => ClientFacts, health: HealthView, chooser: Chooser, purpose: 'dns' | 'http' = 'dns'): DynamicDecision {
  const w: Working = { record, client, chooser, lookupFacts, facts: undefined, scope: 0, rules: [], pools: [] };
  if (record.redirect?.mode === 'always' && purpose === 'dns') return finish(w, 'redirect', false, redirectMembers(record), undefined, true);
  let chain: Pool[] = [];
  const facts = (): ClientFacts => factsOf(w); // one closure per decision, not per rule
  for (const rule of record.rules) {
    const r = matchRule(rule, client.address, facts);
    w.scope = Math.max(w.scope, r.scopePrefix);
    w.rules.push({ index: rule.index, pool: rule.pool, matched: r.matched, detail: r.detail });
    if (r.matched) {
      chain = fallbackChain(record, rule.pool);
      break;
    }
  }
  for (const [i, pool] of chain.entries()) {
    const override = health.poolOverride(record, pool.name);
    const members = pool.members.map((m) => memberTrace(record, m, health, override));
    const up = pool.members.filter((_, j) => members[j]!.up);
    w.pools.push({ name: pool.name, override, members, answered: up.length > 0 });
    if (up.length > 0) return finish(w, i === 0 ? 'pool' : 'fallback', i > 0, up, pool.name);
  }
  // Default values answer a client no rule matched (the normal path), or one whose whole chain is down (degraded).
  const defaults = record.defaults.filter((m) => memberTrace(record, m, health).up);
  if (defaults.length > 0) return finish(w, 'default values', chain.length > 0, defaults, 'default');
  if (purpose === 'http') return finish(w, 'empty', true, [], undefined, true);
  if (record.redirect) return finish(w, 'redirect', true, redirectMembers(record), undefined, true);
  if (record.allDown === 'empty') return finish(w, 'empty', true, [], undefined, true);
  // Fail open: an answer to a dead server beats no answer. Members marked down by the operator stay out if any others exist.
  const first = chain[0]?.members ?? record.defaults;
  const open = first.filter((m) => m.status !== 'down');
  return finish(w, 'fail-open', true, open.length > 0 ? open : first, undefined, true);
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
function memberTrace(record: DynamicRecord, m: PoolMember, health: HealthView, poolOverride?: MemberStatus): MemberTrace {
  const check = record.healthcheck ? health.check(record, m.address) : undefined;
  const verdict = check === undefined ? 'unknown' : check ? 'up' : 'down';
  const inService = health.inService(record, m.address);
  const status = poolOverride !== undefined && poolOverride !== 'obey' ? poolOverride : health.memberOverride(record, m.address) ?? m.status;
  const up = inService && (status === 'up' || (status === 'obey' && (check ?? record.healthcheck?.initial !== 'down')));
  return { address: m.address, weight: m.weight, status: inService ? status : 'deleted', health: verdict, up };
}

/** Every pool of a record with its override and each member's effective state (for the API and metrics). */
export function describePools(record: DynamicRecord, health: HealthView): { name: string; override: MemberStatus | undefined; members: MemberTrace[] }[] {
  return [...record.pools.values()].map((pool) => {
    const override = health.poolOverride(record, pool.name);
    return { name: pool.name, override, members: pool.members.map((m) => memberTrace(record, m, health, override)) };
  });
}

/** The pool a rule names, then its fallbacks, each once. */
function fallbackChain(record: DynamicRecord, start: string): Pool[] {
  const chain: Pool[] = [];
  for (let name: string | undefined = start; name !== undefined; ) {
    const pool = record.pools.get(name);
    if (!pool || chain.includes(pool)) break;
    chain.push(pool);
    name = pool.fallback;
  }
  return chain;
}

function redirectMembers(record: DynamicRecord): PoolMember[] {
  return (record.redirect?.addresses ?? []).map((rr) => ({
    address: rr.data.type === 'A' || rr.data.type === 'AAAA' ? rr.data.address : '', weight: 1, status: 'up', host: undefined, record: rr,
  }));
}

const candidateOf = (m: PoolMember): Candidate => ({ address: m.address, weight: m.weight });

/** Weight 0 drains: such members are picked (as equals) only when no member with weight is up. */
function pickMembers(record: DynamicRecord, members: readonly PoolMember[], pool: string | undefined, client: ClientAddress, chooser: Chooser): { picked: Candidate[]; scope: number } {
  const weighted = members.filter((m) => m.weight > 0).map(candidateOf);
  const candidates = weighted.length > 0 ? weighted : members.map((m) => ({ address: m.address, weight: 1 }));
  switch (record.method) {
    case 'all':
      return { picked: candidates, scope: 0 };
    case 'weighted':
      return { picked: pickWeighted(candidates, record.answers, chooser), scope: 0 };
    case 'weighted-rr':
      return { picked: pickRoundRobin(candidates, record.answers, chooser.next(`${record.name}/${record.type}/${pool ?? ''}`)), scope: 0 };
    case 'hash': {
      const address = client.address ?? new Uint8Array(4);
      const prefix = Math.min(client.prefix, HASH_PREFIX[address.length as 4 | 16]);
      return { picked: pickRendezvous(candidates, record.answers, maskAddress(address, prefix)), scope: client.address ? prefix : 0 };
    }
    default: {
      const never: never = record.method;
      throw new Error(`unhandled method ${String(never)}`);
    }
  }
}
