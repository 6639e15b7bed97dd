// Health transitions become signed UPDATE messages on the path an operator's nsupdate takes.
import { Rcode } from '../core/index.ts';
import type { TsigKey } from '../dns/index.ts';
import { HealthMonitor, type Transition } from '../health/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { buildAddressUpdate, type UpdateOutcome } from '../update/index.ts';
import type { Logger } from './log.ts';

export function healthMonitor(
  key: TsigKey,
  update: (message: Buffer) => Promise<{ reply: Buffer; outcome: UpdateOutcome }>,
  metrics: Metrics,
  log: Logger,
): HealthMonitor {
  let id = 0;
  return new HealthMonitor({
    random: Math.random,
    now: Date.now,
    observe: (spec, result) => metrics.probe(spec.protocol, result.ok, result.latencyMs / 1000),
    report: async (transitions) => {
      const unrecorded: Transition[] = [];
      for (const zone of new Set(transitions.map((t) => t.zone))) {
        const inZone = transitions.filter((t) => t.zone === zone);
        const changes = inZone.map((t) => ({ ...t, add: t.up }));
        id = (id + 1) & 0xffff;
        const { reply, outcome } = await update(
          buildAddressUpdate(zone, changes, key, Math.floor(Date.now() / 1000), id),
        );
        const rcode = reply.readUInt16BE(2) & 0xf; // SERVFAIL when the store did not take it
        const what = changes
          .map((c) => `${c.name} ${c.address} ${c.add ? 'up' : 'down'}`)
          .join(', ');
        if (rcode === Rcode.SERVFAIL) unrecorded.push(...inZone);
        if (rcode !== Rcode.NOERROR)
          log.error(
            `health update not applied (${rcode}: ${outcome.reason || 'the store failed'}): ${what}`,
          );
        else log.info(`health: ${what} (${inZone[0]?.detail})`);
      }
      return unrecorded;
    },
  });
}
