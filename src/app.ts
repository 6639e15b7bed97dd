// Composition root: reads zone files, owns the current snapshot, swaps it on reload, starts and stops listeners.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListenAddress } from './config/index.ts';
import { absoluteName, addressText, type Cidr, formatDiagnostic, type Diagnostic } from './core/index.ts';
import { respond, servfailFor } from './query/index.ts';
import { type Chooser, formatExplanation, NO_HEALTH, resolve, type Snapshot } from './resolve/index.ts';
import { type DnsHandler, type DnsListener, listenDns } from './server/index.ts';
import { type GeoDatabase, loadGeoDatabase } from './geo/index.ts';
import { loadZones, type LoadResult } from './zone/index.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`gslb: info: ${m}\n`),
  warn: (m) => process.stderr.write(`gslb: warn: ${m}\n`),
  error: (m) => process.stderr.write(`gslb: error: ${m}\n`),
};

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
  return loadZones(files, { defaultSerial: nowSeconds >>> 0 });
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
export async function loadData(zonesDir: string, geoipDir: string | undefined): Promise<{ data: Omit<Snapshot, 'health'> | undefined; diagnostics: readonly Diagnostic[] }> {
  const [zones, geo] = await Promise.all([loadZoneDir(zonesDir), loadGeoDir(geoipDir)]);
  const diagnostics = [...geo.diagnostics, ...zones.diagnostics];
  const ok = zones.zoneSet && !diagnostics.some((d) => d.severity === 'error');
  return { data: ok ? { zones: zones.zoneSet!, geo: geo.geo } : undefined, diagnostics };
}

export interface ExplainRequest {
  readonly name: string;
  readonly type: number;
  readonly client: Uint8Array;
  readonly clientText: string;
  readonly ecs: Cidr | undefined;
  readonly ecsText: string | undefined;
}

/** One real decision against the zones and GeoIP data on disk; no health state here, so every member counts as up. */
export async function explainQuery(zonesDir: string, geoipDir: string | undefined, r: ExplainRequest): Promise<{ text: string | undefined; diagnostics: readonly Diagnostic[] }> {
  const loaded = await loadData(zonesDir, geoipDir);
  if (!loaded.data) return { text: undefined, diagnostics: loaded.diagnostics };
  const snapshot: Snapshot = { ...loaded.data, health: NO_HEALTH };
  // As on the wire: an ECS address decides unless its prefix is /0.
  const address = r.ecs && r.ecs.prefix > 0 ? r.ecs.bytes : r.client;
  const prefix = r.ecs && r.ecs.prefix > 0 ? r.ecs.prefix : address.length * 8;
  const query = { name: absoluteName(r.name.replace(/\.$/, ''), '.'), type: r.type };
  const answer = resolve(query, { address, prefix }, snapshot, randomChooser());
  const facts = snapshot.geo?.lookup(address);
  return { text: formatExplanation({ query, client: r.clientText, ecs: r.ecsText, facts, answer }), diagnostics: loaded.diagnostics };
}

/** What the GeoIP data says of one address, field by field with sources; undefined text when there is no data. */
export async function describeAddress(geoipDir: string | undefined, ip: string, address: Uint8Array): Promise<{ text: string | undefined; diagnostics: readonly Diagnostic[] }> {
  const { geo, diagnostics } = await loadGeoDir(geoipDir);
  if (!geo) return { text: undefined, diagnostics };
  const f = geo.lookup(address);
  const [continent, country, subdivision] = (f.geo ?? '').split('-');
  const row = (label: string, value: string | number | undefined, source?: string): string => `${label.padEnd(12)} ${value || value === 0 ? value : '-'}${source ? `    (${source})` : ''}`;
  const lines = [
    `${ip}${addressText(address) !== ip ? ` (${addressText(address)})` : ''}`,
    row('continent', continent, f.sources.geo), row('country', country, f.sources.geo), row('subdivision', subdivision, f.sources.geo),
    row('geo code', f.geo), row('asn', f.asn, f.sources.asn), row('isp', f.isp, f.sources.isp),
    row('same for', `location /${f.geoScope}, network /${f.networkScope}`),
  ];
  return { text: lines.join('\n'), diagnostics };
}

export interface AppOptions {
  readonly zonesDir: string;
  readonly geoipDir: string | undefined;
  readonly dnsListen: readonly ListenAddress[];
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  /** Reload when a file in the zones directory changes (debounced). */
  readonly watchZones: boolean;
  readonly log: Logger;
}

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
}

