// Public surface of resolve: the pure decision of what a query gets.
export type { Answer, Query } from './answer.ts';
export { choose, type Choice, decideForHttp, resolve, resolveChoice } from './decide.ts';
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
export {
  describeFacts,
  explain,
  type ExplainInput,
  type ExplainRequest,
  type Explanation,
  formatExplanation,
} from './explain.ts';
export { findZone } from './lookup.ts';
export {
  type Candidate,
  type Chooser,
  pickRendezvous,
  pickRoundRobin,
  pickWeighted,
} from './pick.ts';
export type { PlanCache } from './plans.ts';
export { DecisionTree } from './tree.ts';
export { type CompileReport, DecisionTrees } from './trees.ts';
export { cachingSnapshot, NO_HEALTH, type Snapshot } from './snapshot.ts';
