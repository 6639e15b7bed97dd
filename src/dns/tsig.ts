// TSIG (RFC 8945) over raw message bytes: find, verify a request, sign a reply or a request.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result, RRClass, RRType } from '../core/index.ts';
import { readRecordHeader } from './message.ts';
import { readName, WireError, Writer } from './wire.ts';

export const TsigError = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
export type TsigAlgorithm = 'hmac-sha1' | 'hmac-sha256' | 'hmac-sha512';

const HASH = {
  'hmac-sha1': { node: 'sha1', bytes: 20 },
  'hmac-sha256': { node: 'sha256', bytes: 32 },
  'hmac-sha512': { node: 'sha512', bytes: 64 },
} as const;
export const DEFAULT_FUDGE_SECONDS = 300;

export interface TsigKey {
  readonly name: string; // lower-case FQDN
  readonly algorithm: TsigAlgorithm;
  readonly secret: Buffer;
}

/** The TSIG record of a message and where it starts. */
export interface TsigRecord {
  readonly keyName: string;
  readonly algorithm: string; // as sent, lower-case FQDN ("hmac-sha256.")
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly otherData: Buffer;
  readonly offset: number; // first byte of the TSIG record
}

/**
 * The TSIG record if the message carries one; it must be the last record (RFC 8945 §5.1). Throws WireError
 * if malformed.
 */
export function findTsig(buf: Buffer): TsigRecord | undefined {
  const counts = [4, 6, 8, 10].map((at) => buf.readUInt16BE(at));
  let pos = 12;
  for (let i = 0; i < counts[0]!; i++) pos = readName(buf, pos).next + 4;
  const total = counts[1]! + counts[2]! + counts[3]!;
  for (let i = 0; i < total; i++) {
    const start = pos;
    const r = readRecordHeader(buf, pos);
    pos = r.rdataStart + r.rdataLength;
    if (r.type !== RRType.TSIG) continue;
    // RFC 8945 §5.1: the last record of the additional section, so never in the answer or authority sections.
    if (i !== total - 1 || i < counts[1]! + counts[2]! || r.class !== RRClass.ANY)
      throw new WireError('TSIG must be the last record of the additional section, of class ANY');
    const alg = readName(buf, r.rdataStart);
    let at = alg.next;
    const end = r.rdataStart + r.rdataLength;
    if (at + 10 > end) throw new WireError('TSIG rdata too short');
    const timeSigned = buf.readUIntBE(at, 6);
    const fudge = buf.readUInt16BE(at + 6);
    const macSize = buf.readUInt16BE(at + 8);
    at += 10;
    if (at + macSize + 6 > end) throw new WireError('TSIG MAC runs past the rdata');
    const mac = buf.subarray(at, at + macSize);
    at += macSize;
    const otherLength = buf.readUInt16BE(at + 4);
    if (at + 6 + otherLength !== end) throw new WireError('TSIG other data does not fit the rdata');
    return {
      keyName: r.name,
      algorithm: alg.name,
      timeSigned,
      fudge,
      mac,
      originalId: buf.readUInt16BE(at),
      error: buf.readUInt16BE(at + 2),
      otherData: buf.subarray(at + 6, end),
      offset: start,
    };
  }
  return undefined;
}

/** Why a signature is not accepted: the TSIG error (RFC 8945 §5.2), the key it names if we have it, and why. */
export interface TsigFailure {
  readonly error: number;
  readonly key: TsigKey | undefined;
  readonly reason: string;
}

/** The key that signed the message, or why its signature is not accepted. */
export type TsigVerdict = Result<TsigKey, TsigFailure>;