export interface RunningApp {
  readonly dns: readonly DnsListener[];
  /** Loads every zone file again; on any error the zones in service stay in service. */
  reload(): Promise<ReloadOutcome>;
  snapshot(): Snapshot;
  close(): Promise<void>;
}

const WATCH_DEBOUNCE_MS = 300;
const ERROR_LOG_INTERVAL_MS = 1000;

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { log } = options;
  const first = await loadData(options.zonesDir, options.geoipDir);
  first.diagnostics.forEach((d) => (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d)));
  if (!first.data) throw new Error(`zones in ${options.zonesDir} or GeoIP data in ${options.geoipDir ?? '-'} have errors; nothing served`);
  let current: Snapshot = { ...first.data, health: NO_HEALTH };
  log.info(`loaded ${current.zones.zones.size} zone(s) from ${options.zonesDir}`);
  log.info(geoSummary(current.geo, options.geoipDir));

  const handle = guardedHandler(() => current, log);
  const dns: DnsListener[] = [];
  try {
    for (const address of options.dnsListen) {
      const listener = await listenDns({ ...address, tcpIdleTimeoutMs: options.tcpIdleTimeoutMs, tcpMaxConnections: options.tcpMaxConnections }, handle);
      dns.push(listener);
      log.info(`dns listening on ${formatAddress(listener)} (udp, tcp)`);
    }
  } catch (e) {
    await Promise.all(dns.map((l) => l.close()));
    throw e;
  }

  let reloading: Promise<ReloadOutcome> | undefined;
  const reload = async (): Promise<ReloadOutcome> => {
    const result = await loadData(options.zonesDir, options.geoipDir);
    result.diagnostics.forEach((d) => (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d)));
    if (!result.data) {
      log.error('reload rejected: the zones in service are unchanged');
      return { ok: false, diagnostics: result.diagnostics };
    }
    current = { ...current, ...result.data }; // queries already running finish on the snapshot they read
    log.info(`reloaded ${current.zones.zones.size} zone(s)`);
    return { ok: true, diagnostics: result.diagnostics };
  };
  const serializedReload = (): Promise<ReloadOutcome> => {
    const next = (reloading ?? Promise.resolve()).then(reload, reload);
    reloading = next;
    return next;
  };
  const watcher = options.watchZones ? watchDir(options.zonesDir, () => void serializedReload(), log) : undefined;

  return {
    dns,
    reload: serializedReload,
    snapshot: () => current,
    close: async () => {
      watcher?.close();
      await Promise.all(dns.map((l) => l.close()));
    },
  };
}

/** The DNS handler with the edge's safety net: a thrown error answers SERVFAIL and is logged at most once a second. */
function guardedHandler(snapshot: () => Snapshot, log: Logger): DnsHandler {
  let lastLogMs = 0;
  let suppressed = 0;
  const chooser = randomChooser();
  return (request, ctx) => {
    try {
      return respond(request, ctx, snapshot(), chooser).reply;
    } catch (e) {
      const now = Date.now();
      if (now - lastLogMs >= ERROR_LOG_INTERVAL_MS) {
        log.error(`query from ${ctx.remoteAddress} failed (${suppressed} more not logged): ${(e as Error).stack ?? String(e)}`);
        lastLogMs = now;
        suppressed = 0;
      } else {
        suppressed++;
      }
      return servfailFor(request);
    }
  };
}

function geoSummary(geo: GeoDatabase | undefined, dir: string | undefined): string {
  if (!geo || (geo.databases.length === 0 && geo.networkCount === 0)) return `no GeoIP data${dir ? ` in ${dir}` : ''}: rules with geos, asns or isps match no client`;
  const dbs = geo.databases.map((d) => `${d.name} (${d.databaseType})`).join(', ');
  return `GeoIP: ${geo.networkCount} custom network(s)${dbs ? `, ${dbs}` : ''}`;
}

/** Math.random for weighted picks; one counter per round-robin sequence. */
export function randomChooser(): Chooser {
  const positions = new Map<string, number>();
  return {
    random: Math.random,
    next: (key) => {
      const n = positions.get(key) ?? 0;
      positions.set(key, n + 1);
      return n;
    },
  };
}

function watchDir(dir: string, onChange: () => void, log: Logger): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined;
  try {
    return watch(dir, (_event, file) => {
      if (file !== null && !String(file).endsWith('.yaml')) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, WATCH_DEBOUNCE_MS);
    });
  } catch (e) {
    log.warn(`not watching ${dir} for changes: ${(e as Error).message}; reload with SIGHUP`);
    return undefined;
  }
}

export function formatAddress(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
