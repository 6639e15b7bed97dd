// YAML with positions: every problem is reported at the node it is about, all of them collected.
//
// Files are read into a small tree of our own (YamlNode: kind, value or items, and the offset it starts at). The fast
// path is js-yaml, about ten times faster than the yaml package on large zones and a fraction of its memory, with a
// listener that notes where each node starts; the tree it yields is checked against js-yaml's own result,
// and any file
// it cannot vouch for (syntax errors, flow pairs, keys without values, aliases, several documents) is read again with
// the yaml package, whose error messages and positions are the ones reported.
import jsYaml from 'js-yaml';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { Collector } from './collector.ts';
import { mapPairs, type Pair, type YamlNode } from './tree.ts';

/**
 * Parses YAML text; syntax errors become YAML_SYNTAX diagnostics. Duplicate keys are found by readMapping and the zone
 * loader with Maps: the yaml package's own check compares each key with every earlier one (quadratic in zone size).
 */
export function parseYaml(
  text: string,
  file: string,
  reader: 'fast' | 'yaml' = 'fast',
): { root: YamlNode | undefined; collector: Collector; reader: 'fast' | 'yaml' } {
  const collector = new Collector(file, text);
  const fast = reader === 'fast' ? readFast(text) : undefined;
  if (fast !== undefined) return { root: fast, collector, reader: 'fast' };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  for (const e of doc.errors) {
    const p = lines.linePos(e.pos[0]);
    const message = e.message.split('\n')[0] ?? e.message;
    collector.reportAt(p, 'YAML_SYNTAX', message);
  }
  return {
    root: doc.errors.length > 0 ? undefined : fromDocument(doc.contents),
    collector,
    reader: 'yaml',
  };
}

/**
 * Thrown out of `entries` (through the caller's generator, see readYamlMapping) when a chunk of entries does not read
 * as one pair per entry: the one exception this file uses for control, because it must cross a caller's generator to
 * start the whole file over; readYamlMapping catches it and nothing else.
 */
class Rechunk extends Error {}

/** A top-level entry: its pair, or, for one the caller already knows (see readYamlMapping), where it starts. */
export type Entry =
  | { readonly pair: Pair; readonly source: string | undefined }
  | { readonly pair: undefined; readonly source: string; readonly start: number };

/**
 * Reads a file whose top level is a mapping (a zone file) and hands its entries to `consume`, a generator that yields
 * between entries so that a caller may let other work run (see loadZoneSteps). When every top-level key starts a line
 * at column 0, as people and generators write zone files, entries are parsed a few at a time as `consume` reaches
 * them, so memory holds a small tree at a time, not the whole file's; each comes with its source text, and one whose
 * text `known` accepts is not parsed at all (the caller has its result from an earlier load). If an entry does not
 * parse that way (an alias to another entry, a value continued at column 0, a syntax error), `consume` runs again over
 * the whole file (parseYaml) with a fresh collector; `root` then is the file's tree, and `entries` undefined when it
 * is not a mapping.
 */
export function* readYamlMapping<T>(
  text: string,
  file: string,
  consume: (
    c: Collector,
    root: YamlNode | undefined,
    entries: Iterable<Entry> | undefined,
  ) => Generator<void, T>,
  known: (source: string) => boolean = () => false,
): Generator<void, T> {
  const starts = entryStarts(text);
  if (starts) {
    try {
      return yield* consume(
        new Collector(file, text),
        { kind: 'map', start: starts[0] ?? 0, items: [] },
        entries(text, starts, known),
      );
    } catch (e) {
      if (!(e instanceof Rechunk)) throw e;
    }
  }
  const { root, collector } = parseYaml(text, file);
  return yield* consume(
    collector,
    root,
    mapPairs(root)?.map((pair) => ({ pair, source: undefined })),
  );
}

/** Where each top-level entry starts, or undefined when a line at column 0 could be something other than a key. */
function entryStarts(text: string): number[] | undefined {
  const starts: number[] = [];
  for (let at = 0; at < text.length;) {
    const ch = text[at]!;
    // document markers, directives, flow or complex top levels
    if ('-?:[{&*!%|>@`\uFEFF'.includes(ch)) return undefined;
    if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r' && ch !== '#') starts.push(at);
    const end = text.indexOf('\n', at);
    if (end === -1) break;
    at = end + 1;
  }
  return starts.length > 0 ? starts : undefined;
}

const ENTRIES_PER_PARSE = 64; // fewer parser runs than one per entry, still a small tree at a time

function* entries(
  text: string,
  starts: readonly number[],
  known: (source: string) => boolean,
): Generator<Entry> {
  const source = (i: number): string => text.slice(starts[i], starts[i + 1] ?? text.length);
  for (let i = 0; i < starts.length;) {
    const first = source(i);
    if (known(first)) {
      yield { pair: undefined, source: first, start: starts[i]! };
      i++;
      continue;
    }
    let end = i + 1;
    while (end < starts.length && end - i < ENTRIES_PER_PARSE && !known(source(end))) end++;
    const node = readFast(text.slice(starts[i], starts[end] ?? text.length), starts[i]);
    // One pair per entry: each starts at column 0, where only a top-level key can be.
    if (node?.kind !== 'map' || node.items.length !== end - i) throw new Rechunk();
    for (let k = 0; k < node.items.length; k++)
      yield { pair: node.items[k]!, source: source(i + k) };
    i = end;
  }
}

