// Response rate limiting (as BIND's, Knot's and NSD's RRL): responses per second per source prefix and
// response class,
// so a server cannot be used to flood a spoofed victim with answers. A fixed table of counters, bounded whatever the
// sources; the clock is a parameter.
import { addressBytes, type Cidr, cidrContains } from '../core/index.ts';

export interface RateLimitOptions {
  /** Responses per second per (source prefix, response class); 0: no limit (counting still runs). */
  readonly responsesPerSecond: number;
  /** Every `slip`-th limited response is sent truncated (TC=1), so a real client can retry over TCP; 0: none. */
  readonly slip: number;
  /** Seconds of debt a limited source may build: it is limited until it has kept under the rate that long. */
  readonly windowSeconds: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  /** Sources whose responses are counted but never limited. */
  readonly exempt: readonly Cidr[];
}

/**
 * send: as is; slip: truncated instead; drop: not at all. `exempt`: would have been limited, but the source
 * is exempt.
 */
export type Verdict = 'send' | 'slip' | 'drop' | 'exempt';

/**
 * The table: 2^16 sets of two buckets (2.5 MB in all), a bucket for a (source prefix, response class) pair. A newcomer
 * takes a bucket that is not limited, else the one used least recently: a flood of many pairs cannot push out the one
 * that is limited.
 */
const SETS = 1 << 16;
const WAYS = 2;

export class RateLimiter {
  private readonly tags = new Int32Array(SETS * WAYS); // which pair a bucket counts (0: none)
  private readonly stamps = new Int32Array(SETS * WAYS); // the second it was last used
  private readonly credits = new Float64Array(SETS * WAYS); // responses it may still send (negative: debt)
  private readonly slips = new Uint8Array(SETS * WAYS);
  private readonly v4Mask: number;
  private readonly v6Bytes: number;
  private readonly v6LastMask: number;
  /** Exempt IPv4 networks as (network, mask) pairs, side by side. */
  private readonly exempt4: Int32Array;
  private readonly exempt6: readonly Cidr[];

  constructor(private readonly options: RateLimitOptions) {
    this.v4Mask = options.ipv4Prefix === 0 ? 0 : (0xffffffff << (32 - options.ipv4Prefix)) | 0;
    this.v6Bytes = Math.ceil(options.ipv6Prefix / 8);
    this.v6LastMask =
      options.ipv6Prefix % 8 === 0 ? 0xff : (0xff << (8 - (options.ipv6Prefix % 8))) & 0xff;
    this.exempt4 = Int32Array.from(
      options.exempt
        .filter((c) => c.bytes.length === 4)
        .flatMap((c) => {
          const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) | 0;
          return [int32(c.bytes) & mask, mask];
        }),
    );
    this.exempt6 = options.exempt.filter((c) => c.bytes.length === 16);
  }

  /**
   * Counts one response of class `responseClass` (a hash of what it is, see query/) to `source` at `nowSeconds`,
   * and says what to do with it.
   */
  check(source: string, responseClass: number, nowSeconds: number): Verdict {
    const v4 = ipv4Int(source);
    let key: number;
    let exempt: boolean;
    if (v4 !== undefined) {
      key = mix(responseClass ^ Math.imul(v4 & this.v4Mask, 0x9e3779b1), 4);
      exempt = false;
      for (let i = 0; i < this.exempt4.length && !exempt; i += 2)
        exempt = (v4 & this.exempt4[i + 1]!) === this.exempt4[i];
    } else {
      const bytes = addressBytes(source);
      if (!bytes) return 'send';
      if (bytes.length === 4) return this.check(bytes.join('.'), responseClass, nowSeconds);
      key = responseClass;
      for (let i = 0; i < this.v6Bytes; i++)
        key = mix(key, i === this.v6Bytes - 1 ? bytes[i]! & this.v6LastMask : bytes[i]!);
      key = mix(key, 6);
      exempt = this.exempt6.some((c) => cidrContains(c, bytes));
    }
    const limited = this.count(key, nowSeconds | 0);
    if (!limited) return 'send';
    return exempt ? 'exempt' : limited;
  }

  /** Spends a credit of the pair's bucket; undefined while it has credit, else whether to slip or drop. */
  private count(key: number, now: number): 'slip' | 'drop' | undefined {
    const rate = this.options.responsesPerSecond || Infinity;
    const tag = key | 1;
    const set = (key >>> 16) * WAYS;
    let b = this.tags[set] === tag ? set : set + 1;
    if (this.tags[b] !== tag) {
      b = this.victim(set);
      this.tags[b] = tag;
      this.stamps[b] = now;
      this.credits[b] = rate;
      this.slips[b] = 0;
    }
    // A second's worth of credit per second, up to one second's; a debt of at most `window` seconds' worth.
    const elapsed = now - this.stamps[b]!;
    if (elapsed > 0) this.credits[b] = Math.min(rate, this.credits[b]! + elapsed * rate);
    this.stamps[b] = now;
    this.credits[b] = Math.max(this.credits[b]! - 1, -rate * this.options.windowSeconds);
    if (this.credits[b]! >= 0) return undefined;
    const slip = this.options.slip;
    if (slip === 0) return 'drop';
    this.slips[b] = (this.slips[b]! + 1) % slip;
    return this.slips[b] === 0 ? 'slip' : 'drop';
  }

  /**
   * The bucket of a set a newcomer takes: one not in debt before one that is (those are what RRL must
   * remember), then the one used least recently.
   */
  private victim(set: number): number {
    const [a, b] = [set, set + 1];
    const aLimited = this.credits[a]! < 0 && this.tags[a] !== 0;
    const bLimited = this.credits[b]! < 0 && this.tags[b] !== 0;
    if (aLimited !== bLimited) return aLimited ? b : a;
    return this.stamps[a]! <= this.stamps[b]! ? a : b;
  }
}

/** A 32-bit hash of a response class's text (what query/ computes once per cached reply). */
export function classHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x01000193);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) | 0;
}

function int32(bytes: Uint8Array): number {
  return (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
}

/** "a.b.c.d" (also "::ffff:a.b.c.d") as a 32-bit number, without allocating; undefined for anything else. */
function ipv4Int(text: string): number | undefined {
  let i = text.charCodeAt(0) === 58 && text.startsWith('::ffff:') ? 7 : 0;
  let value = 0;
  for (let part = 0; part < 4; part++) {
    let octet = 0;
    let digits = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      digits++;
    }
    if (digits === 0 || digits > 3 || octet > 255) return undefined;
    value = (value << 8) | octet;
    if (part < 3) {
      if (text.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === text.length ? value | 0 : undefined;
}
