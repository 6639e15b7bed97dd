// The server's metrics: what the scrape computes, and the counters each answered query bumps.
import { parseRecordKey, Rcode, RRType, typeName } from '../core/index.ts';
import { Metrics } from '../metrics/index.ts';
import type { Outcome as QueryOutcome } from '../query/index.ts';
import { describePools, type Snapshot } from '../resolve/index.ts';
import { soaSerial } from '../zone/index.ts';

/** Types counted under their own name: the ones gslb knows, and a few more that resolvers ask about. */
const COUNTED_TYPES = new Map<number, string>([
  ...Object.entries(RRType).map(([name, code]): [number, string] => [code, name]),
  [35, 'NAPTR'],
  [50, 'NSEC3'],
  [51, 'NSEC3PARAM'],
  [52, 'TLSA'],
  [59, 'CDS'],
  [60, 'CDNSKEY'],
  [64, 'SVCB'],
  [65, 'HTTPS'],
  [99, 'SPF'],
]);

/** `storage`: the store's state, in the process that owns the store (workers have none). */
export function serverMetrics(
  snapshot: () => Snapshot,
  storage?: () => { ok: boolean },
  cluster?: () => { up: boolean; appliedRevision: number; nodesUp: number } | undefined,
): Metrics {
  return new Metrics(
    {
      ...(storage ? { storageOk: () => storage().ok } : {}),
      ...(cluster
        ? {
            cluster: () => {
              const c = cluster();
              return c && { etcdUp: c.up, appliedRevision: c.appliedRevision, nodesUp: c.nodesUp };
            },
          }
        : {}),
      membersUp: () => membersUp(snapshot()),
      serials: () =>
        [...snapshot().zones.zones.values()].map((z) => ({ zone: z.origin, serial: soaSerial(z) })),
    },
    { types: COUNTED_TYPES, rcode: rcodeName, record: recordLabel },
  );
}

/**
 * Members up in every pool, a name at a time: `undefined` for a name with no dynamic record, so the scrape, which reads
 * this in slices, can stop between any two names of a large zone.
 */
function* membersUp(
  s: Snapshot,
): Generator<{ zone: string; record: string; pool: string; up: number } | undefined> {
  for (const zone of s.zones.zones.values()) {
    for (const node of zone.nodes.values()) {
      yield undefined;
      for (const rrset of node.rrsets.values()) {
        if (!rrset.dynamic) continue;
        const record = `${rrset.name} ${typeName(rrset.type)}`;
        for (const p of describePools(rrset.dynamic, s.health))
          yield {
            zone: zone.origin,
            record,
            pool: p.name,
            up: p.members.filter((m) => m.up).length,
          };
      }
    }
  }
}

/** Counters for one answered query; a few Map lookups, no strings built (measured: bench/metrics-cost.ts). */
export function count(metrics: Metrics, out: QueryOutcome, transport: string): void {
  metrics.query(out.zone ?? 'other', out.qtype ?? 0, out.rcode, transport === 'tcp', out.ecs);
  const d = out.dynamic;
  if (d) metrics.answer(out.zone ?? 'other', d.record, d.answeredBy, d.degraded);
}

/** "www.example.com.|1" → "www.example.com. A", as the record label reads. */
function recordLabel(key: string): string {
  const { name, type } = parseRecordKey(key);
  return `${name} ${typeName(type)}`;
}

const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? String(rcode);
}
