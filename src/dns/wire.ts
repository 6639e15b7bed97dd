// Bounds-checked reads and compressed writes of DNS wire format (RFC 1035 §4.1.4).
import { MAX_NAME_WIRE_BYTES } from '../core/index.ts';

/** Thrown by the reader on malformed input; the request layer turns it into FORMERR or a drop. */
export class WireError extends Error {
  override readonly name = 'WireError';
}

const MAX_POINTER_HOPS = 64;

/**
 * Reads a possibly compressed name at `offset` as a lower-case FQDN string.
 * Bytes outside [a-z0-9-_*\/] are written as \DDD so no two wire names share a string.
 * Pointers must point strictly backwards, which rules out loops.
 */
export function readName(buf: Uint8Array, offset: number): { name: string; next: number } {
  let pos = offset;
  let next = -1;
  let wireLength = 1;
  let hops = 0;
  let name = '';
  let lowestPointerTarget = offset;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: name === '' ? '.' : name, next };
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('compression pointer runs past the end');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= lowestPointerTarget)
        throw new WireError('compression pointer does not point backwards');
      if (++hops > MAX_POINTER_HOPS) throw new WireError('too many compression pointers');
      if (next < 0) next = pos + 2;
      lowestPointerTarget = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new WireError('unsupported label type');
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the end of the message');
    wireLength += len + 1;
    if (wireLength > MAX_NAME_WIRE_BYTES) throw new WireError('name longer than 255 bytes');
    name += labelText(buf, pos + 1, len) + '.';
    pos += len + 1;
  }
}

/** One label as text: ASCII lower-cased, bytes outside [a-z0-9-_*\/] as \\DDD. */
export function labelText(buf: Uint8Array, start: number, len: number): string {
  let text = '';
  for (let i = start; i < start + len; i++) {
    let c = buf[i]!;
    if (c >= 65 && c <= 90) c += 32;
    const plain =
      (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 42 || c === 47;
    text += plain ? String.fromCharCode(c) : `\\${c.toString().padStart(3, '0')}`;
  }
  return text;
}

/** The wire bytes of one label written by labelText (undoes the \DDD escapes). */
function labelBytes(label: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < label.length; i++) {
    if (label.charCodeAt(i) === 92 && i + 3 < label.length + 1) {
      out.push(Number(label.slice(i + 1, i + 4)));
      i += 3;
    } else {
      out.push(label.charCodeAt(i));
    }
  }
  return out;
}

/** A growable output buffer with a name-compression table. */
export class Writer {
  buf: Buffer;
  pos = 0;
  private readonly names = new Map<string, number>();

  /** `compression` false: every name is written whole (canonical form, RFC 4034 §6.2). */
  constructor(
    capacity = 4096,
    private readonly compression = true,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Writes a 16-bit value at an earlier position (lengths and counts). */
  patch16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  /** Remembers that `name` (lower-case FQDN) is already written at `offset`, e.g. the question. */
  rememberName(name: string, offset: number): void {
    let suffix = name;
    let at = offset;
    while (suffix !== '.' && at < 0x4000) {
      if (!this.names.has(suffix)) this.names.set(suffix, at);
      const dot = suffix.indexOf('.');
      at += labelBytes(suffix.slice(0, dot)).length + 1;
      suffix = suffix.slice(dot + 1) || '.';
    }
  }

  /** Writes a name, compressed against earlier names unless `compress` is false (RFC 3597 §4). */
  name(name: string, compress = true): void {
    let suffix = name;
    while (suffix !== '.' && suffix !== '') {
      if (compress && this.compression) {
        const at = this.names.get(suffix);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
      }
      const dot = suffix.indexOf('.');
      const bytes = labelBytes(suffix.slice(0, dot));
      if (this.pos < 0x4000 && !this.names.has(suffix)) this.names.set(suffix, this.pos);
      this.u8(bytes.length);
      for (const b of bytes) this.u8(b);
      suffix = suffix.slice(dot + 1);
    }
    this.u8(0);
  }

  /** Forgets compression targets at or after `pos`, after the output was cut back to `pos`. */
  truncateTo(pos: number): void {
    this.pos = pos;
    for (const [name, at] of this.names) if (at >= pos) this.names.delete(name);
  }

  /** A copy of what was written. */
  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
