// Probe targets from the zones: one per distinct (protocol, address, port, host, path), with every record that uses it.
import { probeKey } from '../core/index.ts';
import { durationMs, type DynamicRecord, type Zone } from '../zone/index.ts';
import type { HealthTarget, Subscriber } from './monitor.ts';

/** `stored(record, address)`: the persisted verdict, used as the starting state after a restart. */
export function healthTargets(
  zones: Iterable<Zone>,
  stored: (record: DynamicRecord, address: string) => boolean | undefined,
): HealthTarget[] {
  const targets = new Map<
    string,
    { target: Omit<HealthTarget, 'subscribers'>; subscribers: Subscriber[] }
  >();
  for (const zone of zones) {
    for (const node of zone.nodes.values()) {
      for (const rrset of node.rrsets.values()) {
        const d = rrset.dynamic;
        const hc = d?.healthcheck;
        if (!d || !hc) continue;
        for (const address of d.addresses) {
          const key = probeKey({ ...hc, address });
          if (!targets.has(key)) {
            targets.set(key, {
              target: {
                key,
                interval: hc.interval,
                intervalMs: durationMs(hc.interval),
                spec: {
                  protocol: hc.protocol,
                  address,
                  port: hc.port,
                  host: hc.host,
                  path: hc.path,
                  expect: hc.expect,
                  timeoutMs: hc.timeoutMs,
                  tlsVerify: hc.tlsVerify,
                },
              },
              subscribers: [],
            });
          }
          targets.get(key)!.subscribers.push({
            zone: zone.origin,
            name: d.name,
            type: d.type,
            ttl: d.ttl,
            rise: hc.rise,
            fall: hc.fall,
            initiallyUp: stored(d, address) ?? hc.initial === 'up',
          });
        }
      }
    }
  }
  return [...targets.values()].map(({ target, subscribers }) => ({ ...target, subscribers }));
}
