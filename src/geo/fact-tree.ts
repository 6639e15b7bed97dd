// A MaxMind DB reduced to what gslb decides on: its search tree with each record replaced by the number of its facts
// (continent-country-subdivision, AS number, ISP), sibling blocks with equal facts merged and equal subtrees stored
// once. GeoLite2-City (63 MB, 5.8 million nodes) becomes a few MB, so the file itself need not stay in memory; the
// tree answers lookups and is what decision trees are compiled over.
import { NodeStore } from '../core/index.ts';
import type { MmdbFields } from './mmdb-data.ts';

/** A search tree as the format defines it: values below `nodeCount` are nodes, `nodeCount` is no data, above: data. */
export interface SearchTree {
  readonly nodeCount: number;
  readonly ipVersion: 4 | 6;
  /** The left (bit 0) or right (bit 1) record of a node. */
  child(node: number, bit: number): number;
}

/** The facts a tree value stands for, numbered (0: no record). */
export interface FactTable {
  factId(value: number): number;
  facts(id: number): MmdbFields;
}

/** Nodes of a fact tree are below FACT_BASE; a leaf is FACT_BASE + the number of its facts (0: no record). */
const FACT_BASE = 2 ** 25; // nodes and leaves stay below 2^26, so a pair of them is one exact number
const SLICE_DEPTH = { 4: 8, 6: 20 } as const;

export class FactTree implements SearchTree, FactTable {
  readonly nodeCount = FACT_BASE;
  /** The node IPv4 addresses start from: ::/96 of an IPv6 tree, the root of an IPv4 one. */
  readonly ipv4Start: number;

  constructor(
    private readonly nodes: Int32Array,
    /** The node of the whole address space. */
    readonly root: number,
    readonly ipVersion: 4 | 6,
    private readonly table: FactList,
    /** Nodes of the database's own tree: what walking this one may cost is bounded by it. */
    readonly sourceNodes: number,
  ) {
    let start = root;
    if (ipVersion === 6)
      for (let d = 0; d < 96 && start < FACT_BASE; d++) start = this.child(start, 0);
    this.ipv4Start = start;
  }

  child(node: number, bit: number): number {
    return this.nodes[2 * node + bit]!;
  }

  factId(value: number): number {
    return value > FACT_BASE ? value - FACT_BASE : 0;
  }

  facts(id: number): MmdbFields {
    return this.table.get(id);
  }

  /** Nodes stored (for reports). */
  get size(): number {
    return this.nodes.length / 2;
  }

  /** The facts of an address and the prefix of the widest block with the same facts around it. */
  lookup(address: Uint8Array): { facts: MmdbFields; prefix: number } {
    if (address.length === 16 && this.ipVersion === 4)
      return { facts: this.table.get(0), prefix: 0 };
    let v = address.length === 4 ? this.ipv4Start : this.root;
    let depth = 0;
    while (v < FACT_BASE && depth < address.length * 8) {
      v = this.child(v, (address[depth >> 3]! >> (7 - (depth & 7))) & 1);
      depth++;
    }
    return { facts: this.table.get(this.factId(v)), prefix: depth };
  }
}

/**
 * Builds the fact tree of `source`, yielding between slices (run it with `runSync` or `runSliced`). Each node of the
 * source is visited once, however many branches point at it (MaxMind's IPv6 trees alias the IPv4 subtree), and a
 * node met again below itself (a damaged file) counts as no data: the cost is linear in the file.
 */
export function* buildFactTree(
  source: SearchTree,
  read: (value: number) => MmdbFields,
): Generator<void, FactTree> {
  const b = new Builder(source, read);
  const root = yield* b.sliced(0, 0);
  return new FactTree(b.finish(), root, source.ipVersion, b.table.finish(), source.nodeCount);
}

/**
 * The distinct facts of a database, numbered from 0 (no record). Stored as columns, the organisation names as UTF-8
 * in one buffer: GeoLite2-ASN has 80,632 distinct (AS, organisation) pairs, 8 MB of heap as objects, 2.5 MB so.
 */
class FactList {
  private readonly geos: (string | undefined)[] = [];
  private asns = new Float64Array(1 << 10); // NaN: none
  private ispEnds = new Int32Array(1 << 10); // where each name ends in `text`; ~end for none
  private text = new Uint8Array(1 << 14);
  private used = 0;
  private textUsed = 0;

