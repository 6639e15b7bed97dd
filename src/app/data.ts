// Reading zone files and GeoIP data from disk: the one loader behind check, serve, reload and explain.
import { type Diagnostic, errorMessage, fail, ok, type Result } from '../core/index.ts';
import { DEFAULT_SETTINGS } from '../config/index.ts';
import { open, readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { type GeoDatabase, geoDigestSliced, loadGeoDatabaseSliced } from '../geo/index.ts';
import { DecisionTrees } from '../resolve/index.ts';
import { loadZoneSteps, type LoadResult, type ZoneFile, type ZoneSet } from '../zone/index.ts';

export interface LoadedData {
  readonly zones: ZoneSet;
  readonly geo: GeoDatabase | undefined;
  /** Every dynamic record's rules compiled over `geo` (kept while the GeoIP files stay the same). */
  readonly trees: DecisionTrees;
  /** Zone file name → SHA-256 of its text (hex): what a cluster node tells the others of its files. */
  readonly digests: Readonly<Record<string, string>>;
}

/** A zones directory loaded, with the digest of each file. */
export type DirLoad = LoadResult & { readonly digests: Readonly<Record<string, string>> };

export interface LoadOptions {
  /** The zones in service, on a reload: unchanged entries are taken from them, and the load gives way to queries. */
  readonly previous?: ZoneSet;
  /** A zone file larger than this is rejected before it is read (default: the setting's default). */
  readonly maxZoneFileBytes?: number;
  /** Compile dynamic records' rules into decision trees (default true; false: decided per client). */
  readonly compileRules?: boolean;
  /** Stops a load between two slices (the server is stopping); the result is then empty. */
  readonly signal?: AbortSignal;
  readonly nowSeconds?: number;
}

/** Reads every `*.yaml` in `dir` and loads it: the one loader behind `gslb check`, `serve` and reload. */
export async function loadZoneDir(dir: string, options: LoadOptions = {}): Promise<DirLoad> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  } catch (e) {
    const message = `cannot read the zones directory: ${errorMessage(e)}`;
    return {
      zoneSet: undefined,
      diagnostics: [{ file: dir, line: 1, col: 1, code: 'CONFIG', message, severity: 'error' }],
      digests: {},
    };
  }
  const maxBytes = options.maxZoneFileBytes ?? DEFAULT_SETTINGS.maxZoneFileBytes;
  const files: ZoneFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const n of names) {
    const path = join(dir, n);
    const read = await readBounded(path, maxBytes);
    if (!read.ok)
      diagnostics.push({
        file: path,
        line: 1,
        col: 1,
        code: 'FILE_TOO_LARGE',
        message: read.error,
        severity: 'error',
      });
    else files.push({ path, text: read.value });
  }
  if (diagnostics.length > 0) return { zoneSet: undefined, diagnostics, digests: {} };
  const digests = Object.fromEntries(
    files.map((f) => [basename(f.path), createHash('sha256').update(f.text).digest('hex')]),
  );
  // A reload shares the process with queries in service; a first load (check, start) runs straight through.
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const steps = loadZoneSteps(files, {
    defaultSerial: nowSeconds >>> 0,
    ...(options.previous ? { previous: options.previous } : {}),
  });
  const loaded = await stepwise(steps, options.previous !== undefined, options.signal);
  return { ...(loaded ?? { zoneSet: undefined, diagnostics: [] }), digests };
}

/** A file's text, or why it is not read: larger than `maxBytes` (checked before reading, and again while reading). */
async function readBounded(path: string, maxBytes: number): Promise<Result<string>> {
  const tooLarge = (size: number): string =>
    `the file is ${size} bytes, more than max_zone_file_bytes (${maxBytes}); it was not read`;
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return fail(tooLarge(size));
    const bytes = Buffer.allocUnsafe(size + 1);
    const { bytesRead } = await handle.read(bytes, 0, size + 1, 0);
    if (bytesRead > size) return fail(tooLarge(bytesRead)); // it grew since the stat: read again on the next reload
    return ok(bytes.toString('utf8', 0, bytesRead));
  } finally {
    await handle.close();
  }
}

