// Zone files → validated, compiled, frozen zones. `gslb check` and the server both call loadZones.
import { isDeepStrictEqual } from 'node:util';
import {
  absoluteName,
  type Diagnostic,
  hasErrors,
  nameProblem,
  parentName,
  RRClass,
  type RR,
  RRType,
  rdataTypeCode,
  typeName,
} from '../core/index.ts';
import { canonicalRData } from '../dns/index.ts';
import { checkZone } from './checks.ts';
import type { RRset, Zone, ZoneNode, ZoneSet } from './model.ts';
import { parseRecord, type ServedType, type SourceRecord } from './records.ts';
import {
  type Collector,
  type Entry,
  keyText,
  mapPairs,
  readYamlMapping,
  scalarText,
  seqItems,
  type YamlNode,
} from '../yaml/index.ts';

export interface ZoneFile {
  readonly path: string; // as shown in diagnostics
  readonly text: string;
}

export interface LoadOptions {
  /** SOA serial used when a zone file gives none (the caller passes the clock). */
  readonly defaultSerial: number;
  /**
   * The zones in service, on a reload: an RRset that did not change is taken from them rather than built again, so a
   * reload of a large zone holds one copy of what did not change, and the new copy's objects die young.
   */
  readonly previous?: ZoneSet;
}

export interface LoadResult {
  readonly zoneSet: ZoneSet | undefined; // undefined when any file has an error
  readonly diagnostics: readonly Diagnostic[];
}

/** `zones/example.com.yaml` → `example.com.`; undefined for a name that is not a valid origin. */
export function originFromFileName(fileName: string): string | undefined {
  const base = fileName.replace(/^.*[\\/]/, '');
  if (!base.endsWith('.yaml')) return undefined;
  const stem = base.slice(0, -'.yaml'.length).toLowerCase();
  const origin = stem.endsWith('.') ? stem : `${stem}.`;
  return stem !== '' && nameProblem(origin) === undefined && !origin.includes('*')
    ? origin
    : undefined;
}

export function loadZones(files: readonly ZoneFile[], options: LoadOptions): LoadResult {
  return drain(loadZoneSteps(files, options));
}

/** Runs a stepwise load to its end. */
export function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * loadZones in steps: it yields after each record and each compiled name, so a server reloading a large zone can
 * answer queries between steps (the caller decides how long to run between them). Pure: no clock, no timers.
 */
export function* loadZoneSteps(
  files: readonly ZoneFile[],
  options: LoadOptions,
): Generator<void, LoadResult> {
  const diagnostics: Diagnostic[] = [];
  const zones = new Map<string, Zone>();
  for (const file of files) {
    const origin = originFromFileName(file.path);
    if (!origin) {
      diagnostics.push({
        file: file.path,
        line: 1,
        col: 1,
        code: 'BAD_FILE_NAME',
        message: 'zone files are named <origin>.yaml, e.g. example.com.yaml',
        severity: 'error',
      });
      continue;
    }
    const r = yield* zoneSteps(file.text, file.path, origin, options);
    for (const d of r.diagnostics) diagnostics.push(d);
    if (r.zone) zones.set(origin, r.zone);
  }
  return { zoneSet: hasErrors(diagnostics) ? undefined : Object.freeze({ zones }), diagnostics };
}

/** Parses and checks one zone; `zone` is set only when the file has no errors. */
export function parseZoneText(
  text: string,
  file: string,
  origin: string,
  options: LoadOptions,
): ParsedZone {
  return drain(zoneSteps(text, file, origin, options));
}

type ParsedZone = { zone: Zone | undefined; diagnostics: readonly Diagnostic[] };