/** RFC 8945 §5.2: key, then MAC (constant-time), then time. */
export function verifyRequest(
  buf: Buffer,
  tsig: TsigRecord,
  keyOf: (name: string) => TsigKey | undefined,
  nowSeconds: number,
): TsigVerdict {
  const key = keyOf(tsig.keyName);
  if (!key || `${key.algorithm}.` !== tsig.algorithm) {
    return fail({
      error: TsigError.BADKEY,
      key: undefined,
      reason: key ? `key ${tsig.keyName} is not ${tsig.algorithm}` : `unknown key ${tsig.keyName}`,
    });
  }
  const full = HASH[key.algorithm].bytes;
  // RFC 8945 §5.2.2.1: a MAC may be truncated, but to no less than half the hash and 10 bytes.
  if (tsig.mac.length > full || tsig.mac.length < Math.max(10, full / 2)) {
    return fail({
      error: tsig.mac.length > full ? TsigError.BADSIG : TsigError.BADTRUNC,
      key,
      reason: `MAC of ${tsig.mac.length} bytes`,
    });
  }
  const expected = computeMac(
    key,
    unsignedPart(buf, tsig),
    tsigVariables(
      tsig.keyName,
      tsig.algorithm,
      tsig.timeSigned,
      tsig.fudge,
      tsig.error,
      tsig.otherData,
    ),
    undefined,
  ).subarray(0, tsig.mac.length);
  if (!timingSafeEqual(expected, tsig.mac))
    return fail({ error: TsigError.BADSIG, key, reason: 'MAC does not verify' });
  // The signer's fudge, but never more than ours: a message is valid for a bounded time, so a record of the ones
  // already seen (replays) need only be kept that long.
  const fudge = Math.min(tsig.fudge, DEFAULT_FUDGE_SECONDS);
  if (Math.abs(nowSeconds - tsig.timeSigned) > fudge) {
    return fail({
      error: TsigError.BADTIME,
      key,
      reason: `time signed ${tsig.timeSigned} is ${nowSeconds - tsig.timeSigned} s from now (fudge ${fudge})`,
    });
  }
  return ok(key);
}

export interface SignOptions {
  readonly timeSigned: number;
  readonly fudge?: number;
  readonly error?: number;
  readonly otherData?: Buffer;
  /** For a reply: the request's MAC, which the reply's MAC covers (RFC 8945 §5.3). */
  readonly requestMac?: Buffer;
  /** Leave the MAC empty (BADKEY and BADSIG replies are unsigned, RFC 8945 §5.3.2). */
  readonly unsigned?: boolean;
}

/** Appends a TSIG record to an unsigned message (which must not already carry one). */
export function signMessage(message: Buffer, key: TsigKey, options: SignOptions): Buffer {
  const fudge = options.fudge ?? DEFAULT_FUDGE_SECONDS;
  const error = options.error ?? 0;
  const other = options.otherData ?? Buffer.alloc(0);
  const algorithm = `${key.algorithm}.`;
  const mac = options.unsigned
    ? Buffer.alloc(0)
    : computeMac(
        key,
        message,
        tsigVariables(key.name, algorithm, options.timeSigned, fudge, error, other),
        options.requestMac,
      );
  const w = new Writer(256);
  w.name(key.name, false);
  w.u16(RRType.TSIG);
  w.u16(RRClass.ANY);
  w.u32(0);
  const lengthAt = w.pos;
  w.u16(0);
  w.name(algorithm, false);
  w.u16(Math.floor(options.timeSigned / 2 ** 32));
  w.u32(options.timeSigned >>> 0);
  w.u16(fudge);
  w.u16(mac.length);
  w.bytes(mac);
  w.u16(message.readUInt16BE(0));
  w.u16(error);
  w.u16(other.length);
  w.bytes(other);
  w.patch16(lengthAt, w.pos - lengthAt - 2);
  const out = Buffer.concat([message, w.result()]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/** The MAC of a signed message as its sender computed it (for the reply's `requestMac`). */
export function macOf(tsig: TsigRecord): Buffer {
  return Buffer.from(tsig.mac);
}

/** The message as it was before signing: TSIG removed, ARCOUNT back by one, the original ID (RFC 8945 §4.3.1). */
function unsignedPart(buf: Buffer, tsig: TsigRecord): Buffer {
  const part = Buffer.from(buf.subarray(0, tsig.offset));
  part.writeUInt16BE(tsig.originalId, 0);
  part.writeUInt16BE(buf.readUInt16BE(10) - 1, 10);
  return part;
}

/** RFC 8945 §4.3.3: key name and algorithm in canonical (uncompressed, lower-case) form. */
function tsigVariables(
  keyName: string,
  algorithm: string,
  timeSigned: number,
  fudge: number,
  error: number,
  other: Buffer,
): Buffer {
  const w = new Writer(128);
  w.name(keyName.toLowerCase(), false);
  w.u16(RRClass.ANY);
  w.u32(0);
  w.name(algorithm.toLowerCase(), false);
  w.u16(Math.floor(timeSigned / 2 ** 32));
  w.u32(timeSigned >>> 0);
  w.u16(fudge);
  w.u16(error);
  w.u16(other.length);
  w.bytes(other);
  return w.result();
}

function computeMac(
  key: TsigKey,
  message: Buffer,
  variables: Buffer,
  requestMac: Buffer | undefined,
): Buffer {
  const h = createHmac(HASH[key.algorithm].node, key.secret);
  if (requestMac) {
    const size = Buffer.alloc(2);
    size.writeUInt16BE(requestMac.length);
    h.update(size).update(requestMac);
  }
  return h.update(message).update(variables).digest();
}
