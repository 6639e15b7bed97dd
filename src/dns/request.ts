// Incoming requests: header and question read with plain Buffer reads, then the bad-input policy table.
//
// input                                          reply
// under 12 bytes, or QR set                      drop
// question unparseable, qdcount != 1,
//   answer/authority records in a QUERY,
//   counts that run past the end, bad OPT/ECS    FORMERR
// opcode other than QUERY (UPDATE: not served)   NOTIMP
// EDNS version > 0                               BADVERS (RFC 6891 §6.1.3)
// class, zone and transfer checks                REFUSED, decided after parsing (see query/)
import { Opcode, Rcode, RRType } from '../core/index.ts';
import { type ClientSubnet, OPTION_CLIENT_SUBNET, parseClientSubnet } from './edns.ts';
import { readEdns, readRecordHeader } from './message.ts';
import { labelText, WireError } from './wire.ts';

export interface RequestEdns {
  readonly udpSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly clientSubnet: ClientSubnet | undefined;
}

export interface RawQuestion {
  readonly bytes: Buffer; // as sent, letter case included
  readonly name: string; // lower-case FQDN
  readonly type: number;
  readonly class: number;
}

interface RequestHeader {
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  readonly cd: boolean;
}

export type Request =
  | { readonly kind: 'drop'; readonly reason: string }
  | (RequestHeader & {
      readonly kind: 'error';
      readonly rcode: number;
      readonly reason: string;
      readonly question: RawQuestion | undefined;
      readonly edns: RequestEdns | undefined;
    })
  | (RequestHeader & { readonly kind: 'query'; readonly question: RawQuestion; readonly edns: RequestEdns | undefined });

/** Classifies a datagram or TCP frame; never throws. */
export function parseRequest(buf: Buffer): Request {
  if (buf.length < 12) return { kind: 'drop', reason: 'shorter than a DNS header' };
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return { kind: 'drop', reason: 'QR set in a request' };
  const header: RequestHeader = {
    id: buf.readUInt16BE(0), opcode: (flags >> 11) & 0xf, rd: (flags & 0x100) !== 0, cd: (flags & 0x10) !== 0,
  };
  const qdcount = buf.readUInt16BE(4);
  const question = qdcount === 1 ? readQuestion(buf) : undefined;
  const fail = (rcode: number, reason: string, edns?: RequestEdns): Request => failure(header, question, rcode, reason, edns);
  if (header.opcode !== Opcode.QUERY) return fail(Rcode.NOTIMP, `opcode ${header.opcode} is not served`);
  if (qdcount !== 1) return fail(Rcode.FORMERR, `QUERY with ${qdcount} questions`);
  if (!question) return fail(Rcode.FORMERR, 'question cannot be parsed');
  if (buf.readUInt16BE(6) !== 0 || buf.readUInt16BE(8) !== 0) return fail(Rcode.FORMERR, 'QUERY carries answer or authority records');
  let edns: RequestEdns | undefined;
  try {
    edns = readAdditional(buf, 12 + question.bytes.length, buf.readUInt16BE(10));
  } catch (e) {
    return fail(Rcode.FORMERR, e instanceof WireError ? e.message : String(e));
  }
  if (edns && edns.version > 0) return fail(Rcode.BADVERS, `EDNS version ${edns.version}`, edns);
  return { kind: 'query', ...header, question, edns };
}

function failure(header: RequestHeader, question: RawQuestion | undefined, rcode: number, reason: string, edns: RequestEdns | undefined): Request {
  return { kind: 'error', ...header, rcode, reason, question, edns };
}

/** The single question at offset 12: labels only (nothing earlier to point to), then type and class. */
function readQuestion(buf: Buffer): RawQuestion | undefined {
  let pos = 12;
  let name = '';
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos]!;
    if (len === 0) break;
    if (len > 63 || pos + 1 + len > buf.length || pos + 1 + len - 12 > 254) return undefined;
    name += `${labelText(buf, pos + 1, len)}.`;
    pos += len + 1;
  }
  if (pos + 5 > buf.length) return undefined;
  return {
    bytes: buf.subarray(12, pos + 5), name: name === '' ? '.' : name,
    type: buf.readUInt16BE(pos + 1), class: buf.readUInt16BE(pos + 3),
  };
}

/** Walks the additional section for the OPT record; TSIG and others are skipped here. */
function readAdditional(buf: Buffer, start: number, count: number): RequestEdns | undefined {
  let pos = start;
  let edns: RequestEdns | undefined;
  for (let i = 0; i < count; i++) {
    const r = readRecordHeader(buf, pos);
    if (r.type === RRType.OPT) {
      if (edns) throw new WireError('more than one OPT record (RFC 6891 §6.1.1)');
      if (r.name !== '.') throw new WireError('OPT record not owned by the root');
      const e = readEdns(buf, r.class, r.ttl, r.rdataStart, r.rdataLength);
      let clientSubnet: ClientSubnet | undefined;
      for (const o of e.options) {
        if (o.code !== OPTION_CLIENT_SUBNET) continue;
        const parsed = parseClientSubnet(o.data);
        if (typeof parsed === 'string') throw new WireError(parsed);
        clientSubnet = parsed;
      }
      edns = { udpSize: Math.max(512, e.udpSize), version: e.version, dnssecOk: e.dnssecOk, clientSubnet };
    }
    pos = r.rdataStart + r.rdataLength;
  }
  return edns;
}