/** A node of the yaml package's Document as a YamlNode. */
function fromDocument(node: unknown): YamlNode | undefined {
  if (node === null || node === undefined) return undefined;
  const start = (node as Node).range?.[0] ?? 0;
  if (isMap(node))
    return {
      kind: 'map',
      start,
      items: node.items.map((p) => ({
        key: fromDocument(p.key) ?? { kind: 'scalar', start, value: null },
        value: fromDocument(p.value),
      })),
    };
  if (isSeq(node))
    return {
      kind: 'seq',
      start,
      items: node.items.map((n) => fromDocument(n) ?? { kind: 'scalar', start, value: null }),
    };
  if (isScalar(node)) return { kind: 'scalar', start, value: node.value };
  if (isAlias(node)) return { kind: 'alias', start };
  return undefined;
}

/**
 * The js-yaml path: the tree, or undefined when this text needs the yaml package (see the top of this file). The
 * listener builds each node as js-yaml closes it and checks it against js-yaml's value; once one ' +
   'disagrees the rest of'
 * the events are ignored and the answer is undefined.
 */
function readFast(text: string, base = 0): YamlNode | undefined {
  // Flat stacks instead of an object per open node: a large zone opens millions of them.
  const starts: number[] = []; // where each open node began
  const firsts: number[] = []; // where its children begin in `nodes` and `results`
  const nodes: YamlNode[] = [];
  const results: unknown[] = []; // js-yaml's value for each node in `nodes`
  let unsure = false;
  let result: unknown;
  try {
    result = jsYaml.load(text, {
      schema: jsYaml.CORE_SCHEMA,
      json: true, // json: a repeated key does not throw; readMapping reports it with its position
      listener(event, state) {
        if (unsure) return;
        if (event === 'open') {
          starts.push(base + state.position);
          firsts.push(nodes.length);
          return;
        }
        const first = firsts.pop()!;
        const node = build(starts.pop()!, nodes, results, first, state.result);
        if (!node) {
          unsure = true;
          return;
        }
        nodes.length = first;
        results.length = first;
        nodes.push(node);
        results.push(state.result);
      },
    });
  } catch {
    return undefined; // a syntax error: the yaml package reports it, with its position
  }
  return !unsure && nodes.length === 1 && results[0] === result ? nodes[0] : undefined;
}

/**
 * The node that closed with js-yaml's value `r`, from its children (nodes[first..], with their values), checked
 * against `r`; undefined when they disagree (a construct the tree does not vouch for).
 */
function build(
  start: number,
  nodes: readonly YamlNode[],
  results: readonly unknown[],
  first: number,
  r: unknown,
): YamlNode | undefined {
  const count = nodes.length - first;
  // js-yaml opens a node within a node for some entries (a block sequence item): the inner one is the node.
  if (count === 1 && Object.is(results[first], r)) return nodes[first]!;
  if (Array.isArray(r)) {
    if (count !== r.length) return undefined;
    for (let i = 0; i < count; i++) if (!Object.is(results[first + i], r[i])) return undefined;
    return { kind: 'seq', start, items: nodes.slice(first) };
  }
  if (r !== null && typeof r === 'object')
    return buildMap(start, nodes, results, first, r as Record<string, unknown>);
  if (count > 0) return undefined; // an alias to a collection, or something else unexpected
  return { kind: 'scalar', start, value: r };
}

/** A mapping's node from its key and value nodes, each distinct key checked against js-yaml's object. */
function buildMap(
  start: number,
  nodes: readonly YamlNode[],
  results: readonly unknown[],
  first: number,
  values: Record<string, unknown>,
): YamlNode | undefined {
  if ((nodes.length - first) % 2 !== 0) return undefined; // a key without a value
  const items: Pair[] = [];
  let distinct = 0;
  for (let i = first; i < nodes.length; i += 2) {
    if (nodes[i]!.kind !== 'scalar') return undefined; // complex keys
    const key = String(results[i]);
    // The last of repeated keys holds the value (json: true); each distinct key is counted at its last pair.
    let later = false;
    for (let j = i + 2; j < nodes.length && !later; j += 2) later = String(results[j]) === key;
    if (!later) {
      if (!Object.hasOwn(values, key) || !Object.is(values[key], results[i + 1])) return undefined;
      distinct++;
    }
    items.push({ key: nodes[i]!, value: nodes[i + 1]! });
  }
  let own = 0;
  for (const k in values) if (Object.hasOwn(values, k)) own++;
  return own === distinct ? { kind: 'map', start, items } : undefined;
}