const SLICE_MS = 4; // the longest run between two turns of the event loop while loading (queries wait no longer)
const CHECK_HEAP_EVERY_MS = 500;
// Between slices the event loop runs this long, answering what queued meanwhile (a setImmediate turn reads only 32
// datagrams per socket): a reload under load shares the CPU with queries instead of starving them.
const YIELD_MS = 2;

/**
 * Runs a stepwise load; with `giveWay`, the event loop runs between slices of SLICE_MS, so a server answers queries
 * while it reloads. A long load asks for a collection when the heap has grown half again since the last one (see
 * collectGarbage). An aborted `signal` ends it at the next slice, with no result.
 */
async function stepwise<T>(
  steps: Generator<void, T>,
  giveWay: boolean,
  signal: AbortSignal | undefined,
): Promise<T | undefined> {
  let sliceStart = performance.now();
  let checked = sliceStart;
  const heap = new HeapWatch();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      if (signal?.aborted) {
        steps.return(undefined as T);
        return undefined;
      }
      if (performance.now() - checked >= CHECK_HEAP_EVERY_MS) {
        heap.collectIfGrown();
        checked = performance.now();
      }
      if (giveWay) await new Promise((resolve) => setTimeout(resolve, YIELD_MS));
      sliceStart = performance.now();
    }
  }
}

/**
 * Collections during a long load, each when the heap has grown by half since the last: their count grows with the log
 * of the heap, so their cost (a full collection takes time in proportion to what is live) stays in proportion to the
 * load, where one every fixed interval made a load of a million records mostly collections.
 */
class HeapWatch {
  private base = getHeapStatistics().used_heap_size;

  collectIfGrown(): void {
    const used = getHeapStatistics().used_heap_size;
    if (used < this.base * 1.5 + 32 * 1024 * 1024) return;
    collectGarbage();
    this.base = used;
  }
}

/**
 * Asks V8 for a full collection when the process was started with --expose-gc (as bin/gslb.js and npm start do); a
 * no-op without the flag. It runs at the next turn of the event loop and holds it while it runs (tens of ms for a
 * heap of a few hundred MB), so it is asked for at the end of a load and when a load has grown the heap by half:
 * loading a large zone makes garbage faster than V8's heuristics collect it, and without this a 100,000-record
 * reload leaves the heap hundreds of MB above what is live.
 */
export function collectGarbage(): void {
  const gc = (
    globalThis as { gc?: (options: { type: 'major'; execution: 'async' }) => Promise<void> }
  ).gc;
  // A second collection a moment later returns to the system the pages the first one emptied (RSS, not only heap).
  void gc?.({ type: 'major', execution: 'async' }).then(() =>
    setTimeout(() => void gc({ type: 'major', execution: 'async' }), RELEASE_AFTER_MS).unref(),
  );
}

const RELEASE_AFTER_MS = 1000;

/**
 * Reads `networks.yaml` and every `*.mmdb` in `dir`; no directory means no GeoIP (every client is unknown), unless
 * `required` (a reload of a server that has GeoIP data: a directory that vanished is an error, not "no data").
 */
export async function loadGeoDir(
  dir: string | undefined,
  required = false,
  previous?: GeoDatabase,
  pause: () => Promise<void> = () => Promise.resolve(),
): Promise<{ geo: GeoDatabase | undefined; diagnostics: readonly Diagnostic[] }> {
  if (dir === undefined) return { geo: undefined, diagnostics: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    const message = `cannot read the GeoIP directory: ${errorMessage(e)}; the GeoIP data in service is kept`;
    return {
      geo: undefined,
      diagnostics: required
        ? [{ file: dir, line: 1, col: 1, code: 'GEOIP', message, severity: 'error' }]
        : [],
    };
  }
  const networksPath = join(dir, 'networks.yaml');
  const networks = names.includes('networks.yaml')
    ? { path: networksPath, text: await readFile(networksPath, 'utf8') }
    : undefined;
  const databases = await Promise.all(
    names
      .filter((n) => n.endsWith('.mmdb'))
      .map(async (n) => ({ path: join(dir, n), bytes: await readFile(join(dir, n)) })),
  );
  const files = { networks, databases };
  const digest = await geoDigestSliced(files, pause);
  if (previous && previous.digest === digest) return { geo: previous, diagnostics: [] };
  return loadGeoDatabaseSliced(files, pause, digest);
}

