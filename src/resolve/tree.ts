// A dynamic record's rules compiled over the whole address space: one walk by the client's address bits reaches the
// pool its first matching rule names, and the depth of that walk is the widest block with the same outcome (the ECS
// scope). Built by walking the custom networks, the rule subnets and the MaxMind search trees together, evaluating the
// rules once per block where all of them stop dividing, and merging sibling blocks with the same outcome.
//
// Health and overrides are not in the tree: they choose within the outcome at query time, so a health transition never
// recompiles anything. Records with the same rules share one tree (see trees.ts).
import { geoMatches, NodeStore } from '../core/index.ts';
import type { CustomNetwork, FactTree, GeoDatabase, MmdbFields, TrieNode } from '../geo/index.ts';
import { PrefixTrie } from '../geo/index.ts';
import type { Rule } from '../zone/index.ts';

const JUMP_BITS = 16; // see DecisionTree.jumpTable

/**
 * The compiled rules. `nodes` holds two references per node (bit 0, bit 1); a reference at or above zero is a node,
 * below zero the leaf `-(outcome + 1)`.
 */
export class DecisionTree {
  /** Where a walk stands after the first JUMP_BITS bits of an address (or the leaf it met), and at what depth. */
  private readonly jump4: Int32Array;
  private readonly jump6: Int32Array;
  private readonly depth4: Uint8Array;
  private readonly depth6: Uint8Array;

  constructor(
    private readonly nodes: Int32Array,
    private readonly root4: number,
    private readonly root6: number,
    /** Each outcome: the pool of the first rule that matches, or undefined when no rule does. */
    readonly outcomes: readonly (string | undefined)[],
  ) {
    [this.jump4, this.depth4] = this.jumpTable(root4);
    [this.jump6, this.depth6] = this.jumpTable(root6);
  }

  /** `outcome * 256 + scope`: the outcome for an address, and the prefix length of the widest block sharing it. */
  find(address: Uint8Array): number {
    const nodes = this.nodes;
    const slot = (address[0]! << 8) | address[1]!; // every address has its first JUMP_BITS = 16 bits
    const v4 = address.length === 4;
    let ref = (v4 ? this.jump4 : this.jump6)[slot]!;
    let depth = (v4 ? this.depth4 : this.depth6)[slot]!;
    while (ref >= 0) {
      ref = nodes[2 * ref + ((address[depth >> 3]! >> (7 - (depth & 7))) & 1)]!;
      depth++;
    }
    return (-ref - 1) * 256 + depth;
  }

  /**
   * The walk of the first bits done once for every value they can have: a query then walks from depth 16 (a tree
   * over GeoLite2 is some 20 levels deep there, each a likely cache miss).
   */
  private jumpTable(root: number): [Int32Array, Uint8Array] {
    const refs = new Int32Array(1 << JUMP_BITS);
    const depths = new Uint8Array(1 << JUMP_BITS);
    for (let slot = 0; slot < 1 << JUMP_BITS; slot++) {
      let ref = root;
      let depth = 0;
      while (ref >= 0 && depth < JUMP_BITS) {
        ref = this.nodes[2 * ref + ((slot >> (JUMP_BITS - 1 - depth)) & 1)]!;
        depth++;
      }
      refs[slot] = ref;
      depths[slot] = depth;
    }
    return [refs, depths];
  }

  /** Nodes, for reports and tests. */
  get size(): number {
    return this.nodes.length / 2;
  }

  /** Every leaf as [family, network bytes, prefix, outcome], in address order (for tests and reports). */
  *leaves(): Generator<[4 | 16, Uint8Array, number, number]> {
    for (const family of [4, 16] as const) {
      const bytes = new Uint8Array(family);
      const walk = function* (
        this: DecisionTree,
        ref: number,
        depth: number,
      ): Generator<[4 | 16, Uint8Array, number, number]> {
        if (ref < 0) {
          yield [family, bytes.slice(), depth, -ref - 1];
          return;
        }
        for (const bit of [0, 1]) {
          if (bit) bytes[depth >> 3]! |= 0x80 >> (depth & 7);
          yield* walk.call(this, this.nodes[2 * ref + bit]!, depth + 1);
          if (bit) bytes[depth >> 3]! &= ~(0x80 >> (depth & 7));
        }
      };
      yield* walk.call(this, family === 4 ? this.root4 : this.root6, 0);
    }
  }
}

/** Why a record's rules have no tree: it decides per client instead. */
export class CompileError extends Error {}

/** What compiling may cost: visits of tree nodes past this many, and the rules are decided per client. */
const STEPS_PER_NODE = 8;
const MIN_STEPS = 1 << 20;
const MAX_RULES = 30; // one bit each in the subnet mask
const NODE_LIMIT = 2 ** 25; // nodes of one tree
const FACT_IDS = 2 ** 24; // per database: two fit one exact number as a cache key
/** Above this depth the walk goes in slices: at most one /8 (IPv4) or /20 (IPv6) is walked without a pause. */
const SLICE_DEPTH = { 4: 8, 16: 20 } as const;

