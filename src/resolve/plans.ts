// The plan cache: each dynamic record's plan per client (the decision up to the pick), kept for one snapshot, bounded.
import { type ClientFacts, NO_FACTS as NO_GEO_FACTS } from '../geo/index.ts';
import type { DynamicRecord } from '../zone/index.ts';
import { type ClientAddress, type DynamicPlan, planDynamic } from './dynamic.ts';
import type { Snapshot } from './snapshot.ts';
import type { DecisionTree } from './tree.ts';

/** Plans by record, each record's by client. */
export type PlanCache = Map<DynamicRecord, RecordPlans>;

/**
 * A record's plans: by client, and by what they pick from. Clients with the same pool, health, TTL and scope share one
 * set of candidates and records, so thousands of ECS subnets keep a few of them, not thousands (memory, and the
 * processor's caches on the query path).
 */
interface RecordPlans {
  /** The record's decision tree, if its rules are compiled (looked up once per snapshot). */
  readonly tree: DecisionTree | undefined;
  byClient: Map<number | string, DynamicPlan>;
  readonly shared: Map<string, DynamicPlan>;
  /** With a decision tree: by outcome and scope (`DecisionTree.find`), so by at most rules × 129, not by client. */
  readonly byOutcome: Map<number, DynamicPlan>;
}

/** The snapshot's plan for this record and client, made on first use. */
export function planFor(
  snapshot: Snapshot,
  record: DynamicRecord,
  client: ClientAddress,
): DynamicPlan {
  const plans = snapshot.plans;
  const address = client.address;
  if (!plans) {
    // No cache (explain): the rules are evaluated for the trace, the tree (if any) still decides.
    const tree = address && snapshot.trees?.treeFor(record);
    const found = tree ? tree.find(address) : 0;
    const compiled = tree
      ? { pool: tree.outcomes[found >> 8], scope: found & 255, traceRules: true }
      : undefined;
    return planDynamic(record, client, factsOf(snapshot), snapshot.health, 'dns', compiled);
  }
  let forRecord = plans.get(record);
  if (!forRecord) {
    if (plans.size >= MAX_PLANNED_RECORDS) plans.clear();
    forRecord = {
      tree: snapshot.trees?.treeFor(record),
      byClient: new Map(),
      shared: new Map(),
      byOutcome: new Map(),
    };
    plans.set(record, forRecord);
  }
  const tree = forRecord.tree;
  if (tree && address) {
    const found = tree.find(address);
    let plan = forRecord.byOutcome.get(found);
    if (!plan) {
      const compiled = { pool: tree.outcomes[found >> 8], scope: found & 255, traceRules: false };
      plan = planDynamic(record, client, factsOf(snapshot), snapshot.health, 'dns', compiled);
      forRecord.byOutcome.set(found, plan);
    }
    return plan;
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

export function factsOf(snapshot: Snapshot): (address: Uint8Array) => ClientFacts {
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
