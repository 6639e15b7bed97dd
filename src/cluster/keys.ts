// Where the shared state lives in etcd, under the cluster's prefix: one key per thing a change can touch, so a
// change writes what it changed (SPEC §8). Each segment is percent-encoded, so names with '/' cannot collide.
//
//   z/<zone>/serial                          the zone's SOA serial; every change to the zone writes it
//   z/<zone>/o/<name|type>                   an RRset as updates left it: {ttl, base, records}
//   z/<zone>/m/<name|type>/<address>         a member's state: {inService, health, healthSince}
//   z/<zone>/v/<name|type>/<member|pool>/<k> an operator override: {status, reason, at}
//   j/<node>/<time>-<seq>                    the journal entries of one change (copied by every node)
//   r/<request id>                           a change that was committed (under the writer's lease)
//   n/<node>                                 a live node (under its lease): its files and applied revision
//   h/<node>/<record|address>                what a node's probes say of a member: "up" or "down" (its lease)
//   d/decider                                the node that turns observations into health decisions (its lease)
//   meta/created                             written once, by the node that imported its state
import { dataJson, type MemberState, type OverlayRRset, type Override } from '../state/index.ts';
import { type RData, RRClass, rdataTypeCode, parseRecordKey } from '../core/index.ts';

const enc = encodeURIComponent;

export const zoneKey = {
  serial: (zone: string) => `z/${enc(zone)}/serial`,
  overlay: (zone: string, record: string) => `z/${enc(zone)}/o/${enc(record)}`,
  member: (zone: string, record: string, address: string) =>
    `z/${enc(zone)}/m/${enc(record)}/${enc(address)}`,
  override: (zone: string, record: string, target: 'member' | 'pool', key: string) =>
    `z/${enc(zone)}/v/${enc(record)}/${target}/${enc(key)}`,
};

export const CREATED_KEY = 'meta/created';
/** Kept with a node's saved snapshot only (never in etcd): the revision the snapshot holds. */
export const APPLIED_KEY = 'meta/applied';
export const DECIDER_KEY = 'd/decider';

export const nodeKey = (node: string): string => `n/${enc(node)}`;
export const observationKey = (node: string, member: string): string =>
  `h/${enc(node)}/${enc(member)}`;

/** The node and member of a key under h/, or undefined. */
export function parseObservationKey(key: string): { node: string; member: string } | undefined {
  const parts = key.split('/');
  if (parts[0] !== 'h' || parts.length !== 3) return undefined;
  try {
    return { node: decodeURIComponent(parts[1]!), member: decodeURIComponent(parts[2]!) };
  } catch {
    return undefined;
  }
}

/** The node of a key under n/, or undefined. */
export function parseNodeKey(key: string): string | undefined {
  if (!key.startsWith('n/') || key.indexOf('/', 2) !== -1) return undefined;
  try {
    return decodeURIComponent(key.slice(2));
  } catch {
    return undefined;
  }
}

/** What a key under z/ holds, by its path. */
export type ZoneEntry =
  | { readonly kind: 'serial'; readonly zone: string }
  | { readonly kind: 'overlay'; readonly zone: string; readonly record: string }
  | {
      readonly kind: 'member';
      readonly zone: string;
      readonly record: string;
      readonly address: string;
    }
  | {
      readonly kind: 'override';
      readonly zone: string;
      readonly record: string;
      readonly target: 'member' | 'pool';
      readonly key: string;
    };

export function parseZoneKey(key: string): ZoneEntry | undefined {
  const parts = key.split('/');
  if (parts[0] !== 'z' || parts.length < 3) return undefined;
  try {
    const zone = decodeURIComponent(parts[1]!);
    if (parts[2] === 'serial' && parts.length === 3) return { kind: 'serial', zone };
    const record = parts[3] === undefined ? '' : decodeURIComponent(parts[3]);
    if (parts[2] === 'o' && parts.length === 4) return { kind: 'overlay', zone, record };
    if (parts[2] === 'm' && parts.length === 5)
      return { kind: 'member', zone, record, address: decodeURIComponent(parts[4]!) };
    if (parts[2] === 'v' && parts.length === 6 && (parts[4] === 'member' || parts[4] === 'pool'))
      return {
        kind: 'override',
        zone,
        record,
        target: parts[4],
        key: decodeURIComponent(parts[5]!),
      };
  } catch {
    return undefined; // not ours: a malformed escape
  }
  return undefined;
}

export function encodeOverlay(o: OverlayRRset): string {
  return JSON.stringify({
    ttl: o.ttl,
    base: o.base,
    records: o.records.map((r) => dataJson(r.data)),
  });
}

export function decodeOverlay(record: string, text: string): OverlayRRset {
  const v = JSON.parse(text) as {
    ttl: number;
    base: string | null;
    records: (RData & { data?: unknown })[];
  };
  const { name } = parseRecordKey(record);
  return {
    ttl: v.ttl,
    base: v.base,
    records: v.records.map((parsed) => {
      const data = (
        parsed.type === 'UNKNOWN'
          ? { ...parsed, data: Buffer.from(String(parsed.data), 'hex') }
          : parsed
      ) as RData;
      return { name, type: rdataTypeCode(data), class: RRClass.IN, ttl: v.ttl, data };
    }),
  };
}

export function encodeMember(m: MemberState): string {
  return JSON.stringify({
    inService: m.inService ?? null,
    health: m.health ?? null,
    healthSince: m.healthSince ?? null,
  });
}

export function decodeMember(text: string): MemberState {
  const v = JSON.parse(text) as {
    inService: boolean | null;
    health: boolean | null;
    healthSince: number | null;
  };
  return {
    inService: v.inService ?? undefined,
    health: v.health ?? undefined,
    healthSince: v.healthSince ?? undefined,
  };
}

export function encodeOverride(o: Override): string {
  return JSON.stringify(o);
}

export function decodeOverride(text: string): Override {
  return JSON.parse(text) as Override;
}
