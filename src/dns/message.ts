// Whole DNS messages: decode any message (tests, updates) and encode replies with truncation (RFC 2181 §9).
import { type RR, RRType, rdataTypeCode } from '../core/index.ts';
import { type Edns, type EdnsOption, splitRcode } from './edns.ts';
import { readRData, writeRData } from './rdata.ts';
import { readName, WireError, Writer } from './wire.ts';

export interface Question {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface Flags {
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
}

export interface Message extends Flags {
  readonly id: number;
  readonly rcode: number; // 12 bits when EDNS carries the upper part
  readonly question: readonly Question[];
  readonly answer: readonly RR[];
  readonly authority: readonly RR[];
  readonly additional: readonly RR[]; // without the OPT record, which is `edns`
  readonly edns: Edns | undefined;
}

const MAX_RECORDS = 65535;

/** Decodes a whole message; throws WireError on anything malformed. */
export function decodeMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new WireError('message shorter than its 12-byte header');
  const f = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((at) => buf.readUInt16BE(at)) as [
    number,
    number,
    number,
    number,
  ];
  let pos = 12;
  const question: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const q = readName(buf, pos);
    if (q.next + 4 > buf.length) throw new WireError('question runs past the end of the message');
    question.push({
      name: q.name,
      type: buf.readUInt16BE(q.next),
      class: buf.readUInt16BE(q.next + 2),
    });
    pos = q.next + 4;
  }
  const sections: RR[][] = [[], [], []];
  let edns: Edns | undefined;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]! && i < MAX_RECORDS; i++) {
      const r = readRecordHeader(buf, pos);
      if (r.type === RRType.OPT) {
        if (s !== 2 || edns || r.name !== '.')
          throw new WireError('misplaced or repeated OPT record');
        edns = readEdns(buf, r.class, r.ttl, r.rdataStart, r.rdataLength);
      } else {
        const data = readRData(buf, r.type, r.rdataStart, r.rdataLength);
        sections[s]!.push({ name: r.name, type: r.type, class: r.class, ttl: r.ttl, data });
      }
      pos = r.rdataStart + r.rdataLength;
    }
  }
  return {
    id: buf.readUInt16BE(0),
    ...flagsOf(f),
    rcode: (f & 0xf) | ((edns?.extendedRcode ?? 0) << 4),
    question,
    answer: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
    edns,
  };
}

export function flagsOf(f: number): Flags {
  return {
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x400) !== 0,
    tc: (f & 0x200) !== 0,
    rd: (f & 0x100) !== 0,
    ra: (f & 0x80) !== 0,
    ad: (f & 0x20) !== 0,
    cd: (f & 0x10) !== 0,
  };
}

export interface RecordHeader {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdataStart: number;
  readonly rdataLength: number;
}

/** Reads owner, type, class, TTL and rdata bounds of the record at `pos`. */
export function readRecordHeader(buf: Buffer, pos: number): RecordHeader {
  const n = readName(buf, pos);
  if (n.next + 10 > buf.length)
    throw new WireError('record header runs past the end of the message');
  const rdataLength = buf.readUInt16BE(n.next + 8);
  const rdataStart = n.next + 10;
  if (rdataStart + rdataLength > buf.length)
    throw new WireError('rdata runs past the end of the message');
  return {
    name: n.name,
    type: buf.readUInt16BE(n.next),
    class: buf.readUInt16BE(n.next + 2),
    ttl: buf.readUInt32BE(n.next + 4),
    rdataStart,
    rdataLength,
  };
}

/** The body length of the EDNS option at `at`, once its header and body are known to end by `end`. */
export function optionLength(buf: Buffer, at: number, end: number): number {
  if (at + 4 > end) throw new WireError('EDNS option header runs past the OPT record');
  const len = (buf[at + 2]! << 8) | buf[at + 3]!;
  if (at + 4 + len > end) throw new WireError('EDNS option runs past the OPT record');
  return len;
}

