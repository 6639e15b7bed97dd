// One decision explained, for `gslb explain` and the API's /resolve: the decision a query would get, the facts of
// its client, and the trace as text.
import {
  absoluteName,
  addressText,
  type Cidr,
  formatRR,
  maskAddress,
  typeName,
} from '../core/index.ts';
import type { ClientFacts } from '../geo/index.ts';
import type { Answer, Query } from './answer.ts';
import { resolve } from './decide.ts';
import type { DynamicTrace } from './dynamic.ts';
import type { Chooser } from './pick.ts';
import type { Snapshot } from './snapshot.ts';

export interface ExplainRequest {
  /** As typed: absolute or not, with or without the final dot. */
  readonly name: string;
  readonly type: number;
  readonly client: Uint8Array;
  readonly clientText: string;
  readonly ecs: Cidr | undefined;
  readonly ecsText: string | undefined;
}

export interface Explanation extends ExplainInput {
  readonly text: string;
}

/** The decision a query would get, as on the wire: an ECS address decides unless its prefix is /0. */
export function explain(r: ExplainRequest, snapshot: Snapshot, chooser: Chooser): Explanation {
  const byEcs = r.ecs !== undefined && r.ecs.prefix > 0;
  const address = byEcs ? r.ecs.bytes : r.client;
  const prefix = byEcs ? r.ecs.prefix : address.length * 8;
  const query = { name: absoluteName(r.name.replace(/\.$/, ''), '.'), type: r.type };
  // Without the plan cache, so that the rules are evaluated for the trace (the trees still decide).
  const uncached: Snapshot = {
    zones: snapshot.zones,
    geo: snapshot.geo,
    health: snapshot.health,
    ...(snapshot.trees ? { trees: snapshot.trees } : {}),
  };
  const answer = resolve(query, { address, prefix }, uncached, chooser);
  const scope = answer.kind === 'refused' ? 0 : answer.scopePrefix;
  const input = {
    query,
    client: r.clientText,
    ecs: r.ecsText,
    facts: snapshot.geo?.lookup(address),
    answer,
    block: `${addressText(maskAddress(address, scope))}/${scope}`,
  };
  return { ...input, text: formatExplanation(input) };
}

export interface ExplainInput {
  readonly query: Query;
  readonly client: string;
  readonly ecs: string | undefined;
  readonly facts: ClientFacts | undefined;
  readonly answer: Answer;
  /** The block of addresses the answer holds for (the client's address at the ECS scope). */
  readonly block: string;
}

const RESULT_TEXT = {
  answer: 'NOERROR',
  nxdomain: 'NXDOMAIN',
  nodata: 'NOERROR (no data)',
  delegation: 'referral',
} as const;

export function formatExplanation(e: ExplainInput): string {
  const lines = [
    `${e.query.name} ${typeName(e.query.type)} asked by ${e.client}${e.ecs ? ` with ECS ${e.ecs}` : ''}`,
  ];
  if (e.facts) lines.push(`client: ${describeFacts(e.facts)}`);
  const a = e.answer;
  if (a.kind === 'refused') return [...lines, `REFUSED: ${a.reason}`].join('\n');
  if (a.trace) lines.push(...describeTrace(a.trace));
  const result = RESULT_TEXT[a.kind];
  lines.push(
    `result: ${result} from zone ${a.zone}, ECS scope /${a.scopePrefix} (the same for ${e.block})`,
  );
  for (const [title, rrs] of [
    ['answer', a.answer],
    ['authority', a.authority],
    ['additional', a.additional],
  ] as const) {
    if (rrs.length > 0) lines.push(`${title}:`, ...rrs.map((rr) => `  ${formatRR(rr)}`));
  }
  return lines.join('\n');
}

export function describeFacts(f: ClientFacts): string {
  const parts = [
    `geo ${f.geo ?? 'unknown'}${f.sources.geo ? ` (${f.sources.geo})` : ''}`,
    `AS ${f.asn ?? 'unknown'}${f.sources.asn ? ` (${f.sources.asn})` : ''}`,
    `ISP ${f.isp ?? 'unknown'}${f.sources.isp && f.sources.isp !== f.sources.asn ? ` (${f.sources.isp})` : ''}`,
  ];
  return parts.join(', ');
}

function describeTrace(t: DynamicTrace): string[] {
  const lines: string[] = [];
  if (t.rules.length > 0) lines.push('rules:');
  for (const r of t.rules)
    lines.push(`  ${r.index + 1}. → ${r.pool}: ${r.matched ? 'MATCH' : 'no'} (${r.detail})`);
  if (t.rules.length > 0 && !t.rules.some((r) => r.matched)) lines.push('  no rule matched');
  for (const p of t.pools) {
    lines.push(
      `pool ${p.name}${p.override ? ` (operator: ${p.override})` : ''}: ` +
        `${p.answered ? 'has members up' : 'nothing up, following its fallback'}`,
    );
    for (const m of p.members)
      lines.push(
        `  ${m.address} weight ${m.weight} status ${m.status} check ${m.health} → ${m.up ? 'up' : 'down'}`,
      );
  }
  lines.push(
    `outcome: ${t.outcome}; method ${t.method}; candidates ` +
      `${t.candidates.map((c) => `${c.address}(${c.weight})`).join(' ') || 'none'}`,
  );
  lines.push(`picked: ${t.picked.join(' ') || 'nothing'}; TTL ${t.ttl}`);
  return lines;
}
