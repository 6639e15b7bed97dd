// Health transitions become signed UPDATE messages on the path an operator's nsupdate takes. Alone, a node's own
// probes decide; in cluster mode they are its observations, and decisions come from the quorum (quorum.ts).
import { Rcode } from '../core/index.ts';
import type { TsigKey } from '../dns/index.ts';
import { HealthMonitor, type Transition } from '../health/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { buildAddressUpdate, type UpdateOutcome } from '../update/index.ts';
import type { Logger } from './log.ts';

export type HealthUpdate = (
  message: Buffer,
  options?: { readonly fenced?: boolean },
) => Promise<{ reply: Buffer; outcome: UpdateOutcome }>;

export function healthMonitor(parts: {
  readonly key: TsigKey;
  readonly update: HealthUpdate;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** probe_source. */
  readonly sources: readonly string[];
  /** Cluster mode: told of every change of a verdict instead of recording it (the quorum decides). */
  readonly observed: (() => void) | undefined;
}): HealthMonitor {
  const { key, update, metrics, log, sources, observed } = parts;
  const record = transitionRecorder(key, update, log);
  return new HealthMonitor({
    random: Math.random,
    now: Date.now,
    sources,
    observe: (spec, result) => metrics.probe(spec.protocol, result.ok, result.latencyMs / 1000),
    report: async (transitions) => {
      if (!observed) return record(transitions, false);
      for (const t of transitions)
        log.info(
          `health: this node sees ${t.name} ${t.address} ${t.up ? 'up' : 'down'} (${t.detail})`,
        );
      observed();
      return [];
    },
  });
}

/**
 * Records transitions as one signed update per zone (fenced: only while this node decides health); returns those
 * the store did not take.
 */
export function transitionRecorder(
  key: TsigKey,
  update: HealthUpdate,
  log: Logger,
): (transitions: readonly Transition[], fenced: boolean) => Promise<Transition[]> {
  let id = 0;
  return async (transitions, fenced) => {
    const unrecorded: Transition[] = [];
    for (const zone of new Set(transitions.map((t) => t.zone))) {
      const inZone = transitions.filter((t) => t.zone === zone);
      const changes = inZone.map((t) => ({ ...t, add: t.up }));
      id = (id + 1) & 0xffff;
      const { reply, outcome } = await update(
        buildAddressUpdate(zone, changes, key, Math.floor(Date.now() / 1000), id),
        { fenced },
      );
      const rcode = reply.readUInt16BE(2) & 0xf; // SERVFAIL when the store did not take it
      const what = changes.map((c) => `${c.name} ${c.address} ${c.add ? 'up' : 'down'}`).join(', ');
      if (rcode === Rcode.SERVFAIL) unrecorded.push(...inZone);
      if (rcode !== Rcode.NOERROR)
        log.error(
          `health update not applied (${rcode}: ${outcome.reason || 'the store failed'}): ${what}`,
        );
      else log.info(`health: ${what} (${inZone[0]?.detail})`);
    }
    return unrecorded;
  };
}