function zoneSteps(
  text: string,
  file: string,
  origin: string,
  options: LoadOptions,
): Generator<void, ParsedZone> {
  const previous = options.previous?.zones.get(origin);
  const known = previous?.sources;
  return readYamlMapping(
    text,
    file,
    function* (c, root, entries) {
      if (root === undefined && c.diagnostics.length > 0)
        return { zone: undefined, diagnostics: c.diagnostics };
      const declared = new Set<string>();
      const sources = new Map<string, string>();
      const byName = yield* readNames(c, root, entries, origin, options, declared, sources);
      if (byName) yield* checkZone(c, origin, root, byName, declared);
      const zone =
        byName && c.errors === 0
          ? yield* compileZone(origin, file, byName, sources, previous)
          : undefined;
      return { zone, diagnostics: c.sorted() };
    },
    known ? (source) => known.has(source) : undefined,
  );
}

/**
 * Records by owner name; `declared` gets "name TYPE" for every record whose type was given, even one too broken to
 * parse; `sources` gets each entry that loaded without a problem, by its text.
 */
function* readNames(
  c: Collector,
  root: YamlNode | undefined,
  entries: Iterable<Entry> | undefined,
  origin: string,
  options: LoadOptions,
  declared: Set<string>,
  sources: Map<string, string>,
): Generator<void, Map<string, SourceRecord[]> | undefined> {
  if (!entries) {
    c.report(root, 'BAD_STRUCTURE', 'a zone file is a mapping of names to records');
    return undefined;
  }
  const byName = new Map<string, SourceRecord[]>();
  const keys = new Set<string>();
  const previous = options.previous?.zones.get(origin);
  for (const entry of entries) {
    yield;
    const before = c.count;
    const packed = entry.pair === undefined ? previous!.sources!.get(entry.source)! : undefined;
    const known = packed === undefined ? undefined : unpack(packed);
    // Where problems with the entry are reported: its key (a known entry's tree was never built).
    const at: YamlNode =
      entry.pair === undefined
        ? { kind: 'scalar', start: entry.start, value: known!.key }
        : entry.pair.key;
    const key = known ? known.key : keyText(entry.pair!);
    if (keys.has(key)) {
      c.report(at, 'YAML_SYNTAX', 'Map keys must be unique');
      continue;
    }
    keys.add(key);
    const name = absoluteName(key, origin);
    const problem = key.endsWith('.')
      ? `"${key}": names are relative to the origin; drop the trailing dot`
      : nameProblem(name);
    if (problem) {
      c.report(at, 'BAD_NAME', problem);
      continue;
    }
    if (byName.has(name)) {
      c.report(at, 'DUPLICATE_RECORD', `${name} appears twice (names are case-insensitive)`);
      continue;
    }
    if (entry.pair === undefined) {
      // Unchanged since the zone in service: its RRsets as they are.
      const list = known!.types.map((type) =>
        keptRecord(name, previous!.nodes.get(name)!.rrsets.get(type)!, at),
      );
      for (const r of list) declared.add(`${name} ${r.type}`);
      byName.set(name, list);
      sources.set(entry.source, packed!);
      continue;
    }
    const pair = entry.pair;
    const list: SourceRecord[] = [];
    byName.set(name, list);
    const items = seqItems(pair.value) ?? [pair.value];
    for (const item of items) {
      const typeNode = mapPairs(item)?.find((p) => keyText(p) === 'type')?.value;
      declared.add(`${name} ${scalarText(typeNode).toUpperCase()}`);
      const parsed = parseRecord(c, key === '' ? '@' : key, origin, item, options.defaultSerial);
      if (!parsed) continue;
      const record = withPrevious(
        parsed,
        previous?.nodes.get(name)?.rrsets.get(rdataTypeCode(parsed.data[0]!)),
      );
      if (list.some((r) => r.type === record.type)) {
        c.report(
          record.node,
          'DUPLICATE_RECORD',
          `${name} has more than one ${record.type} record; list every value in one "values"`,
        );
        continue;
      }
      reportDuplicateValues(c, record);
      list.push({ ...record, name });
    }
    // The apex is parsed every time: its SOA serial may come from the clock.
    if (
      entry.source !== undefined &&
      key !== '' &&
      c.count === before &&
      list.length === items.length
    ) {
      sources.set(entry.source, `${list.map((r) => rdataTypeCode(r.data[0]!)).join(',')} ${key}`);
    }
  }
  return byName;
}

