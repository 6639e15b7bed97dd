// The trace of one decision as text, for `gslb explain` (the API returns the same data as JSON).
import { formatRR, typeName } from '../core/index.ts';
import type { ClientFacts } from '../geo/index.ts';
import type { Answer, Query } from './answer.ts';
import type { DynamicTrace } from './dynamic.ts';

export interface ExplainInput {
  readonly query: Query;
  readonly client: string;
  readonly ecs: string | undefined;
  readonly facts: ClientFacts | undefined;
  readonly answer: Answer;
}

export function formatExplanation(e: ExplainInput): string {
  const lines = [
    `${e.query.name} ${typeName(e.query.type)} asked by ${e.client}${e.ecs ? ` with ECS ${e.ecs}` : ''}`,
  ];
  if (e.facts) lines.push(`client: ${describeFacts(e.facts)}`);
  const a = e.answer;
  if (a.kind === 'refused') return [...lines, `REFUSED: ${a.reason}`].join('\n');
  if (a.trace) lines.push(...describeTrace(a.trace));
  lines.push(
    `result: ${a.kind === 'answer' ? 'NOERROR' : a.kind === 'nxdomain' ? 'NXDOMAIN' : a.kind === 'nodata' ? 'NOERROR (no data)' : 'referral'} from zone ${a.zone}, ECS scope /${a.scopePrefix}`,
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
      `pool ${p.name}${p.override ? ` (operator: ${p.override})` : ''}: ${p.answered ? 'has members up' : 'nothing up, following its fallback'}`,
    );
    for (const m of p.members)
      lines.push(
        `  ${m.address} weight ${m.weight} status ${m.status} check ${m.health} → ${m.up ? 'up' : 'down'}`,
      );
  }
  lines.push(
    `outcome: ${t.outcome}; method ${t.method}; candidates ${t.candidates.map((c) => `${c.address}(${c.weight})`).join(' ') || 'none'}`,
  );
  lines.push(`picked: ${t.picked.join(' ') || 'nothing'}; TTL ${t.ttl}`);
  return lines;
}
