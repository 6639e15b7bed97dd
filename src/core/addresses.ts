// IP addresses as bytes: parsing, RFC 5952 text, and prefix arithmetic shared by the wire codec and GeoIP.
import { isIPv4, isIPv6 } from 'node:net';
import { fail, ok, type Result } from './result.ts';

export function ipv4Bytes(address: string): Uint8Array {
  if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  return Uint8Array.from(address.split('.').map(Number));
}

/** 16 bytes of an IPv6 address, including the embedded-IPv4 form (::ffff:192.0.2.1). */
export function ipv6Bytes(address: string): Uint8Array {
  if (!isIPv6(address) || address.includes('%')) throw new Error(`not an IPv6 address: ${address}`);
  let text = address;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    const high = ((v4[0]! << 8) | v4[1]!).toString(16);
    const low = ((v4[2]! << 8) | v4[3]!).toString(16);
    text = `${text.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const gap = text.indexOf('::');
  const left = parse(gap < 0 ? text : text.slice(0, gap));
  const right = gap < 0 ? [] : parse(text.slice(gap + 2));
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** RFC 5952 text of 16 bytes (longest run of zero groups compressed). */
export function ipv6Text(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Dotted-quad IPv4 by hand (this runs once per query for the client's address); undefined if it is not one. */
function parseIPv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part === 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3 && !(digits === 1 && value === 0)) {
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || part !== 3) return undefined;
  out[3] = value;
  return out;
}

/** 4 or 16 bytes for an address in text; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes its 4 IPv4 bytes. */
export function addressBytes(address: string): Uint8Array | undefined {
  const v4 = parseIPv4(address);
  if (v4) return v4;
  if (!isIPv6(address) || address.includes('%')) return undefined;
  const bytes = ipv6Bytes(address);
  const mapped =
    bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** Text of 4 or 16 address bytes. */
export function addressText(bytes: Uint8Array): string {
  return bytes.length === 4 ? Array.from(bytes).join('.') : ipv6Text(bytes);
}

/** A copy of `bytes` with every bit past `prefix` cleared. */
export function maskAddress(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bytes[i]! & ((0xff00 >> bits) & 0xff);
  }
  return out;
}

/** How many leading bits two addresses of the same family share. */
export function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

export interface Cidr {
  readonly bytes: Uint8Array; // network address, bits past the prefix zero
  readonly prefix: number;
}

/** "198.51.100.0/24" → network and prefix; a string says what is wrong. Host bits must be zero. */
export function parseCidr(text: string): Result<Cidr> {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = isIPv4(address)
    ? ipv4Bytes(address)
    : isIPv6(address) && !address.includes('%')
      ? ipv6Bytes(address)
      : undefined;
  if (!bytes) return fail(`"${address}" is not an IP address`);
  const max = bytes.length * 8;
  const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!/^\d{1,3}$/.test(slash < 0 ? String(max) : text.slice(slash + 1)) || prefix > max)
    return fail(`"${text}" has a prefix length outside 0..${max}`);
  if (commonPrefixLength(bytes, maskAddress(bytes, prefix)) < max)
    return fail(
      `"${text}" has host bits set (did you mean ${addressText(maskAddress(bytes, prefix))}/${prefix}?)`,
    );
  return ok({ bytes, prefix });
}

/** True when `address` (same family) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: Uint8Array): boolean {
  return (
    address.length === cidr.bytes.length && commonPrefixLength(cidr.bytes, address) >= cidr.prefix
  );
}

/** True when `text` is an address of the family of record type A (IPv4) or AAAA (IPv6). */
export function isIpOfType(text: string, type: 'A' | 'AAAA'): boolean {
  return type === 'A' ? isIPv4(text) : isIPv6(text) && !text.includes('%');
}
