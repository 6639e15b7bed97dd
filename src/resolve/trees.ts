// The decision trees of every dynamic record's rules over one GeoIP database, shared by records with the same rules and
// kept across snapshots (health, commits and reloads with the same GeoIP files do not recompile).
import { errorMessage } from '../core/index.ts';
import type { GeoDatabase } from '../geo/index.ts';
import type { DynamicRecord, Rule, ZoneSet } from '../zone/index.ts';
import {
  CompileError,
  compileRules,
  compileRulesNow,
  type DecisionTree,
  needsDatabases,
} from './tree.ts';

export interface CompileReport {
  readonly compiled: number;
  /** Rule sets that could not be compiled (decided per client instead), with why. */
  readonly failed: readonly string[];
  readonly nodes: number;
  readonly milliseconds: number;
}

export class DecisionTrees {
  private readonly bySignature = new Map<string, DecisionTree | CompileError>();
  private readonly byRecord = new WeakMap<DynamicRecord, DecisionTree | null>();

  /** What the last prepare() did (for the log). */
  lastReport: CompileReport | undefined;

  constructor(
    readonly geo: GeoDatabase | undefined,
    /** False: nothing is compiled, every record is decided per client (the `compile_rules` setting). */
    readonly enabled = true,
  ) {}

  /**
   * The tree of a record's rules; undefined while it is not compiled (or cannot be), when the record is decided per
   * client. Rules that walk no database are compiled here on first use (microseconds).
   */
  treeFor(record: DynamicRecord): DecisionTree | undefined {
    if (!this.enabled) return undefined;
    const known = this.byRecord.get(record);
    if (known !== undefined) return known ?? undefined;
    const signature = rulesSignature(record.rules);
    let tree = this.bySignature.get(signature);
    if (tree === undefined && !needsDatabases(record.rules, this.geo)) {
      tree = compileNow(record.rules, this.geo);
      this.bySignature.set(signature, tree);
    }
    if (tree === undefined) return undefined; // not prepared yet: the next prepare() compiles it
    const usable = tree instanceof CompileError ? null : tree;
    this.byRecord.set(record, usable);
    return usable ?? undefined;
  }

  /**
   * Compiles the rules of every dynamic record of `zones` not compiled yet, pausing between slices; undefined when a
   * pause rejected (the load was stopped).
   */
  async prepare(zones: ZoneSet, pause: () => Promise<void>): Promise<CompileReport | undefined> {
    const started = performance.now();
    if (!this.enabled)
      return (this.lastReport = { compiled: 0, failed: [], nodes: 0, milliseconds: 0 });
    const wanted = new Map<string, readonly Rule[]>();
    for (const zone of zones.zones.values())
      for (const node of zone.nodes.values())
        for (const { dynamic } of node.rrsets.values())
          if (dynamic) wanted.set(rulesSignature(dynamic.rules), dynamic.rules);
    // Rules no longer in any zone go (records in service keep theirs through `byRecord`).
    for (const signature of this.bySignature.keys())
      if (!wanted.has(signature)) this.bySignature.delete(signature);
    const pending = [...wanted].filter(([signature]) => !this.bySignature.has(signature));
    let nodes = 0;
    const failed: string[] = [];
    for (const [signature, rules] of pending) {
      try {
        const tree = await compileRules(rules, this.geo, pause);
        nodes += tree.size;
        this.bySignature.set(signature, tree);
      } catch (e) {
        if (e instanceof Error && e.name === 'AbortError') return undefined; // stopped: what was compiled is kept
        // Anything else (a damaged database, a bug) leaves these rules decided per client, as before trees.
        const error = e instanceof CompileError ? e : new CompileError(errorMessage(e));
        failed.push(error.message);
        this.bySignature.set(signature, error);
      }
    }
    this.lastReport = {
      compiled: pending.length - failed.length,
      failed,
      nodes,
      milliseconds: performance.now() - started,
    };
    return this.lastReport;
  }
}

function compileNow(
  rules: readonly Rule[],
  geo: GeoDatabase | undefined,
): DecisionTree | CompileError {
  try {
    return compileRulesNow(rules, geo);
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
}

/** Records with equal signatures decide alike: the same conditions leading to the same pools, in order. */
function rulesSignature(rules: readonly Rule[]): string {
  return JSON.stringify(
    rules.map((r) => [r.geos, r.subnets.map((s) => s.text), r.asns, r.isps, r.pool]),
  );
}
