// Comparing record data the way DNS does: by canonical wire form (names case-insensitively, addresses by value).
import type { RData } from '../core/index.ts';
import { canonicalRData } from '../dns/index.ts';

/** A record's identity within its RRset: its canonical wire form as text (RFC 2136 §1.1.1). */
export function rdataKey(data: RData): string {
  return canonicalRData(data).toString('latin1');
}

export function sameRData(a: RData, b: RData): boolean {
  return rdataKey(a) === rdataKey(b);
}