interface Source {
  readonly tree: FactTree;
  readonly facts: 'location' | 'network';
}

/** Whether compiling these rules walks a MaxMind database (seconds with real data) or only tries (instant). */
export function needsDatabases(rules: readonly Rule[], geo: GeoDatabase | undefined): boolean {
  return geo !== undefined && geo.databases.length > 0 && rules.some((r) => usesFacts(r));
}

function usesFacts(r: Rule): boolean {
  return r.geos.length > 0 || r.asns.length > 0 || r.isps.length > 0;
}

/**
 * Compiles rules over the address space. `pause` is awaited between slices (a server answers queries meanwhile);
 * throws CompileError when the rules cannot be compiled within bounds (a damaged or hostile database).
 */
export async function compileRules(
  rules: readonly Rule[],
  geo: GeoDatabase | undefined,
  pause: () => Promise<void> = () => Promise.resolve(),
): Promise<DecisionTree> {
  const c = new Compiler(rules, geo, pause);
  const root4 = await c.family(4);
  const root6 = await c.family(16);
  return new DecisionTree(c.finish(), root4, root6, c.outcomes);
}

/** The same, for rules that walk no database (no geos, asns or isps, or no GeoIP data): no pause needed. */
export function compileRulesNow(
  rules: readonly Rule[],
  geo: GeoDatabase | undefined,
): DecisionTree {
  if (needsDatabases(rules, geo))
    throw new CompileError('these rules need the databases walked in slices');
  const c = new Compiler(rules, geo, undefined);
  const root4 = c.familyNow(4);
  const root6 = c.familyNow(16);
  return new DecisionTree(c.finish(), root4, root6, c.outcomes);
}

class Compiler {
  readonly outcomes: (string | undefined)[] = [];
  private readonly outcomeIds = new Map<string | undefined, number>();
  private readonly sources: Source[] = [];
  private readonly custom: PrefixTrie<CustomNetwork>;
  private readonly subnets = new PrefixTrie<number>();
  private readonly evaluated = new Map<string, number>();
  private readonly byFacts: (Map<number, number> | undefined)[] = [];
  private readonly aliases = new Map<string, number>();
  private readonly store = new NodeStore(NODE_LIMIT);
  private readonly byNode = new Map<number, number>();
  private steps = 0;
  private readonly maxSteps: number;
  /** Per depth, each source's tree value at the block being walked (depth × sources). */
  private state = new Int32Array(0);
  private bits = 32;
  private sliceDepth = 8;

  constructor(
    private readonly rules: readonly Rule[],
    geo: GeoDatabase | undefined,
    private readonly pause: (() => Promise<void>) | undefined,
  ) {
    if (rules.length > MAX_RULES)
      throw new CompileError(`more than ${MAX_RULES} rules: decided per client`);
    const location = rules.some((r) => r.geos.length > 0);
    const network = rules.some((r) => r.asns.length > 0 || r.isps.length > 0);
    for (const db of geo?.databases ?? []) {
      if (!(db.kind === 'location' ? location : network)) continue;
      this.sources.push({
        tree: db.tree,
        facts: db.kind === 'location' ? 'location' : 'network',
      });
    }
    this.custom = location || network ? (geo?.custom ?? new PrefixTrie()) : new PrefixTrie();
    const masks = new Map<string, { cidr: Rule['subnets'][number]['cidr']; mask: number }>();
    rules.forEach((rule, i) => {
      for (const s of rule.subnets) {
        const key = `${s.cidr.bytes.join('.')}/${s.cidr.prefix}`;
        const entry = masks.get(key) ?? { cidr: s.cidr, mask: 0 };
        entry.mask |= 1 << i;
        masks.set(key, entry);
      }
    });
    for (const { cidr, mask } of masks.values()) this.subnets.insert(cidr, mask);
    const nodeCount = this.sources.reduce((n, s) => n + s.tree.sourceNodes, 0);
    this.maxSteps = Math.max(MIN_STEPS, STEPS_PER_NODE * nodeCount);
  }

  async family(family: 4 | 16): Promise<number> {
    const start = this.begin(family);
    return this.walkSliced(0, start.custom, start.best, start.subnets, start.mask);
  }

  familyNow(family: 4 | 16): number {
    const start = this.begin(family);
    return this.walk(0, start.custom, start.best, start.subnets, start.mask);
  }

  finish(): Int32Array {
    return this.store.finish();
  }