/** A known entry's key and RRset types, from its packed form (see Zone.sources). */
function unpack(packed: string): { key: string; types: number[] } {
  const space = packed.indexOf(' ');
  return { key: packed.slice(space + 1), types: packed.slice(0, space).split(',').map(Number) };
}

/** A record of an unchanged entry, from the RRset in service; problems with it are reported at its entry's key. */
function keptRecord(name: string, rrset: RRset, at: YamlNode): SourceRecord {
  return {
    name,
    type: typeName(rrset.type) as ServedType,
    ttl: rrset.ttl,
    data: rrset.records.map((rr) => rr.data),
    node: at,
    valueNodes: rrset.records.map(() => at),
    dynamic: rrset.dynamic,
    kept: rrset,
  };
}

/**
 * The record with the in-service RRset it equals (same TTL, values and dynamic settings), whose objects it
 * then uses.
 */
function withPrevious(record: SourceRecord, previous: RRset | undefined): SourceRecord {
  if (!previous || previous.ttl !== record.ttl || previous.records.length !== record.data.length)
    return record;
  if (
    !previous.records.every((rr, i) => isDeepStrictEqual(rr.data, record.data[i])) ||
    !isDeepStrictEqual(previous.dynamic, record.dynamic)
  )
    return record;
  return {
    ...record,
    data: previous.records.map((rr) => rr.data),
    dynamic: previous.dynamic,
    kept: previous,
  };
}

function reportDuplicateValues(c: Collector, record: SourceRecord): void {
  const seen = new Set<string>();
  record.data.forEach((d, i) => {
    const key = canonicalRData(d).toString('latin1'); // "2001:db8::1" and "2001:0db8::1" are one value
    if (seen.has(key))
      c.report(record.valueNodes[i], 'DUPLICATE_RECORD', `${record.type} value listed twice`);
    seen.add(key);
  });
}

function* compileZone(
  origin: string,
  file: string,
  byName: ReadonlyMap<string, readonly SourceRecord[]>,
  sources: ReadonlyMap<string, string>,
  previous: Zone | undefined,
): Generator<void, Zone> {
  const rrsets: RRset[] = [];
  for (const [name, records] of byName) {
    yield;
    for (const r of records) {
      if (r.kept) {
        rrsets.push(r.kept);
        continue;
      }
      const rrs = r.data.map((data): RR =>
        Object.freeze({ name, type: rdataTypeCode(data), class: RRClass.IN, ttl: r.ttl, data }),
      );
      rrsets.push(
        Object.freeze({
          name,
          type: rdataTypeCode(r.data[0]!),
          ttl: r.ttl,
          records: Object.freeze(rrs),
          dynamic: r.dynamic,
        }),
      );
    }
  }
  return Object.freeze({ ...(yield* buildZoneSteps(origin, file, rrsets, previous)), sources });
}

/**
 * Nodes (with empty non-terminals), cuts and SOA from a zone's RRsets; names with no RRset left vanish. A node of
 * `previous` whose RRsets are the very same objects is used as it is: a reload or an update of a large zone builds
 * only the nodes that changed.
 */
export function buildZone(
  origin: string,
  file: string,
  rrsets: Iterable<RRset>,
  previous?: Zone,
): Zone {
  return drain(buildZoneSteps(origin, file, rrsets, previous));
}

