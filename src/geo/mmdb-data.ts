// The few fields gslb decides on, read straight from a MaxMind DB's data section without decoding whole records.
//
// Building a database's tree of facts (fact-tree.ts) visits every record it has (340,806 in GeoLite2-City). The
// maxmind package decodes a record whole (names in eight languages, coordinates, postal codes): 6.2 s for
// GeoLite2-City, 2.1 s with its offset cache. Reading only continent, country, first subdivision, AS number,
// organisation and ISP, and skipping the rest by their sizes, takes 0.6 s.
// Format: https://maxmind.github.io/MaxMind-DB/ (section "Output Data Section").

/** What a record says, as `MmdbLookup` reports it. */
export interface MmdbFields {
  readonly geo: string | undefined;
  readonly asn: number | undefined;
  readonly isp: string | undefined;
}

const POINTER = 1;
const UTF8 = 2;
const MAP = 7;
const ARRAY = 11;
const BOOLEAN = 14;
const UINT_TYPES = new Set([5, 6, 9, 10]); // uint16, uint32, uint64, uint128

interface Control {
  readonly type: number;
  /** The size (bytes, pairs or elements), or for a pointer its target offset in the data section. */
  readonly size: number;
  /** Where the payload starts. */
  readonly at: number;
}

/** Reads records' fields at data-section offsets; every offset it is given is bounds-checked. */
export class MmdbDataReader {
  private readonly keys = new Map<number, string>();
  private readonly codes = new Map<number, string | undefined>();

  constructor(
    private readonly buf: Buffer,
    private readonly base: number, // where the data section starts in the file
  ) {}

  /** The record at `offset` (relative to the data section); a malformed record throws a RangeError. */
  fields(offset: number): MmdbFields {
    let continent: string | undefined;
    let country: string | undefined;
    let subdivision: string | undefined;
    let asn: number | undefined;
    let org: string | undefined;
    let isp: string | undefined;
    const top = this.resolve(this.base + offset);
    if (top.type !== MAP) return { geo: undefined, asn: undefined, isp: undefined };
    let at = top.at;
    for (let i = 0; i < top.size; i++) {
      const key = this.key(at);
      at = this.skip(at);
      switch (key) {
        case 'continent':
          continent = this.code(at, 'code');
          break;
        case 'country':
          country = this.code(at, 'iso_code');
          break;
        case 'subdivisions':
          subdivision = this.firstCode(at);
          break;
        case 'autonomous_system_number':
          asn = this.uint(at);
          break;
        case 'autonomous_system_organization':
          org = this.string(at);
          break;
        case 'isp':
          isp = this.string(at);
          break;
      }
      at = this.skip(at);
    }
    let geo: string | undefined;
    if (continent)
      geo = country
        ? subdivision
          ? `${continent}-${country}-${subdivision}`
          : `${continent}-${country}`
        : continent;
    return { geo, asn, isp: isp ?? org };
  }

  private control(at: number): Control {
    const ctrl = this.byte(at++);
    let type = ctrl >> 5;
    if (type === POINTER) {
      const ss = (ctrl >> 3) & 3;
      const v = ctrl & 7;
      let p: number;
      if (ss === 0) p = (v << 8) | this.byte(at);
      else if (ss === 1) p = ((v << 16) | (this.byte(at) << 8) | this.byte(at + 1)) + 2048;
      else if (ss === 2)
        p =
          ((v << 24) | (this.byte(at) << 16) | (this.byte(at + 1) << 8) | this.byte(at + 2)) +
          526336;
      else
        p =
          this.byte(at + 3) +
          this.byte(at + 2) * 2 ** 8 +
          this.byte(at + 1) * 2 ** 16 +
          this.byte(at) * 2 ** 24;
      return { type, size: p, at: at + ss + 1 };
    }
    if (type === 0) type = this.byte(at++) + 7;
    let size = ctrl & 0x1f;
    if (size === 29) size = 29 + this.byte(at++);
    else if (size === 30) {
      size = 285 + ((this.byte(at) << 8) | this.byte(at + 1));
      at += 2;
    } else if (size === 31) {
      size = 65821 + ((this.byte(at) << 16) | (this.byte(at + 1) << 8) | this.byte(at + 2));
      at += 3;
    }
    return { type, size, at };
  }

  private byte(at: number): number {
    const b = this.buf[at];
    if (b === undefined) throw new RangeError(`MaxMind DB data ends before offset ${at}`);
    return b;
  }

  /** The value at `at`, a pointer followed once (the format allows no pointer to a pointer). */
  private resolve(at: number): Control {
    const c = this.control(at);
    return c.type === POINTER ? this.control(this.base + c.size) : c;
  }

  /** The offset after the value at `at` (a pointer is two to five bytes; its target is not visited). */
  private skip(at: number): number {
    const c = this.control(at);
    if (c.type === POINTER) return c.at;
    if (c.type === MAP || c.type === ARRAY) {
      let next = c.at;
      for (let i = 0; i < (c.type === MAP ? 2 * c.size : c.size); i++) next = this.skip(next);
      return next;
    }
    return c.type === BOOLEAN ? c.at : c.at + c.size;
  }

  /** A map key: most are pointers to one copy of the key, so those are read once per copy. */
  private key(at: number): string | undefined {
    const c = this.control(at);
    if (c.type !== POINTER) return this.string(at);
    const target = this.base + c.size;
    let key = this.keys.get(target);
    if (key === undefined) {
      key = this.string(target);
      if (key !== undefined) this.keys.set(target, key);
    }
    return key;
  }

  private string(at: number): string | undefined {
    const c = this.resolve(at);
    if (c.type !== UTF8) return undefined;
    if (c.at + c.size > this.buf.length)
      throw new RangeError('MaxMind DB string runs past the end');
    return this.buf.toString('utf8', c.at, c.at + c.size);
  }

  private uint(at: number): number | undefined {
    const c = this.resolve(at);
    if (!UINT_TYPES.has(c.type) || c.size > 6) return undefined;
    let v = 0;
    for (let i = 0; i < c.size; i++) v = v * 256 + this.byte(c.at + i);
    return v;
  }

  /** The string under `field` of the map at `at` (continent.code, country.iso_code), cached by the map's offset. */
  private code(at: number, field: string): string | undefined {
    const c = this.resolve(at);
    const cacheKey = c.at * 2 + (field === 'code' ? 0 : 1);
    if (this.codes.has(cacheKey)) return this.codes.get(cacheKey);
    let value: string | undefined;
    if (c.type === MAP) {
      let next = c.at;
      for (let i = 0; i < c.size && value === undefined; i++) {
        const key = this.key(next);
        next = this.skip(next);
        if (key === field) value = this.string(next);
        next = this.skip(next);
      }
    }
    this.codes.set(cacheKey, value);
    return value;
  }

  private firstCode(at: number): string | undefined {
    const c = this.resolve(at);
    if (c.type !== ARRAY || c.size === 0) return undefined;
    return this.code(c.at, 'iso_code');
  }
}
