// One A query with EDNS Client Subnet, length-prefixed as dnsperf -B reads it (for the query files of the benchmarks).
import { RRType } from '../src/core/index.ts';
import {
  EDNS_UDP_SIZE,
  encodeClientSubnet,
  encodeMessage,
  OPTION_CLIENT_SUBNET,
} from '../src/dns/index.ts';

export function ecsQuery(
  name: string,
  family: 1 | 2,
  sourcePrefix: number,
  address: Uint8Array,
): Buffer[] {
  const ecs = encodeClientSubnet({ family, sourcePrefix, scopePrefix: 0, address }, 0);
  const message = encodeMessage({
    id: 0,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    question: [{ name, type: RRType.A, class: 1 }],
    answer: [],
    authority: [],
    additional: [],
    edns: {
      udpSize: EDNS_UDP_SIZE,
      extendedRcode: 0,
      version: 0,
      dnssecOk: false,
      options: [{ code: OPTION_CLIENT_SUBNET, data: ecs }],
    },
  });
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return [length, message];
}