/** buildZone in steps: it yields after each name. */
function* buildZoneSteps(
  origin: string,
  file: string,
  rrsets: Iterable<RRset>,
  previous: Zone | undefined,
): Generator<void, Zone> {
  const nodes = new Map<string, ZoneNode>();
  const cuts = new Set<string>();
  let soa: RR | undefined;
  // Most names have one RRset: kept alone, an array only for the others (later RRsets of a type replace
  // earlier ones).
  const byName = new Map<string, RRset | RRset[]>();
  for (const rrset of rrsets) {
    if (rrset.records.length === 0 && !rrset.dynamic) continue;
    const seen = byName.get(rrset.name);
    if (seen === undefined) {
      byName.set(rrset.name, rrset);
    } else if (!Array.isArray(seen)) {
      byName.set(rrset.name, seen.type === rrset.type ? rrset : [seen, rrset]);
    } else {
      const i = seen.findIndex((r) => r.type === rrset.type);
      if (i >= 0) seen[i] = rrset;
      else seen.push(rrset);
    }
    if (rrset.type === RRType.SOA) soa = rrset.records[0];
    if (rrset.type === RRType.NS && rrset.name !== origin) cuts.add(rrset.name);
  }
  const children = yield* countChildren(byName.keys(), origin);
  for (const [name, found] of byName) {
    yield;
    const list = Array.isArray(found) ? found : [found];
    const before = previous?.nodes.get(name);
    const count = children.get(name) ?? 0;
    const same =
      before !== undefined &&
      before.children === count &&
      before.rrsets.size === list.length &&
      list.every((r) => before.rrsets.get(r.type) === r);
    nodes.set(
      name,
      same
        ? before
        : Object.freeze({
            name,
            rrsets:
              list.length === 1 ? new OneRRset(list[0]!) : new Map(list.map((r) => [r.type, r])),
            children: count,
          }),
    );
    addEmptyNonTerminals(nodes, name, origin, previous, children);
  }
  if (!soa) throw new Error(`buildZone: ${origin} has no SOA`);
  return Object.freeze({ origin, file, soa, nodes, cuts });
}

/**
 * How many names sit directly below each name (empty non-terminals included): what an update that removes a
 * name reads.
 */
function* countChildren(
  owners: Iterable<string>,
  origin: string,
): Generator<void, Map<string, number>> {
  const counted = new Set<string>();
  const children = new Map<string, number>();
  for (const owner of owners) {
    yield;
    for (let n = owner; n !== origin && !counted.has(n);) {
      const parent = parentName(n);
      if (parent === undefined) break;
      counted.add(n);
      children.set(parent, (children.get(parent) ?? 0) + 1);
      n = parent;
    }
  }
  return children;
}

function addEmptyNonTerminals(
  nodes: Map<string, ZoneNode>,
  name: string,
  origin: string,
  previous: Zone | undefined,
  children: ReadonlyMap<string, number>,
): void {
  for (
    let n = parentName(name);
    n !== undefined && name !== origin;
    n = n === origin ? undefined : parentName(n)
  ) {
    if (nodes.has(n)) continue;
    const before = previous?.nodes.get(n);
    const count = children.get(n) ?? 0;
    nodes.set(
      n,
      before && before.rrsets.size === 0 && before.children === count
        ? before
        : Object.freeze({ name: n, rrsets: NO_RRSETS, children: count }),
    );
  }
}

const NO_RRSETS: ReadonlyMap<number, RRset> = new Map();

/**
 * The RRsets of a name that has one (most names): a two-field object instead of a Map's hash table, which at 100,000
 * names is some 20 MB of every zone set in memory (and a reload holds two).
 */
class OneRRset implements ReadonlyMap<number, RRset> {
  readonly size = 1;
  constructor(private readonly only: RRset) {}
  get(type: number): RRset | undefined {
    return type === this.only.type ? this.only : undefined;
  }
  has(type: number): boolean {
    return type === this.only.type;
  }
  forEach(
    fn: (value: RRset, key: number, map: ReadonlyMap<number, RRset>) => void,
    thisArg?: unknown,
  ): void {
    fn.call(thisArg, this.only, this.only.type, this);
  }
  *entries(): MapIterator<[number, RRset]> {
    yield [this.only.type, this.only];
  }
  *keys(): MapIterator<number> {
    yield this.only.type;
  }
  *values(): MapIterator<RRset> {
    yield this.only;
  }
  [Symbol.iterator](): MapIterator<[number, RRset]> {
    return this.entries();
  }
}