/**
 * Zones and GeoIP data, loaded together; nothing when either has an error. `previous`: the data in service
 * (a reload).
 */
export async function loadData(
  zonesDir: string,
  geoipDir: string | undefined,
  options: Omit<LoadOptions, 'previous'> & { previous?: LoadedData } = {},
): Promise<{ data: LoadedData | undefined; diagnostics: readonly Diagnostic[] }> {
  const { previous, ...rest } = options;
  const hadGeo =
    previous?.geo !== undefined &&
    (previous.geo.databases.length > 0 || previous.geo.networkCount > 0);
  const pause = slicer(previous !== undefined, rest.signal);
  let zones: DirLoad;
  let geo: Awaited<ReturnType<typeof loadGeoDir>>;
  try {
    [zones, geo] = await Promise.all([
      loadZoneDir(zonesDir, { ...rest, ...(previous ? { previous: previous.zones } : {}) }),
      loadGeoDir(geoipDir, hadGeo, previous?.geo, pause),
    ]);
  } catch (e) {
    if (rest.signal?.aborted) return { data: undefined, diagnostics: [] }; // stopped between two slices
    throw e;
  }
  const diagnostics = [...geo.diagnostics, ...zones.diagnostics];
  if (!zones.zoneSet || diagnostics.some((d) => d.severity === 'error'))
    return { data: undefined, diagnostics };
  const compile = rest.compileRules ?? true;
  const trees =
    previous && previous.geo === geo.geo && previous.trees.enabled === compile
      ? previous.trees
      : new DecisionTrees(geo.geo, compile);
  const report = await trees.prepare(zones.zoneSet, pause);
  if (!report) return { data: undefined, diagnostics };
  const problems = report.failed.map((message): Diagnostic => ({
    file: geoipDir ?? zonesDir,
    line: 1,
    col: 1,
    code: 'GEOIP',
    message: `rules decided per client, not compiled: ${message}`,
    severity: 'warning',
  }));
  return {
    data: { zones: zones.zoneSet, geo: geo.geo, trees, digests: zones.digests },
    diagnostics: [...diagnostics, ...problems],
  };
}

/**
 * A pause for work done in slices (see `stepwise`): with `giveWay`, the event loop runs once SLICE_MS have passed; an
 * aborted `signal` makes it reject, which ends the work.
 */
function slicer(giveWay: boolean, signal: AbortSignal | undefined): () => Promise<void> {
  let sliceStart = performance.now();
  return async () => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    signal?.throwIfAborted();
    if (giveWay) await new Promise((resolve) => setTimeout(resolve, YIELD_MS));
    sliceStart = performance.now();
  };
}

/** One line on the rules compiled by the last load, when it compiled any. */
export function treesSummary(trees: DecisionTrees): string | undefined {
  const r = trees.lastReport;
  if (!r || r.compiled === 0) return undefined;
  const ms = Math.round(r.milliseconds);
  return `compiled the rules of dynamic records: ${r.compiled} rule set(s), ${r.nodes} nodes, ${ms} ms`;
}

export function geoSummary(geo: GeoDatabase | undefined, dir: string | undefined): string {
  if (!geo || (geo.databases.length === 0 && geo.networkCount === 0))
    return `no GeoIP data${dir ? ` in ${dir}` : ''}: rules with geos, asns or isps match no client`;
  const dbs = geo.databases.map((d) => `${d.name} (${d.databaseType})`).join(', ');
  return `GeoIP: ${geo.networkCount} custom network(s)${dbs ? `, ${dbs}` : ''}`;
}
