// Binary trees stored as pairs of references in one Int32Array, each distinct pair once: equal subtrees are shared, so
// a tree becomes a graph that walks exactly like it (decision trees, the GeoIP facts trees).

/** Nodes as (zero, one) pairs; `node` gives the number of a pair, the same for the same pair. */
export class NodeStore {
  private nodes = new Int32Array(1 << 12);
  private used = 0;
  private readonly known = new PairTable();

  constructor(private readonly limit: number) {}

  /** The node with these children, added if new; a RangeError past `limit` nodes. */
  node(zero: number, one: number): number {
    const same = this.known.get(zero, one);
    if (same >= 0) return same;
    if (this.used >= this.limit) throw new RangeError(`more than ${this.limit} nodes`);
    if (this.used * 2 === this.nodes.length) {
      const grown = new Int32Array(this.nodes.length * 2);
      grown.set(this.nodes);
      this.nodes = grown;
    }
    this.nodes[this.used * 2] = zero;
    this.nodes[this.used * 2 + 1] = one;
    this.known.set(zero, one, this.used);
    return this.used++;
  }

  /** The pairs, exactly as many as there are. */
  finish(): Int32Array {
    return this.nodes.slice(0, this.used * 2);
  }
}

/**
 * Node by its two children, for storing equal subtrees once: open addressing over typed arrays, where a Map of
 * millions of numeric keys grew the heap by some 200 MB while GeoLite2-City was built, and kept the process's
 * memory high after it.
 */
class PairTable {
  private zeros = new Int32Array(1 << 16);
  private ones = new Int32Array(1 << 16);
  private values = new Int32Array(1 << 16).fill(-1);
  private count = 0;

  /** The value stored for (zero, one), or -1. */
  get(zero: number, one: number): number {
    const mask = this.values.length - 1;
    for (let i = hashPair(zero, one) & mask; ; i = (i + 1) & mask) {
      const v = this.values[i]!;
      if (v < 0 || (this.zeros[i] === zero && this.ones[i] === one)) return v;
    }
  }

  /** Stores a value (at least 0) for a pair not stored yet. */
  set(zero: number, one: number, value: number): void {
    if (2 * (this.count + 1) > this.values.length) this.grow();
    const mask = this.values.length - 1;
    let i = hashPair(zero, one) & mask;
    while (this.values[i]! >= 0) i = (i + 1) & mask;
    this.zeros[i] = zero;
    this.ones[i] = one;
    this.values[i] = value;
    this.count++;
  }

  private grow(): void {
    const [zeros, ones, values] = [this.zeros, this.ones, this.values];
    this.zeros = new Int32Array(zeros.length * 2);
    this.ones = new Int32Array(zeros.length * 2);
    this.values = new Int32Array(zeros.length * 2).fill(-1);
    this.count = 0;
    for (let i = 0; i < values.length; i++)
      if (values[i]! >= 0) this.set(zeros[i]!, ones[i]!, values[i]!);
  }
}

function hashPair(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 13);
}
