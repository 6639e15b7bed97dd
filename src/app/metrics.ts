// The server's metrics: what the scrape computes, and the counters each answered query bumps.
import { Rcode, typeName } from '../core/index.ts';
import { Metrics } from '../metrics/index.ts';
import type { Outcome as QueryOutcome } from '../query/index.ts';
import { describePools, type Snapshot } from '../resolve/index.ts';
import { soaSerial, zoneRRsets } from '../zone/index.ts';

/** `storage`: the store's state, in the process that owns the store (workers have none). */
export function serverMetrics(snapshot: () => Snapshot, storage?: () => { ok: boolean }): Metrics {
  return new Metrics({
    ...(storage ? { storageOk: () => storage().ok } : {}),
    membersUp: () => {
      const s = snapshot();
      return [...s.zones.zones.values()].flatMap((z) => zoneRRsets(z)
        .filter((r) => r.dynamic).flatMap((r) => describePools(r.dynamic!, s.health).map((p) => ({
          zone: z.origin, record: `${r.name} ${typeName(r.type)}`, pool: p.name, up: p.members.filter((m) => m.up).length, total: p.members.length,
        }))));
    },
    serials: () => [...snapshot().zones.zones.values()].map((z) => ({ zone: z.origin, serial: soaSerial(z) })),
  }, { type: typeName, rcode: rcodeName });
}

/** Counters for one answered query; a few Map lookups, no strings built (measured: bench/metrics-cost.ts). */
export function count(metrics: Metrics, out: QueryOutcome, transport: string): void {
  metrics.query(out.zone ?? '-', out.qtype ?? 0, out.rcode, transport === 'tcp', out.ecs);
  const d = out.dynamic;
  if (d) metrics.answer(out.zone ?? '-', d.name, out.qtype ?? 1, d.answeredBy, d.degraded);
}

const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? String(rcode);
}
