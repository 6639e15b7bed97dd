// DNS vocabulary: record types, classes, opcodes, rcodes and record data, as literal tables.

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;
export type RRTypeName = keyof typeof RRType;

const typeNames = new Map<number, string>(Object.entries(RRType).map(([k, v]) => [v, k]));

/** "A" for 1, "TYPE65280" for a type without a mnemonic (RFC 3597). */
export function typeName(code: number): string {
  return typeNames.get(code) ?? `TYPE${code}`;
}

/** Parses "A", "aaaa" or "TYPE65280"; undefined when unknown. */
export function typeCode(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RRType as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  return m && Number(m[1]) <= 65535 ? Number(m[1]) : undefined;
}

/** How a message arrived (and how its reply goes back). */
export type Transport = 'udp' | 'tcp';

export const RRClass = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
  BADCOOKIE: 23,
} as const;
export type RcodeName = keyof typeof Rcode;

/** Record data, one shape per type; names inside are lower-case FQDNs. */
export type RData =
  | { readonly type: 'A'; readonly address: string }
  | { readonly type: 'AAAA'; readonly address: string }
  | { readonly type: 'NS' | 'CNAME' | 'PTR'; readonly target: string }
  | { readonly type: 'MX'; readonly preference: number; readonly exchange: string }
  | { readonly type: 'TXT'; readonly strings: readonly string[] }
  | {
      readonly type: 'SRV';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | { readonly type: 'CAA'; readonly flags: number; readonly tag: string; readonly value: string }
  | {
      readonly type: 'SOA';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  | {
      readonly type: 'DS';
      readonly keyTag: number;
      readonly algorithm: number;
      readonly digestType: number;
      readonly digest: string;
    }
  | { readonly type: 'UNKNOWN'; readonly code: number; readonly data: Uint8Array };

/** A resource record. `name` is a lower-case FQDN; `type` is the numeric code. */
export interface RR {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: RData;
}

/** The numeric type of a record's data. */
export function rdataTypeCode(data: RData): number {
  return data.type === 'UNKNOWN' ? data.code : RRType[data.type];
}