  private begin(family: 4 | 16) {
    this.bits = family * 8;
    this.sliceDepth = SLICE_DEPTH[family];
    const k = this.sources.length;
    this.state = new Int32Array((this.bits + 1) * k);
    this.sources.forEach(({ tree }, i) => {
      // An IPv4-only database knows nothing of IPv6 addresses (as its lookups say).
      this.state[i] =
        family === 4 ? tree.ipv4Start : tree.ipVersion === 6 ? tree.root : tree.nodeCount;
    });
    const custom = this.custom.root(family);
    const subnets = this.subnets.root(family);
    return { custom, best: custom.entry?.value, subnets, mask: subnets.entry?.value ?? 0 };
  }

  private async walkSliced(
    depth: number,
    custom: TrieNode<CustomNetwork> | undefined,
    best: CustomNetwork | undefined,
    subnets: TrieNode<number> | undefined,
    mask: number,
  ): Promise<number> {
    if (depth >= this.sliceDepth || this.done(depth, custom, subnets)) {
      await this.pause?.();
      return this.walk(depth, custom, best, subnets, mask);
    }
    const refs = [0, 0];
    for (const bit of [0, 1]) {
      const c = this.descend(depth, bit, custom, subnets);
      refs[bit] = await this.walkSliced(
        depth + 1,
        c.custom,
        c.custom?.entry?.value ?? best,
        c.subnets,
        mask | (c.subnets?.entry?.value ?? 0),
      );
    }
    return this.join(refs[0]!, refs[1]!);
  }

  private walk(
    depth: number,
    custom: TrieNode<CustomNetwork> | undefined,
    best: CustomNetwork | undefined,
    subnets: TrieNode<number> | undefined,
    mask: number,
  ): number {
    if (!custom?.zero && !custom?.one && !subnets?.zero && !subnets?.one)
      return this.walkTrees(depth, best, mask);
    this.count();
    const refs = [0, 0];
    for (const bit of [0, 1]) {
      const c = this.descend(depth, bit, custom, subnets);
      refs[bit] = this.walk(
        depth + 1,
        c.custom,
        c.custom?.entry?.value ?? best,
        c.subnets,
        mask | (c.subnets?.entry?.value ?? 0),
      );
    }
    return this.join(refs[0]!, refs[1]!);
  }

  /** Below the tries, only the databases divide a block: the walk that visits most nodes, kept free of allocation. */
  private walkTrees(depth: number, best: CustomNetwork | undefined, mask: number): number {
    this.count();
    if (this.done(depth, undefined, undefined)) return this.leaf(depth, best, mask);
    // One database, below the tries: a node of its (shared) fact tree compiles the same wherever it is reached.
    const single = this.sources.length === 1 && best === undefined && mask === 0;
    if (single) {
      const known = this.byNode.get(this.state[depth]!);
      if (known !== undefined) return known;
    }
    // Several: where a database points several branches at one subtree (IPv4 at ::ffff:0:0/96, 2001::/32,
    // 2002::/16 in MaxMind's IPv6 trees), that subtree compiles the same wherever it is reached.
    const alias = single ? undefined : this.aliasKey(depth, best, mask);
    if (alias !== undefined) {
      const known = this.aliases.get(alias);
      if (known !== undefined) return known;
    }
    const k = this.sources.length;
    const here = depth * k;
    const next = here + k;
    for (let i = 0; i < k; i++) {
      const v = this.state[here + i]!;
      this.state[next + i] =
        v < this.sources[i]!.tree.nodeCount ? this.sources[i]!.tree.child(v, 0) : v;
    }
    const zero = this.walkTrees(depth + 1, best, mask);
    for (let i = 0; i < k; i++) {
      const v = this.state[here + i]!;
      this.state[next + i] =
        v < this.sources[i]!.tree.nodeCount ? this.sources[i]!.tree.child(v, 1) : v;
    }
    const ref = this.join(zero, this.walkTrees(depth + 1, best, mask));
    if (alias !== undefined) this.aliases.set(alias, ref);
    if (single) this.byNode.set(this.state[depth]!, ref);
    return ref;
  }

  private count(): void {
    if (++this.steps > this.maxSteps)
      throw new CompileError(`the GeoIP trees take more than ${this.maxSteps} steps to walk`);
  }

  /** Nothing below this block divides it any more: every tree is at a leaf (or the address ends). */
  private done(
    depth: number,
    custom: TrieNode<CustomNetwork> | undefined,
    subnets: TrieNode<number> | undefined,
  ): boolean {
    if (depth >= this.bits) return true;
    if (custom?.zero || custom?.one || subnets?.zero || subnets?.one) return false;
    const k = this.sources.length;
    for (let i = 0; i < k; i++)
      if (this.state[depth * k + i]! < this.sources[i]!.tree.nodeCount) return false;
    return true;
  }

