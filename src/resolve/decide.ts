// The decisions: an answer for a query, a pick for a dynamic record (the query path's shortcut), a choice for HTTP.
import type { DynamicRecord } from '../zone/index.ts';
import type { Answer, Query } from './answer.ts';
import {
  type ClientAddress,
  decideDynamic,
  decisionOf,
  type DynamicDecision,
  type DynamicPlan,
  pickCandidates,
  pickFromPlan,
  pickKey,
  type PlannedCandidate,
} from './dynamic.ts';
import { lookup } from './lookup.ts';
import type { Chooser } from './pick.ts';
import { factsOf, planFor } from './plans.ts';
import type { Snapshot } from './snapshot.ts';

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

/** The redirect tier's decision for a dynamic record: the same rules, pools and health, without redirect answers. */
export function decideForHttp(
  record: DynamicRecord,
  client: ClientAddress,
  snapshot: Snapshot,
  chooser: Chooser,
): DynamicDecision {
  return decideDynamic(record, client, factsOf(snapshot), snapshot.health, chooser, 'http');
}
