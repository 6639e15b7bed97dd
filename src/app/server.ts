// The running server: owns the store, the live state and the current snapshot; answers queries and updates.
import { randomBytes } from 'node:crypto';
import type { ListenAddress, TsigKeyConfig } from '../config/index.ts';
import { apiHandler, type HttpListener, listenHttp } from '../api/index.ts';
import { type Cidr, formatDiagnostic, parseCidr, Rcode, type Diagnostic } from '../core/index.ts';
import type { Metric, Metrics } from '../metrics/index.ts';
import { requestOpcode, respond, servfailFor } from '../query/index.ts';
import { redirectHandler } from '../redirect/index.ts';
import { cachingSnapshot, type Snapshot } from '../resolve/index.ts';
import { type DnsHandler, type DnsListener, listenDns } from '../server/index.ts';
import { healthView, liveFromStored, type LiveState, materialize, materializeZone, planChanges, reconcile, updateView } from '../state/index.ts';
import type { JournalEntry } from '../state/index.ts';
import { Store } from '../store/index.ts';
import { healthTargets, type TargetStatus } from '../health/index.ts';
import { type Change, processUpdate, type UpdateKey, type UpdateOutcome } from '../update/index.ts';
import { apiContext } from './api.ts';
import { healthMonitor } from './health.ts';
import { count, rcodeName, serverMetrics } from './metrics.ts';
import { redirectChooser } from './redirect.ts';
import { randomChooser } from './chooser.ts';
import { collectGarbage, geoSummary, loadData, type LoadedData } from './data.ts';
import type { Logger } from './log.ts';
import { watchDir } from './watch.ts';

export interface AppOptions {
  /** HTTP API (loopback unless told otherwise; elsewhere only with a token). */
  readonly apiListen?: ListenAddress;
  readonly apiToken?: string | undefined;
  /** HTTP 302 tier. */
  readonly redirectListen?: ListenAddress;
  /** Peers whose X-Forwarded-For the redirect tier believes (CIDR text). */
  readonly trustedProxies?: readonly string[];
  readonly zonesDir: string;
  readonly geoipDir: string | undefined;
  /** SQLite file for serials, updates, member state and the journal (":memory:" for none on disk). */
  readonly dbPath: string;
  readonly tsigKeys: readonly TsigKeyConfig[];
  readonly dnsListen: readonly ListenAddress[];
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  /** Reload when a file in the zones directory changes (debounced). */
  readonly watchZones: boolean;
  /** Probe the members of records with a health check (default true). */
  readonly healthChecks?: boolean;
  /** Told of every change once it is committed and swapped in (worker processes follow it). */
  readonly onChange?: (change: StateChange) => void;
  /** The metrics of worker processes, for the API's /metrics. */
  readonly otherMetrics?: () => Promise<Metric[][]>;
  readonly log: Logger;
}

/** A committed change to one zone's live state, or a reload of every file with the state that followed. */
export type StateChange = { readonly kind: 'commit'; readonly origin: string; readonly live: LiveState } | { readonly kind: 'reload'; readonly live: LiveState };

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
}

export interface RunningApp {
  readonly dns: readonly DnsListener[];
  readonly api: HttpListener | undefined;
  readonly redirect: HttpListener | undefined;
  /** Loads every zone file again; on any error the zones in service stay in service. */
  reload(): Promise<ReloadOutcome>;
  snapshot(): Snapshot;
  /** The stored state over the zone files (what worker processes follow). */
  live(): LiveState;
  /** Handles one UPDATE message as if it arrived on a listener (the health monitor's path). */
  update(message: Buffer): { reply: Buffer; outcome: UpdateOutcome };
  /** The internal key health updates are signed with; it lives only as long as this process. */
  readonly healthKey: UpdateKey['key'];
  /** The last probe of each health-check target. */
  healthStatus(): TargetStatus[];
  journal(sinceId?: number, limit?: number): JournalEntry[];
  close(): Promise<void>;
}

const ERROR_LOG_INTERVAL_MS = 1000;
/** Below this, a pause of a few milliseconds under load overflows the UDP socket (see the dns listener). */
const MIN_UDP_RECEIVE_BUFFER = 1024 * 1024;

/**
 * A DNS listener on every address of `dnsListen`, each logged (with a UDP receive buffer too small to ride out a
 * pause); if one cannot be opened, those already open are closed and the error thrown.
 */