  /** Moves every source to the child block `bit` (writing depth + 1 of the state); returns the tries' children. */
  private descend(
    depth: number,
    bit: number,
    custom: TrieNode<CustomNetwork> | undefined,
    subnets: TrieNode<number> | undefined,
  ) {
    const k = this.sources.length;
    for (let i = 0; i < k; i++) {
      const { tree } = this.sources[i]!;
      const v = this.state[depth * k + i]!;
      this.state[(depth + 1) * k + i] = v < tree.nodeCount ? tree.child(v, bit) : v;
    }
    return {
      custom: bit ? custom?.one : custom?.zero,
      subnets: bit ? subnets?.one : subnets?.zero,
    };
  }

  /** A key for a subtree that starts at some database's IPv4 node (where MaxMind trees alias), else undefined. */
  private aliasKey(
    depth: number,
    best: CustomNetwork | undefined,
    mask: number,
  ): string | undefined {
    if (this.bits !== 128) return undefined;
    const k = this.sources.length;
    let aliased = false;
    for (let i = 0; i < k; i++) {
      const tree = this.sources[i]!.tree;
      if (this.state[depth * k + i] === tree.ipv4Start && tree.ipVersion === 6) aliased = true;
    }
    if (!aliased) return undefined;
    let key = '';
    for (let i = 0; i < k; i++) key += `${this.state[depth * k + i]},`;
    return `${key}${best?.text ?? ''}|${mask}`;
  }

  /** Siblings with the same outcome merge; equal subtrees are stored once (a walk still meets the same depths). */
  private join(zero: number, one: number): number {
    if (zero === one && zero < 0) return zero;
    try {
      return this.store.node(zero, one);
    } catch (e) {
      throw e instanceof RangeError ? new CompileError(e.message) : e;
    }
  }

  /** The leaf for a block every source is settled on: the facts there, then the rules on them (once per set). */
  private leaf(depth: number, best: CustomNetwork | undefined, mask: number): number {
    const k = this.sources.length;
    const at = depth * k;
    if (best === undefined && mask === 0 && k <= 2) {
      // The common case (no custom network or rule subnet here): outcomes by fact ids, no key to build.
      const first = k > 0 ? this.factId(0, this.state[at]!) : 0;
      const second = k > 1 ? this.factId(1, this.state[at + 1]!) : 0;
      let byFirst = this.byFacts[first];
      if (!byFirst) this.byFacts[first] = byFirst = new Map();
      let outcome = byFirst.get(second);
      if (outcome === undefined) byFirst.set(second, (outcome = this.evaluate(at, best, mask)));
      return -outcome - 1;
    }
    let key = '';
    for (let i = 0; i < k; i++) key += `${this.factId(i, this.state[at + i]!)},`;
    key += `${best?.text ?? ''}|${mask}`;
    let outcome = this.evaluated.get(key);
    if (outcome === undefined) this.evaluated.set(key, (outcome = this.evaluate(at, best, mask)));
    return -outcome - 1;
  }

  /** The facts of a settled block (a custom network's first, then each database's), and the rules on them. */
  private evaluate(at: number, best: CustomNetwork | undefined, mask: number): number {
    let geo = best?.geo;
    let asn = best?.asn;
    let isp = best?.isp;
    for (let i = 0; i < this.sources.length; i++) {
      const { tree, facts } = this.sources[i]!;
      const f: MmdbFields = tree.facts(tree.factId(this.state[at + i]!));
      if (facts === 'location') geo ??= f.geo;
      else {
        asn ??= f.asn;
        isp ??= f.isp;
      }
    }
    return this.outcomeOf(this.firstMatch(geo, asn, isp, mask));
  }

  private factId(i: number, value: number): number {
    const id = this.sources[i]!.tree.factId(value);
    if (id >= FACT_IDS)
      throw new CompileError(`more than ${FACT_IDS} distinct facts in one database`);
    return id;
  }

  /** The rules as `matchRule` reads them (resolve/rules.ts), on facts already known. */
  private firstMatch(
    geo: string | undefined,
    asn: number | undefined,
    isp: string | undefined,
    mask: number,
  ): string | undefined {
    const lowerIsp = isp?.toLowerCase();
    for (const [i, rule] of this.rules.entries()) {
      const location =
        (rule.geos.length === 0 && rule.subnets.length === 0) ||
        (mask & (1 << i)) !== 0 ||
        rule.geos.some((g) => geoMatches(geo, g));
      if (!location) continue;
      if (rule.asns.length > 0 && (asn === undefined || !rule.asns.includes(asn))) continue;
      if (rule.isps.length > 0 && (lowerIsp === undefined || !rule.isps.includes(lowerIsp)))
        continue;
      return rule.pool;
    }
    return undefined;
  }

  private outcomeOf(pool: string | undefined): number {
    let id = this.outcomeIds.get(pool);
    if (id === undefined) {
      id = this.outcomes.length;
      this.outcomes.push(pool);
      this.outcomeIds.set(pool, id);
    }
    return id;
  }
}
