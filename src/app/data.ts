// Reading zone files and GeoIP data from disk: the one loader behind check, serve, reload and explain.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../core/index.ts';
import { type GeoDatabase, loadGeoDatabase } from '../geo/index.ts';
import { loadZoneSteps, type LoadResult, type ZoneSet } from '../zone/index.ts';

export interface LoadedData {
  readonly zones: ZoneSet;
  readonly geo: GeoDatabase | undefined;
}

/** Reads every `*.yaml` in `dir` and loads it: the one loader behind `gslb check`, `serve` and reload. */
export async function loadZoneDir(dir: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<LoadResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  } catch (e) {
    const message = `cannot read the zones directory: ${(e as Error).message}`;
    return { zoneSet: undefined, diagnostics: [{ file: dir, line: 1, col: 1, code: 'CONFIG', message, severity: 'error' }] };
  }
  const files = await Promise.all(names.map(async (n) => ({ path: join(dir, n), text: await readFile(join(dir, n), 'utf8') })));
  return stepwise(loadZoneSteps(files, { defaultSerial: nowSeconds >>> 0 }));
}

const SLICE_MS = 4; // the longest run between two turns of the event loop while loading (queries wait no longer)

/** Runs a stepwise load, letting the event loop turn every SLICE_MS: a server answers queries while it reloads. */
async function stepwise<T>(steps: Generator<void, T>): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** Reads `networks.yaml` and every `*.mmdb` in `dir`; no directory means no GeoIP (every client is unknown). */
export async function loadGeoDir(dir: string | undefined): Promise<{ geo: GeoDatabase | undefined; diagnostics: readonly Diagnostic[] }> {
  if (dir === undefined) return { geo: undefined, diagnostics: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return { geo: undefined, diagnostics: [] };
  }
  const networksPath = join(dir, 'networks.yaml');
  const networks = names.includes('networks.yaml') ? { path: networksPath, text: await readFile(networksPath, 'utf8') } : undefined;
  const databases = await Promise.all(names.filter((n) => n.endsWith('.mmdb')).map(async (n) => ({ path: join(dir, n), bytes: await readFile(join(dir, n)) })));
  return loadGeoDatabase({ networks, databases });
}

/** Zones and GeoIP data, loaded together; nothing when either has an error. */
export async function loadData(zonesDir: string, geoipDir: string | undefined): Promise<{ data: LoadedData | undefined; diagnostics: readonly Diagnostic[] }> {
  const [zones, geo] = await Promise.all([loadZoneDir(zonesDir), loadGeoDir(geoipDir)]);
  const diagnostics = [...geo.diagnostics, ...zones.diagnostics];
  const ok = zones.zoneSet && !diagnostics.some((d) => d.severity === 'error');
  return { data: ok ? { zones: zones.zoneSet!, geo: geo.geo } : undefined, diagnostics };
}

export function geoSummary(geo: GeoDatabase | undefined, dir: string | undefined): string {
  if (!geo || (geo.databases.length === 0 && geo.networkCount === 0)) return `no GeoIP data${dir ? ` in ${dir}` : ''}: rules with geos, asns or isps match no client`;
  const dbs = geo.databases.map((d) => `${d.name} (${d.databaseType})`).join(', ');
  return `GeoIP: ${geo.networkCount} custom network(s)${dbs ? `, ${dbs}` : ''}`;
}
