// A zone with some RRsets replaced (dynamic updates) and its serial set: rebuilt, never changed in place.
import { type RR, RRType } from '../core/index.ts';
import { buildZone } from './load.ts';
import type { RRset, Zone } from './model.ts';

/** Every RRset of a zone, in no particular order. */
export function zoneRRsets(zone: Zone): RRset[] {
  return [...zone.nodes.values()].flatMap((n) => [...n.rrsets.values()]);
}

/**
 * `replace` maps "name|type" to the RRset's records (an empty list deletes it). Dynamic RRsets are never replaced:
 * updates change their members' state instead.
 */
export function overlayZone(zone: Zone, replace: ReadonlyMap<string, readonly RR[]>, serial: number): Zone {
  const rrsets = new Map<string, RRset>();
  for (const rrset of zoneRRsets(zone)) rrsets.set(`${rrset.name}|${rrset.type}`, rrset);
  for (const [key, records] of replace) {
    const existing = rrsets.get(key);
    if (existing?.dynamic) continue;
    const [name, type] = key.split('|') as [string, string];
    const ttl = records[0]?.ttl ?? 0;
    rrsets.set(key, Object.freeze({ name, type: Number(type), ttl, records: Object.freeze(records.map((r) => ({ ...r, ttl }))), dynamic: undefined }));
  }
  const soaKey = `${zone.origin}|${RRType.SOA}`;
  const soa = rrsets.get(soaKey)!;
  const soaRecord = soa.records[0]!;
  if (soaRecord.data.type === 'SOA' && soaRecord.data.serial !== serial) {
    rrsets.set(soaKey, { ...soa, records: [{ ...soaRecord, data: { ...soaRecord.data, serial } }] });
  }
  return buildZone(zone.origin, zone.file, rrsets.values(), zone);
}

/** RFC 1982: true when serial `a` is greater than `b`. */
export function serialGreater(a: number, b: number): boolean {
  return (a < b && b - a > 2 ** 31) || (a > b && a - b < 2 ** 31);
}

/** The next serial after `s` (RFC 1982: wraps past 2^32 - 1). */
export function nextSerial(s: number): number {
  return (s + 1) % 2 ** 32;
}

export function soaSerial(zone: Zone): number {
  return zone.soa.data.type === 'SOA' ? zone.soa.data.serial : 0;
}
