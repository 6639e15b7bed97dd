// Zone files → validated, compiled, frozen zones. `gslb check` and the server both call loadZones.
import { absoluteName, type Diagnostic, hasErrors, nameProblem, parentName, RRClass, type RR, RRType, rdataTypeCode } from '../core/index.ts';
import { checkZone } from './checks.ts';
import type { RRset, Zone, ZoneNode, ZoneSet } from './model.ts';
import { parseRecord, type SourceRecord } from './records.ts';
import { type Collector, keyText, mapPairs, type Pair, readYamlMapping, scalarValue, seqItems } from './source.ts';

export interface ZoneFile {
  readonly path: string; // as shown in diagnostics
  readonly text: string;
}

export interface LoadOptions {
  /** SOA serial used when a zone file gives none (the caller passes the clock). */
  readonly defaultSerial: number;
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
  return stem !== '' && nameProblem(origin) === undefined && !origin.includes('*') ? origin : undefined;
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
export function* loadZoneSteps(files: readonly ZoneFile[], options: LoadOptions): Generator<void, LoadResult> {
  const diagnostics: Diagnostic[] = [];
  const zones = new Map<string, Zone>();
  for (const file of files) {
    const origin = originFromFileName(file.path);
    if (!origin) {
      diagnostics.push({ file: file.path, line: 1, col: 1, code: 'BAD_FILE_NAME', message: 'zone files are named <origin>.yaml, e.g. example.com.yaml', severity: 'error' });
      continue;
    }
    const r = yield* zoneSteps(file.text, file.path, origin, options);
    diagnostics.push(...r.diagnostics);
    if (r.zone) zones.set(origin, r.zone);
  }
  return { zoneSet: hasErrors(diagnostics) ? undefined : Object.freeze({ zones }), diagnostics };
}

/** Parses and checks one zone; `zone` is set only when the file has no errors. */
export function parseZoneText(text: string, file: string, origin: string, options: LoadOptions): ParsedZone {
  return drain(zoneSteps(text, file, origin, options));
}

type ParsedZone = { zone: Zone | undefined; diagnostics: readonly Diagnostic[] };

function zoneSteps(text: string, file: string, origin: string, options: LoadOptions): Generator<void, ParsedZone> {
  return readYamlMapping(text, file, function* (c, root, pairs) {
    if (root === undefined && c.diagnostics.length > 0) return { zone: undefined, diagnostics: c.diagnostics };
    const declared = new Set<string>();
    const byName = yield* readNames(c, root, pairs, origin, options, declared);
    if (byName) checkZone(c, origin, root, byName, declared);
    const zone = byName && !hasErrors(c.diagnostics) ? yield* compileZone(origin, file, byName) : undefined;
    return { zone, diagnostics: c.sorted() };
  });
}

/** Records by owner name; `declared` gets "name TYPE" for every record whose type was given, even one too broken to parse. */
function* readNames(c: Collector, root: unknown, pairs: Iterable<Pair> | undefined, origin: string, options: LoadOptions, declared: Set<string>): Generator<void, Map<string, SourceRecord[]> | undefined> {
  if (!pairs) {
    c.report(root, 'BAD_STRUCTURE', 'a zone file is a mapping of names to records');
    return undefined;
  }
  const byName = new Map<string, SourceRecord[]>();
  const keys = new Set<string>();
  for (const pair of pairs) {
    yield;
    const key = keyText(pair);
    if (keys.has(key)) {
      c.report(pair.key, 'YAML_SYNTAX', 'Map keys must be unique');
      continue;
    }
    keys.add(key);
    const name = absoluteName(key, origin);
    const problem = key.endsWith('.') ? `"${key}": names are relative to the origin; drop the trailing dot` : nameProblem(name);
    if (problem) {
      c.report(pair.key, 'BAD_NAME', problem);
      continue;
    }
    if (byName.has(name)) {
      c.report(pair.key, 'DUPLICATE_RECORD', `${name} appears twice (names are case-insensitive)`);
      continue;
    }
    const list: SourceRecord[] = [];
    byName.set(name, list);
    const items = seqItems(pair.value) ?? [pair.value];
    for (const item of items) {
      declared.add(`${name} ${String(scalarValue(mapPairs(item)?.find((p) => keyText(p) === 'type')?.value) ?? '').toUpperCase()}`);
      const record = parseRecord(c, key === '' ? '@' : key, origin, item, options.defaultSerial);
      if (!record) continue;
      if (list.some((r) => r.type === record.type)) {
        c.report(record.node, 'DUPLICATE_RECORD', `${name} has more than one ${record.type} record; list every value in one "values"`);
        continue;
      }
      reportDuplicateValues(c, record);
      list.push({ ...record, name });
    }
  }
  return byName;
}

function reportDuplicateValues(c: Collector, record: SourceRecord): void {
  const seen = new Set<string>();
  record.data.forEach((d, i) => {
    const key = JSON.stringify(d);
    if (seen.has(key)) c.report(record.valueNodes[i], 'DUPLICATE_RECORD', `${record.type} value listed twice`);
    seen.add(key);
  });
}

function* compileZone(origin: string, file: string, byName: ReadonlyMap<string, readonly SourceRecord[]>): Generator<void, Zone> {
  const rrsets: RRset[] = [];
  for (const [name, records] of byName) {
    yield;
    for (const r of records) {
      const rrs = r.data.map((data): RR => Object.freeze({ name, type: rdataTypeCode(data), class: RRClass.IN, ttl: r.ttl, data }));
      rrsets.push(Object.freeze({ name, type: rdataTypeCode(r.data[0]!), ttl: r.ttl, records: Object.freeze(rrs), dynamic: r.dynamic }));
    }
  }
  return buildZone(origin, file, rrsets);
}

/** Nodes (with empty non-terminals), cuts and SOA from a zone's RRsets; names with no RRset left vanish. */
export function buildZone(origin: string, file: string, rrsets: Iterable<RRset>): Zone {
  const nodes = new Map<string, ZoneNode>();
  const cuts = new Set<string>();
  let soa: RR | undefined;
  const byName = new Map<string, Map<number, RRset>>();
  for (const rrset of rrsets) {
    if (rrset.records.length === 0 && !rrset.dynamic) continue;
    if (!byName.has(rrset.name)) byName.set(rrset.name, new Map());
    byName.get(rrset.name)!.set(rrset.type, rrset);
    if (rrset.type === RRType.SOA) soa = rrset.records[0];
    if (rrset.type === RRType.NS && rrset.name !== origin) cuts.add(rrset.name);
  }
  for (const [name, map] of byName) {
    nodes.set(name, Object.freeze({ name, rrsets: map.size === 1 ? new OneRRset(map.values().next().value!) : map }));
    addEmptyNonTerminals(nodes, name, origin);
  }
  if (!soa) throw new Error(`buildZone: ${origin} has no SOA`);
  return Object.freeze({ origin, file, soa, nodes, cuts });
}

function addEmptyNonTerminals(nodes: Map<string, ZoneNode>, name: string, origin: string): void {
  for (let n = parentName(name); n !== undefined && name !== origin; n = n === origin ? undefined : parentName(n)) {
    if (!nodes.has(n)) nodes.set(n, Object.freeze({ name: n, rrsets: NO_RRSETS }));
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
  forEach(fn: (value: RRset, key: number, map: ReadonlyMap<number, RRset>) => void, thisArg?: unknown): void {
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
