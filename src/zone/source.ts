// YAML with positions: every problem is reported at the node it is about, all of them collected.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap, type Pair } from 'yaml';
import type { Diagnostic, DiagnosticCode, Severity } from '../core/index.ts';

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Collects diagnostics for one file and turns YAML nodes into positions. */
export class Collector {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  at(node: unknown): Position {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]) : { line: 1, col: 1 };
  }

  /** Everything reported, in the order of the file. */
  sorted(): Diagnostic[] {
    return [...this.diagnostics].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  report(node: unknown, code: DiagnosticCode, message: string, severity: Severity = 'error'): void {
    const p = this.at(node);
    this.diagnostics.push({ file: this.file, line: p.line, col: p.col, code, message, severity });
  }
}

/**
 * Parses YAML text; syntax errors become YAML_SYNTAX diagnostics. Duplicate keys are found by readMapping and the zone
 * loader with Maps: the yaml package's own check compares each key with every earlier one (quadratic in zone size).
 */
export function parseYaml(text: string, file: string): { root: unknown; collector: Collector } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const collector = new Collector(file, lines);
  for (const e of doc.errors) {
    const p = lines.linePos(e.pos[0]);
    const message = e.message.split('\n')[0] ?? e.message;
    collector.diagnostics.push({ file, line: p.line, col: p.col, code: 'YAML_SYNTAX', message, severity: 'error' });
  }
  return { root: doc.errors.length > 0 ? undefined : doc.contents, collector };
}

export function mapPairs(node: unknown): readonly Pair<unknown, unknown>[] | undefined {
  return isMap(node) ? (node as YAMLMap<unknown, unknown>).items : undefined;
}

export function seqItems(node: unknown): readonly unknown[] | undefined {
  return isSeq(node) ? node.items : undefined;
}

/** The plain JS value of a scalar node (string, number, boolean, null), else undefined. */
export function scalarValue(node: unknown): unknown {
  return isScalar(node) ? node.value : undefined;
}

export function keyText(pair: Pair<unknown, unknown>): string {
  const v = scalarValue(pair.key);
  return v === null || v === undefined ? '' : String(v);
}

/** Reads a mapping into key → pair, reporting keys outside `allowed` (or, with `acceptUnknown`, keeping them). */
export function readMapping(
  c: Collector, node: unknown, allowed: readonly string[], what: string, acceptUnknown = false,
): Map<string, Pair<unknown, unknown>> | undefined {
  const pairs = mapPairs(node);
  if (!pairs) {
    c.report(node, 'BAD_STRUCTURE', `${what} must be a mapping`);
    return undefined;
  }
  const out = new Map<string, Pair<unknown, unknown>>();
  for (const pair of pairs) {
    const key = keyText(pair);
    if (out.has(key)) c.report(pair.key, 'YAML_SYNTAX', 'Map keys must be unique');
    else if (!allowed.includes(key) && !acceptUnknown) c.report(pair.key, 'UNKNOWN_KEY', `unknown key "${key}" in ${what}; expected one of ${allowed.join(', ')}`);
    else out.set(key, pair);
  }
  return out;
}

/** An integer in [min, max] or a diagnostic at the node. */
export function readInteger(c: Collector, node: unknown, min: number, max: number, what: string, code: DiagnosticCode = 'BAD_VALUE'): number | undefined {
  const v = scalarValue(node);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    c.report(node, code, `${what} must be an integer from ${min} to ${max}, not ${JSON.stringify(v ?? null)}`);
    return undefined;
  }
  return v;
}

export function readString(c: Collector, node: unknown, what: string): string | undefined {
  const v = scalarValue(node);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  c.report(node, 'BAD_STRUCTURE', `${what} must be a string`);
  return undefined;
}
