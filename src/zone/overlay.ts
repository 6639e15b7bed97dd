// Reading a compiled zone: its RRsets and serial; serial arithmetic (RFC 1982).
import type { RRset, Zone } from './model.ts';

/** Every RRset of a zone, in no particular order. */
export function zoneRRsets(zone: Zone): RRset[] {
  return [...zone.nodes.values()].flatMap((n) => [...n.rrsets.values()]);
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
