// Comparing record data the way DNS does: names case-insensitively, addresses by value.
import { ipv6Bytes, type RData } from '../core/index.ts';

export function sameRData(a: RData, b: RData): boolean {
  if (a.type === 'AAAA' && b.type === 'AAAA') return Buffer.from(ipv6Bytes(a.address)).equals(Buffer.from(ipv6Bytes(b.address)));
  return JSON.stringify(normal(a)) === JSON.stringify(normal(b));
}

function normal(d: RData): unknown {
  if (d.type === 'UNKNOWN') return { type: d.type, code: d.code, data: Buffer.from(d.data).toString('hex') };
  return d;
}