export async function listenAll(options: Pick<AppOptions, 'dnsListen' | 'tcpIdleTimeoutMs' | 'tcpMaxConnections'>, handle: DnsHandler, log: Logger): Promise<DnsListener[]> {
  const dns: DnsListener[] = [];
  try {
    for (const address of options.dnsListen) {
      const listener = await listenDns({ ...address, tcpIdleTimeoutMs: options.tcpIdleTimeoutMs, tcpMaxConnections: options.tcpMaxConnections }, handle);
      dns.push(listener);
      log.info(`dns listening on ${formatAddress(listener)} (udp, tcp)`);
      if (listener.udpReceiveBuffer < MIN_UDP_RECEIVE_BUFFER) {
        log.warn(`the UDP receive buffer on ${formatAddress(listener)} is ${listener.udpReceiveBuffer} bytes: queries arriving during a pause may be dropped (raise net.core.rmem_max to 4194304)`);
      }
    }
    return dns;
  } catch (e) {
    await Promise.all(dns.map((l) => l.close()));
    throw e;
  }
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { log } = options;
  const store = Store.open(options.dbPath);
  const first = await loadData(options.zonesDir, options.geoipDir);
  first.diagnostics.forEach((d) => (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d)));
  if (!first.data) {
    store.close();
    throw new Error(`zones in ${options.zonesDir} or GeoIP data in ${options.geoipDir ?? '-'} have errors; nothing served`);
  }
  let files: LoadedData = first.data;
  let live: LiveState = adopt(store, files, liveFromStored(store.load()));
  let current: Snapshot = snapshotOf(files, live);
  collectGarbage(); // what loading left behind
  log.info(`loaded ${current.zones.zones.size} zone(s) from ${options.zonesDir}`);
  log.info(geoSummary(current.geo, options.geoipDir));

  const healthKey = { name: 'gslb-health.', algorithm: 'hmac-sha256' as const, secret: randomBytes(32) };
  const keys = new Map<string, UpdateKey>(options.tsigKeys.map((k) => [k.name, { key: { name: k.name, algorithm: k.algorithm, secret: Buffer.from(k.secret, 'base64') }, source: 'update', zones: k.zones }]));
  keys.set(healthKey.name, { key: healthKey, source: 'health', zones: undefined });

  const metrics = serverMetrics(() => current);

  /** The one write path (updates, health, API): committed to the store, then swapped in; false if the store failed. */
  const commit = (origin: string, changes: readonly Change[], meta: { source: 'update' | 'health' | 'api'; reason: string }): boolean => {
    const plan = planChanges(current.zones.zones.get(origin)!, files.zones.zones.get(origin), live, changes, { ...meta, nowMs: Date.now() });
    try {
      store.commit(plan.commit);
    } catch (e) {
      log.error(`change to ${origin} not committed: ${(e as Error).message}`);
      return false;
    }
    live = plan.live;
    current = withZone(current, files, live, origin);
    options.onChange?.({ kind: 'commit', origin, live });
    return true;
  };

  /** Every update: checked, committed, then swapped in; only then is it acknowledged. */
  const update = (message: Buffer): { reply: Buffer; outcome: UpdateOutcome } => {
    const nowMs = Date.now();
    const outcome = processUpdate(message, {
      zone: (origin) => {
        const zone = current.zones.zones.get(origin);
        return zone && updateView(zone, live);
      },
      key: (name) => keys.get(name),
      nowSeconds: Math.floor(nowMs / 1000),
    });
    let rcode = outcome.rcode;
    if (rcode === Rcode.NOERROR && outcome.changes.length > 0) {
      if (!commit(outcome.zone!, outcome.changes, { source: outcome.source ?? 'update', reason: `${outcome.source ?? 'update'} signed by ${outcome.keyName}` })) rcode = Rcode.SERVFAIL;
    }
    metrics.update(outcome.source ?? 'unsigned', rcodeName(rcode));
    const note = [outcome.reason, ...outcome.skipped.map((s) => `skipped: ${s}`)].filter(Boolean).join('; ');
    (rcode === Rcode.NOERROR ? log.info : log.warn)(`update ${outcome.zone ?? '?'} by ${outcome.keyName ?? 'unsigned'}: rcode ${rcode}${outcome.changes.length ? `, ${outcome.changes.length} change(s)` : ''}${note ? ` (${note})` : ''}`);
    return { reply: outcome.reply(rcode), outcome };
  };

  const monitor = healthMonitor(healthKey, update, metrics, log);
  const syncHealth = (): void => {
    if (options.healthChecks !== false) monitor.sync(healthTargets(current.zones.zones.values(), healthView(live).check));
  };
  syncHealth();

  const handle = guardedHandler(() => current, (m) => update(m).reply, metrics, log);
  let dns: DnsListener[];
  try {
    dns = await listenAll(options, handle, log);
  } catch (e) {
    monitor.stop();
    store.close();
    throw e;
  }

  let reloading: Promise<ReloadOutcome> | undefined;
  const reload = async (): Promise<ReloadOutcome> => {
    const result = await loadData(options.zonesDir, options.geoipDir, files);
    result.diagnostics.forEach((d) => (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d)));
    metrics.reload(result.data !== undefined);
    if (!result.data) {
      log.error('reload rejected: the zones in service are unchanged');
      return { ok: false, diagnostics: result.diagnostics };
    }
    files = result.data;
    live = adopt(store, files, live);
    current = snapshotOf(files, live); // running queries keep the old one
    options.onChange?.({ kind: 'reload', live });
    collectGarbage(); // the zones just replaced
    log.info(`reloaded ${current.zones.zones.size} zone(s)`);
    syncHealth();
    return { ok: true, diagnostics: result.diagnostics };
  };
  const serializedReload = (): Promise<ReloadOutcome> => {
    const next = (reloading ?? Promise.resolve()).then(reload, reload);
    reloading = next;
    return next;
  };
  const watcher = options.watchZones ? watchDir(options.zonesDir, () => void serializedReload(), log) : undefined;

  const http: HttpListener[] = [];
  const closeAll = async (): Promise<void> => {
    watcher?.close();
    monitor.stop();
    await Promise.all([...dns, ...http].map((l) => l.close()));
    store.close();
  };
  let api: HttpListener | undefined;
  let redirect: HttpListener | undefined;
  try {
    if (options.apiListen) {
      const token = options.apiToken;
      if (!token && !isLoopback(options.apiListen.host)) throw new Error(`the API on ${formatAddress(options.apiListen)} is not loopback: set api_token (or GSLB_API_TOKEN) first`);
      const ctx = apiContext({
        snapshot: () => current, live: () => live, commit, reload: serializedReload, journal: (since, limit) => store.journal(since, limit),
        healthStatus: () => monitor.status(), metrics, token, ...(options.otherMetrics ? { otherMetrics: options.otherMetrics } : {}),
      });
      api = await listenHttp(options.apiListen.host, options.apiListen.port, apiHandler(ctx, (e) => log.error(`API: ${(e as Error).stack ?? String(e)}`)));
      http.push(api);
      log.info(`api listening on ${formatAddress(api)}${token ? '' : ' (read-only: no api_token)'}`);
    }
    if (options.redirectListen) {
      const trustedProxies = (options.trustedProxies ?? []).map((t) => parseCidr(t)).filter((c): c is Cidr => typeof c !== 'string');
      redirect = await listenHttp(options.redirectListen.host, options.redirectListen.port, redirectHandler({ choose: redirectChooser(() => current), trustedProxies }));
      http.push(redirect);
      log.info(`redirect tier listening on ${formatAddress(redirect)}`);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }

  return {
    dns, api, redirect, healthKey, update,
    reload: serializedReload,
    snapshot: () => current,
    live: () => live,
    journal: (sinceId, limit) => store.journal(sinceId, limit),
    healthStatus: () => monitor.status(),
    close: closeAll,
  };
}

