// Record data to and from wire format, one case per type; unknown types stay opaque (RFC 3597).
import { ipv4Bytes, ipv6Bytes, ipv6Text, type RData, RRType } from '../core/index.ts';
import { readName, WireError, Writer } from './wire.ts';

/**
 * The canonical wire form of record data (RFC 4034 §6.2: names uncompressed, in lower case as they are kept): two
 * records are the same record exactly when these bytes are (RFC 2136 §1.1.1).
 */
export function canonicalRData(data: RData): Buffer {
  const w = new Writer(64, false);
  writeRData(w, data);
  return w.result();
}

export function writeRData(w: Writer, data: RData): void {
  switch (data.type) {
    case 'A':
      w.bytes(ipv4Bytes(data.address));
      return;
    case 'AAAA':
      w.bytes(ipv6Bytes(data.address));
      return;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(data.target);
      return;
    case 'MX':
      w.u16(data.preference);
      w.name(data.exchange);
      return;
    case 'TXT':
      for (const s of data.strings) writeCharacterString(w, Buffer.from(s, 'utf8'));
      return;
    case 'SRV':
      w.u16(data.priority);
      w.u16(data.weight);
      w.u16(data.port);
      w.name(data.target, false); // RFC 2782: no compression
      return;
    case 'CAA':
      w.u8(data.flags);
      writeCharacterString(w, Buffer.from(data.tag, 'latin1'));
      w.bytes(Buffer.from(data.value, 'utf8'));
      return;
    case 'SOA':
      w.name(data.mname);
      w.name(data.rname);
      for (const v of [data.serial, data.refresh, data.retry, data.expire, data.minimum]) w.u32(v);
      return;
    case 'DS':
      w.u16(data.keyTag);
      w.u8(data.algorithm);
      w.u8(data.digestType);
      w.bytes(Buffer.from(data.digest, 'hex'));
      return;
    case 'UNKNOWN':
      w.bytes(data.data);
      return;
    default: {
      const never: never = data;
      throw new Error(`unhandled rdata ${String(never)}`);
    }
  }
}

function writeCharacterString(w: Writer, bytes: Uint8Array): void {
  if (bytes.length > 255) throw new Error('character-string longer than 255 bytes');
  w.u8(bytes.length);
  w.bytes(bytes);
}

/** Decodes the rdata of `type` found at buf[start, start+length). */
export function readRData(buf: Buffer, type: number, start: number, length: number): RData {
  const end = start + length;
  if (end > buf.length) throw new WireError('rdata runs past the end of the message');
  const need = (n: number): void => {
    if (length !== n)
      throw new WireError(`rdata of type ${type} must be ${n} bytes, not ${length}`);
  };
  const nameAt = (at: number): { name: string; next: number } => {
    const r = readName(buf, at);
    if (r.next > end) throw new WireError('name runs past the end of the rdata');
    return r;
  };
  switch (type) {
    case RRType.A:
      need(4);
      return { type: 'A', address: Array.from(buf.subarray(start, end)).join('.') };
    case RRType.AAAA:
      need(16);
      return { type: 'AAAA', address: ipv6Text(buf.subarray(start, end)) };
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR: {
      const r = nameAt(start);
      if (r.next !== end) throw new WireError('trailing bytes after name in rdata');
      return {
        type: type === RRType.NS ? 'NS' : type === RRType.CNAME ? 'CNAME' : 'PTR',
        target: r.name,
      };
    }
    case RRType.MX: {
      if (length < 3) throw new WireError('MX rdata too short');
      const r = nameAt(start + 2);
      return { type: 'MX', preference: buf.readUInt16BE(start), exchange: r.name };
    }
    case RRType.TXT: {
      const strings: string[] = [];
      for (let at = start; at < end;) {
        const len = buf[at]!;
        if (at + 1 + len > end) throw new WireError('TXT string runs past the rdata');
        strings.push(buf.toString('utf8', at + 1, at + 1 + len));
        at += 1 + len;
      }
      return { type: 'TXT', strings };
    }
    case RRType.SRV: {
      if (length < 7) throw new WireError('SRV rdata too short');
      const r = nameAt(start + 6);
      return {
        type: 'SRV',
        priority: buf.readUInt16BE(start),
        weight: buf.readUInt16BE(start + 2),
        port: buf.readUInt16BE(start + 4),
        target: r.name,
      };
    }
    case RRType.CAA: {
      if (length < 2) throw new WireError('CAA rdata too short');
      const tagLen = buf[start + 1]!;
      if (start + 2 + tagLen > end) throw new WireError('CAA tag runs past the rdata');
      return {
        type: 'CAA',
        flags: buf[start]!,
        tag: buf.toString('latin1', start + 2, start + 2 + tagLen),
        value: buf.toString('utf8', start + 2 + tagLen, end),
      };
    }
    case RRType.SOA: {
      const m = nameAt(start);
      const r = nameAt(m.next);
      if (r.next + 20 !== end) throw new WireError('SOA rdata has the wrong length');
      const at = r.next;
      return {
        type: 'SOA',
        mname: m.name,
        rname: r.name,
        serial: buf.readUInt32BE(at),
        refresh: buf.readUInt32BE(at + 4),
        retry: buf.readUInt32BE(at + 8),
        expire: buf.readUInt32BE(at + 12),
        minimum: buf.readUInt32BE(at + 16),
      };
    }
    case RRType.DS:
      if (length < 5) throw new WireError('DS rdata too short');
      return {
        type: 'DS',
        keyTag: buf.readUInt16BE(start),
        algorithm: buf[start + 2]!,
        digestType: buf[start + 3]!,
        digest: buf.toString('hex', start + 4, end),
      };
    default:
      return { type: 'UNKNOWN', code: type, data: new Uint8Array(buf.subarray(start, end)) };
  }
}
