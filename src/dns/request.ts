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
import { optionLength, type RecordHeader, readRecordHeader } from './message.ts';
import { labelText, WireError } from './wire.ts';

export interface RequestEdns {
  readonly udpSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly clientSubnet: ClientSubnet | undefined;
  /** The COOKIE option (RFC 7873 §4): the client cookie, and the server cookie when the client has one. */
  readonly cookie: RequestCookie | undefined;
  /** The client asked for our name server identifier (RFC 5001). */
  readonly nsid: boolean;
}

export interface RequestCookie {
  readonly client: Uint8Array; // 8 bytes
  readonly server: Uint8Array | undefined; // 8 to 32 bytes
}

export const OPTION_NSID = 3;
export const OPTION_COOKIE = 10;

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
  | (RequestHeader & {
      readonly kind: 'query';
      readonly question: RawQuestion;
      readonly edns: RequestEdns | undefined;
    });

/** Classifies a datagram or TCP frame; never throws. */
export function parseRequest(buf: Buffer): Request {
  if (buf.length < 12) return { kind: 'drop', reason: 'shorter than a DNS header' };
  const flags = (buf[2]! << 8) | buf[3]!;
  if (flags & 0x8000) return { kind: 'drop', reason: 'QR set in a request' };
  const header: RequestHeader = {
    id: (buf[0]! << 8) | buf[1]!,
    opcode: (flags >> 11) & 0xf,
    rd: (flags & 0x100) !== 0,
    cd: (flags & 0x10) !== 0,
  };
  const qdcount = (buf[4]! << 8) | buf[5]!;
  const question = qdcount === 1 ? readQuestion(buf) : undefined;
  if (header.opcode !== Opcode.QUERY)
    return failure(header, question, Rcode.NOTIMP, `opcode ${header.opcode} is not served`);
  if (qdcount !== 1)
    return failure(header, question, Rcode.FORMERR, `QUERY with ${qdcount} questions`);
  if (!question) return failure(header, question, Rcode.FORMERR, 'question cannot be parsed');
  if (buf[6]! | buf[7]! | buf[8]! | buf[9]!)
    return failure(header, question, Rcode.FORMERR, 'QUERY carries answer or authority records');
  let edns: RequestEdns | undefined;
  try {
    edns = readAdditional(buf, 12 + question.bytes.length, (buf[10]! << 8) | buf[11]!);
  } catch (e) {
    return failure(header, question, Rcode.FORMERR, e instanceof WireError ? e.message : String(e));
  }
  if (edns && edns.version > 0)
    return failure(header, question, Rcode.BADVERS, `EDNS version ${edns.version}`, edns);
  return {
    kind: 'query',
    id: header.id,
    opcode: header.opcode,
    rd: header.rd,
    cd: header.cd,
    question,
    edns,
  };
}

function failure(
  header: RequestHeader,
  question: RawQuestion | undefined,
  rcode: number,
  reason: string,
  edns?: RequestEdns,
): Request {
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
    bytes: buf.subarray(12, pos + 5),
    name: name === '' ? '.' : name,
    type: buf.readUInt16BE(pos + 1),
    class: buf.readUInt16BE(pos + 3),
  };
}

/** Walks the additional section for the OPT record; TSIG and others are skipped here. */
function readAdditional(buf: Buffer, start: number, count: number): RequestEdns | undefined {
  let pos = start;
  let edns: RequestEdns | undefined;
  for (let i = 0; i < count; i++) {
    // The OPT record's owner is the root: one zero byte, read without the name reader (its usual form, and fast).
    const r =
      buf[pos] === 0 && pos + 11 <= buf.length ? rootOwned(buf, pos) : readRecordHeader(buf, pos);
    if (r.type === RRType.OPT) {
      if (edns) throw new WireError('more than one OPT record (RFC 6891 §6.1.1)');
      if (r.name !== '.') throw new WireError('OPT record not owned by the root');
      edns = readOpt(buf, r.class, r.ttl, r.rdataStart, r.rdataLength);
    }
    pos = r.rdataStart + r.rdataLength;
  }
  return edns;
}

function rootOwned(buf: Buffer, pos: number): RecordHeader {
  const rdataLength = (buf[pos + 9]! << 8) | buf[pos + 10]!;
  const rdataStart = pos + 11;
  if (rdataStart + rdataLength > buf.length)
    throw new WireError('rdata runs past the end of the message');
  return {
    name: '.',
    type: (buf[pos + 1]! << 8) | buf[pos + 2]!,
    class: (buf[pos + 3]! << 8) | buf[pos + 4]!,
    ttl: buf.readUInt32BE(pos + 5),
    rdataStart,
    rdataLength,
  };
}

/** The OPT record's fields and the options gslb reads (ECS, COOKIE, NSID), walking them in place (RFC 6891 §6.1.2). */
function readOpt(
  buf: Buffer,
  udpSize: number,
  ttl: number,
  start: number,
  length: number,
): RequestEdns {
  let clientSubnet: ClientSubnet | undefined;
  let cookie: RequestCookie | undefined;
  let nsid = false;
  const end = start + length;
  for (let at = start; at < end;) {
    const len = optionLength(buf, at, end);
    const code = (buf[at]! << 8) | buf[at + 1]!;
    if (code === OPTION_CLIENT_SUBNET) {
      const parsed = parseClientSubnet(buf, at + 4, at + 4 + len);
      if (!parsed.ok) throw new WireError(parsed.error);
      clientSubnet = parsed.value;
    } else if (code === OPTION_COOKIE) {
      // RFC 7873 §5.2.2: an 8-byte client cookie, then nothing or a server cookie of 8 to 32 bytes.
      if (len !== 8 && (len < 16 || len > 40)) throw new WireError(`COOKIE option of ${len} bytes`);
      cookie = {
        client: buf.subarray(at + 4, at + 12),
        server: len > 8 ? buf.subarray(at + 12, at + 4 + len) : undefined,
      };
    } else if (code === OPTION_NSID) {
      nsid = true;
    }
    at += 4 + len;
  }
  return {
    udpSize: Math.max(512, udpSize),
    version: (ttl >>> 16) & 0xff,
    dnssecOk: (ttl & 0x8000) !== 0,
    clientSubnet,
    cookie,
    nsid,
  };
}
