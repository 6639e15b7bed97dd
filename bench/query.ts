// Queries for the benchmarks: an A query with EDNS (and any options), and one with EDNS Client Subnet length-prefixed
// as dnsperf -B reads it.
import {
  EDNS_UDP_SIZE,
  type EdnsOption,
  encodeClientSubnet,
  OPTION_CLIENT_SUBNET,
} from '../src/dns/index.ts';
import { buildQuery } from '../test/helpers/wire.ts';

export function aQuery(name: string, options: readonly EdnsOption[] = []): Buffer {
  return buildQuery(name, 'A', {
    id: 1,
    edns: {
      udpSize: EDNS_UDP_SIZE,
      extendedRcode: 0,
      version: 0,
      dnssecOk: false,
      options: [...options],
    },
  });
}

/** The EDNS Client Subnet option for a client subnet. */
export function ecsOption(family: 1 | 2, sourcePrefix: number, address: Uint8Array): EdnsOption {
  return {
    code: OPTION_CLIENT_SUBNET,
    data: encodeClientSubnet({ family, sourcePrefix, scopePrefix: 0, address }, 0),
  };
}

/** An A query with ECS, preceded by its 16-bit length (a dnsperf -B file is a run of these). */
export function ecsQuery(
  name: string,
  family: 1 | 2,
  sourcePrefix: number,
  address: Uint8Array,
): Buffer[] {
  const message = aQuery(name, [ecsOption(family, sourcePrefix, address)]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return [length, message];
}