/** The OPT pseudo-record's fields (RFC 6891 §6.1.2); options with lengths past the rdata are rejected. */
export function readEdns(
  buf: Buffer,
  udpSize: number,
  ttl: number,
  start: number,
  length: number,
): Edns {
  const options: EdnsOption[] = [];
  const end = start + length;
  for (let at = start; at < end;) {
    const len = optionLength(buf, at, end);
    options.push({ code: buf.readUInt16BE(at), data: buf.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return {
    udpSize,
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    dnssecOk: (ttl & 0x8000) !== 0,
    options,
  };
}

export interface EncodeOptions {
  /** Largest message to produce; past it the reply is truncated (TC) or optional records are left out. */
  readonly maxBytes?: number;
  /** The question exactly as the client sent it (its letter case), written instead of `message.question`. */
  readonly rawQuestion?: { readonly bytes: Uint8Array; readonly name: string };
  /** Additional records that must fit, or the reply is truncated (glue in referrals, RFC 9471). */
  readonly additionalRequired?: boolean;
}

/** Encodes a message with name compression; see EncodeOptions for truncation. */
export function encodeMessage(m: Message, options: EncodeOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? 65535;
  const w = new Writer(512);
  const { header: rcodeLow, extended } = splitRcode(m.rcode);
  w.u16(m.id);
  w.u16(flagsWord(m, rcodeLow));
  w.u16(options.rawQuestion ? 1 : m.question.length);
  w.u32(0); // answer and authority counts, patched below
  w.u16(0);
  if (options.rawQuestion) {
    w.rememberName(options.rawQuestion.name, 12);
    w.bytes(options.rawQuestion.bytes);
  } else {
    for (const q of m.question) {
      w.name(q.name);
      w.u16(q.type);
      w.u16(q.class);
    }
  }
  const afterQuestion = w.pos;
  const optBytes = m.edns ? 11 + m.edns.options.reduce((n, o) => n + 4 + o.data.length, 0) : 0;
  const budget = maxBytes - optBytes;
  const counts = [0, 0, 0];
  const mustFit = [m.answer, m.authority];
  let truncated = false;
  for (let s = 0; s < 2 && !truncated; s++) {
    for (const rr of mustFit[s]!) {
      writeRecord(w, rr);
      if (w.pos > budget) {
        truncated = true;
        break;
      }
      counts[s]!++;
    }
  }
  if (truncated) {
    w.truncateTo(afterQuestion);
    counts[0] = counts[1] = 0;
  } else {
    for (const rr of m.additional) {
      const before = w.pos;
      writeRecord(w, rr);
      if (w.pos > budget) {
        w.truncateTo(before);
        if (options.additionalRequired) {
          truncated = true;
          w.truncateTo(afterQuestion);
          counts[0] = counts[1] = counts[2] = 0;
        }
        break;
      }
      counts[2]!++;
    }
  }
  if (m.edns) writeOpt(w, m.edns, extended);
  w.patch16(6, counts[0]!);
  w.patch16(8, counts[1]!);
  w.patch16(10, counts[2]! + (m.edns ? 1 : 0));
  if (truncated) w.buf[2]! |= 0x02;
  return w.result();
}

function flagsWord(f: Flags, rcodeLow: number): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x400 : 0) |
    (f.tc ? 0x200 : 0) |
    (f.rd ? 0x100 : 0) |
    (f.ra ? 0x80 : 0) |
    (f.ad ? 0x20 : 0) |
    (f.cd ? 0x10 : 0) |
    rcodeLow
  );
}

function writeRecord(w: Writer, rr: RR): void {
  w.name(rr.name);
  w.u16(rdataTypeCode(rr.data));
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lengthAt = w.pos;
  w.u16(0);
  writeRData(w, rr.data);
  w.patch16(lengthAt, w.pos - lengthAt - 2);
}

function writeOpt(w: Writer, edns: Edns, extendedRcode: number): void {
  w.u8(0);
  w.u16(RRType.OPT);
  w.u16(edns.udpSize);
  w.u32(
    ((extendedRcode & 0xff) << 24) | ((edns.version & 0xff) << 16) | (edns.dnssecOk ? 0x8000 : 0),
  );
  w.u16(edns.options.reduce((n, o) => n + 4 + o.data.length, 0));
  for (const o of edns.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}
