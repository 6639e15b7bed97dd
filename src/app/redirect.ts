// The redirect tier's choice: the record Host names, decided by the same rules, pools and health as DNS.
import { RRType } from '../core/index.ts';
import type { RedirectChoice } from '../redirect/index.ts';
import { decideForHttp, findZone, type Snapshot } from '../resolve/index.ts';
import { recordMembers } from '../zone/index.ts';
import { randomChooser } from './chooser.ts';

export function redirectChooser(
  snapshot: () => Snapshot,
): (host: string, client: Uint8Array) => RedirectChoice {
  const chooser = randomChooser();
  return (host, client) => {
    const s = snapshot();
    const name = `${host}.`;
    const zone = findZone(s.zones, name, RRType.A);
    const node = zone?.nodes.get(name);
    const record = [RRType.A, RRType.AAAA]
      .map((t) => node?.rrsets.get(t)?.dynamic)
      .find((d) => d?.redirect);
    if (!record?.redirect) return { kind: 'unknown-host' };
    const decision = decideForHttp(
      record,
      { address: client, prefix: client.length * 8 },
      s,
      chooser,
    );
    const picked = decision.trace.picked[0];
    if (decision.records.length === 0 || picked === undefined) {
      return {
        kind: 'none',
        fallbackUrl: record.redirect.fallbackUrl,
        retryAfterSeconds: Math.max(1, record.ttlDegraded),
      };
    }
    const member = recordMembers(record).find((m) => m.address === picked && m.host !== undefined);
    const target = member?.host ?? (picked.includes(':') ? `[${picked}]` : picked);
    return {
      kind: 'member',
      location: `${record.redirect.scheme}://${target}${record.redirect.port ? `:${record.redirect.port}` : ''}`,
    };
  };
}