  constructor() {
    this.add({ geo: undefined, asn: undefined, isp: undefined });
  }

  get length(): number {
    return this.used;
  }

  add(f: MmdbFields): number {
    if (this.used === this.asns.length) {
      this.asns = grown(this.asns, this.used * 2);
      this.ispEnds = grown(this.ispEnds, this.used * 2);
    }
    if (f.isp !== undefined) {
      const bytes = Buffer.from(f.isp, 'utf8');
      if (this.textUsed + bytes.length > this.text.length)
        this.text = grown(this.text, Math.max(this.text.length * 2, this.textUsed + bytes.length));
      this.text.set(bytes, this.textUsed);
      this.textUsed += bytes.length;
    }
    this.geos.push(f.geo);
    this.asns[this.used] = f.asn ?? NaN;
    this.ispEnds[this.used] = f.isp === undefined ? ~this.textUsed : this.textUsed;
    return this.used++;
  }

  get(id: number): MmdbFields {
    const asn = this.asns[id]!;
    const end = this.ispEnds[id]!;
    const before = id > 0 ? this.ispEnds[id - 1]! : 0;
    const start = before < 0 ? ~before : before;
    return {
      geo: this.geos[id],
      asn: Number.isNaN(asn) ? undefined : asn,
      isp: end < 0 ? undefined : Buffer.from(this.text.buffer, start, end - start).toString('utf8'),
    };
  }

  /** The same facts with the buffers cut to what they hold. */
  finish(): FactList {
    this.asns = this.asns.slice(0, this.used);
    this.ispEnds = this.ispEnds.slice(0, this.used);
    this.text = this.text.slice(0, this.textUsed);
    return this;
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

class Builder {
  readonly table = new FactList();
  private readonly byText = new Map<string, number>();
  private readonly byValue = new Map<number, number>();
  /** Per source node, its reference in the new tree plus one (0: not built yet, -1: being built). */
  private readonly built: Int32Array;
  private readonly store = new NodeStore(FACT_BASE);
  private readonly bits: number;
  private readonly sliceDepth: number;

  constructor(
    private readonly source: SearchTree,
    private readonly read: (value: number) => MmdbFields,
  ) {
    this.built = new Int32Array(source.nodeCount);
    this.bits = source.ipVersion === 4 ? 32 : 128;
    this.sliceDepth = SLICE_DEPTH[source.ipVersion];
  }

  *sliced(node: number, depth: number): Generator<void, number> {
    if (depth >= this.sliceDepth || node >= this.source.nodeCount) {
      yield;
      return this.walk(node, depth);
    }
    const zero = yield* this.sliced(this.source.child(node, 0), depth + 1);
    const one = yield* this.sliced(this.source.child(node, 1), depth + 1);
    return this.join(zero, one);
  }

  finish(): Int32Array {
    return this.store.finish();
  }

  private walk(node: number, depth: number): number {
    const { source } = this;
    if (node >= source.nodeCount) return this.leaf(node);
    const seen = this.built[node]!;
    if (seen > 0) return seen - 1;
    if (seen < 0 || depth >= this.bits) return FACT_BASE; // a loop, or deeper than an address: no data
    this.built[node] = -1;
    const ref = this.join(
      this.walk(source.child(node, 0), depth + 1),
      this.walk(source.child(node, 1), depth + 1),
    );
    this.built[node] = ref + 1;
    return ref;
  }

  private leaf(value: number): number {
    if (value === this.source.nodeCount) return FACT_BASE;
    let id = this.byValue.get(value);
    if (id === undefined) {
      const f = this.read(value);
      const text = `${f.geo ?? ''}|${f.asn ?? ''}|${f.isp ?? ''}`;
      id = this.byText.get(text);
      if (id === undefined) this.byText.set(text, (id = this.table.add(f)));
      this.byValue.set(value, id);
    }
    return FACT_BASE + id;
  }

  private join(zero: number, one: number): number {
    return zero === one && zero >= FACT_BASE ? zero : this.store.node(zero, one);
  }
}

/** Runs stepwise work to its end at once. */
export function runSync<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs stepwise work, awaiting `pause` between steps (it decides when to give way, and may reject to stop). */
export async function runSliced<T>(
  steps: Generator<void, T>,
  pause: () => Promise<void>,
): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pause();
  }
}