/** The snapshot of the files with the live state over them, its caches empty. */
export function snapshotOf(files: LoadedData, live: LiveState): Snapshot {
  return cachingSnapshot({ zones: materialize(files.zones, live), geo: files.geo, health: healthView(live) });
}

/** The snapshot after a change to one zone's live state: that zone rebuilt, the others shared. */
export function withZone(current: Snapshot, files: LoadedData, live: LiveState, origin: string): Snapshot {
  const zones = new Map(current.zones.zones).set(origin, materializeZone(files.zones.zones.get(origin)!, live));
  return cachingSnapshot({ geo: current.geo, zones: { zones }, health: healthView(live) });
}

/** Reconciles stored state with freshly loaded zone files and records what that changed. */
function adopt(store: Store, files: LoadedData, live: LiveState): LiveState {
  const r = reconcile(files.zones, live, Date.now());
  store.commit({ ...r.commit, journal: [...(r.commit.journal ?? []), { at: Date.now(), source: 'reload', zone: null, name: null, type: null, before: null, after: `${files.zones.zones.size} zone(s)`, reason: 'zone files loaded' }] });
  return r.live;
}

/** The DNS handler with the edge's safety net: a thrown error answers SERVFAIL and is logged at most once a second. */
export function guardedHandler(snapshot: () => Snapshot, update: (message: Buffer) => Buffer | Promise<Buffer>, metrics: Metrics, log: Logger): DnsHandler {
  let lastLogMs = 0;
  let suppressed = 0;
  const chooser = randomChooser();
  return (request, ctx) => {
    try {
      if (requestOpcode(request) === 5) {
        const reply = update(request);
        return reply instanceof Promise ? reply.catch(() => servfailFor(request)) : reply;
      }
      const out = respond(request, ctx, snapshot(), chooser);
      if (out.reply) count(metrics, out, ctx.transport);
      return out.reply;
    } catch (e) {
      const now = Date.now();
      if (now - lastLogMs >= ERROR_LOG_INTERVAL_MS) {
        log.error(`request from ${ctx.remoteAddress} failed (${suppressed} more not logged): ${(e as Error).stack ?? String(e)}`);
        lastLogMs = now;
        suppressed = 0;
      } else {
        suppressed++;
      }
      return servfailFor(request);
    }
  };
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.');
}

export function formatAddress(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
