// EDNS(0) (RFC 6891) and the Client Subnet option (RFC 7871).
import { fail, ok, type Result } from '../core/index.ts';

export const EDNS_UDP_SIZE = 1232; // what we advertise and the most we send over UDP (DNS flag day 2020)
export const OPTION_CLIENT_SUBNET = 8;

export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface Edns {
  readonly udpSize: number;
  readonly extendedRcode: number; // upper 8 bits of the 12-bit rcode
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly options: readonly EdnsOption[];
}

/** Address families of ECS (IANA address family numbers). */
export const Family = { IPV4: 1, IPV6: 2 } as const;

/** A client subnet as the query sent it; `address` is the full 4 or 16 bytes with bits past the prefix zero. */
export interface ClientSubnet {
  readonly family: (typeof Family)[keyof typeof Family];
  readonly sourcePrefix: number;
  readonly scopePrefix: number;
  readonly address: Uint8Array;
}

/**
 * Parses an ECS option body (`data[start..end]`, all of it by default); a string says why it is malformed (the
 * server answers FORMERR, RFC 7871 §7.1.2).
 */
export function parseClientSubnet(
  data: Uint8Array,
  start = 0,
  end = data.length,
): Result<ClientSubnet> {
  if (end - start < 4) return fail('ECS option shorter than 4 bytes');
  const family = (data[start]! << 8) | data[start + 1]!;
  const sourcePrefix = data[start + 2]!;
  const scopePrefix = data[start + 3]!;
  if (family !== Family.IPV4 && family !== Family.IPV6)
    return fail(`ECS family ${family} is not IPv4 (1) or IPv6 (2)`);
  const maxPrefix = family === Family.IPV4 ? 32 : 128;
  if (sourcePrefix > maxPrefix)
    return fail(`ECS source prefix /${sourcePrefix} is longer than the address`);
  const addressBytes = end - start - 4;
  if (addressBytes !== (sourcePrefix + 7) >> 3)
    return fail('ECS address length does not match the source prefix');
  const address = new Uint8Array(family === Family.IPV4 ? 4 : 16);
  for (let i = 0; i < addressBytes; i++) address[i] = data[start + 4 + i]!;
  if (sourcePrefix % 8 !== 0 && addressBytes > 0) {
    const lastMask = (0xff << (8 - (sourcePrefix % 8))) & 0xff;
    if ((address[addressBytes - 1]! & ~lastMask) !== 0)
      return fail('ECS address has bits set past the source prefix');
  }
  return ok({ family, sourcePrefix, scopePrefix, address });
}

/** The option body echoed in a reply: the query's family, source prefix and address, with our scope. */
export function encodeClientSubnet(ecs: ClientSubnet, scopePrefix: number): Uint8Array {
  const addressBytes = Math.ceil(ecs.sourcePrefix / 8);
  const out = new Uint8Array(4 + addressBytes);
  out[1] = ecs.family;
  out[2] = ecs.sourcePrefix;
  out[3] = Math.min(scopePrefix, ecs.family === Family.IPV4 ? 32 : 128);
  out.set(ecs.address.subarray(0, addressBytes), 4);
  return out;
}

/** Splits a 12-bit rcode into header and OPT parts (RFC 6891 §6.1.3). */
export function splitRcode(rcode: number): { header: number; extended: number } {
  return { header: rcode & 0xf, extended: rcode >> 4 };
}
