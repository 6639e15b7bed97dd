// The running server, in steps: the served state, the update path, health checks, the DNS listeners, the HTTP
// listeners (API and redirect tier); closed in the reverse order.
import type {
  CookieSettings,
  IdentitySettings,
  ListenAddress,
  RateLimitSettings,
  TsigKeyConfig,
} from '../config/index.ts';
import { apiHandler, type HttpListener, jsonError, listenHttp } from '../api/index.ts';
import { errorStack, parseCidr } from '../core/index.ts';
import type { MetricsData } from '../metrics/index.ts';
import { redirectHandler } from '../redirect/index.ts';
import type { Snapshot } from '../resolve/index.ts';
import { type DnsHandler, type DnsListener, listenDns } from '../server/index.ts';
import { healthView, type JournalEntry, type LiveState } from '../state/index.ts';
import { healthTargets, type TargetStatus } from '../health/index.ts';
import type { TsigKey } from '../dns/index.ts';
import type { UpdateOutcome } from '../update/index.ts';
import { apiContext } from './api.ts';
import { dnsHandler } from './dns.ts';
import { protection } from './protect.ts';
import { healthMonitor } from './health.ts';
import { LimitedLog, type Logger } from './log.ts';
import { serverMetrics } from './metrics.ts';
import { redirectChooser } from './redirect.ts';
import { type ReloadOutcome, ServedState, type StateChange, type StorageHealth } from './state.ts';
import { HEALTH_ORIGIN, updateService } from './updates.ts';
import { watchDir } from './watch.ts';

export type { ReloadOutcome, StateChange } from './state.ts';

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
  /** TCP connections one source address may hold (default 16). */
  readonly tcpMaxPerClient?: number;
  /** A zone file larger than this is rejected before it is read (default 64 MiB). */
  readonly maxZoneFileBytes?: number;
  /** API bodies larger than this are refused with 413 (default 64 KiB). */
  readonly apiMaxBodyBytes?: number;
  /** Response rate limiting (default: 200 per second per class and /24 or /56, loopback exempt). */
  readonly rateLimit?: RateLimitSettings;
  /** DNS Cookies; without a secret, one is made at start (and given to worker processes). */
  readonly cookies?: CookieSettings;
  readonly identity?: IdentitySettings;
  /** Reload when a file in the zones directory changes (debounced). */
  readonly watchZones: boolean;
  /** Probe the members of records with a health check (default true). */
  readonly healthChecks?: boolean;
  /** Told of every change once it is committed and swapped in (worker processes follow it). */
  readonly onChange?: (change: StateChange) => void;
  /** The metrics of worker processes, for the API's /metrics. */
  readonly otherMetrics?: () => Promise<MetricsData[]>;
  readonly log: Logger;
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
  /** Handles one UPDATE message as if it arrived on a listener from `from` (default: the health monitor's path). */
  update(message: Buffer, from?: string): { reply: Buffer; outcome: UpdateOutcome };
  /** The internal key health updates are signed with; it lives only as long as this process. */
  readonly healthKey: TsigKey;
  /** The last probe of each health-check target. */
  healthStatus(): TargetStatus[];
  journal(sinceId?: number, limit?: number): JournalEntry[];
  /** Whether the store took the last write. */
  storage(): StorageHealth;
  close(): Promise<void>;
}

export const DEFAULT_TCP_MAX_PER_CLIENT = 16;
export const DEFAULT_API_MAX_BODY_BYTES = 64 * 1024;
/** Below this, a pause of a few milliseconds under load overflows the UDP socket (see the dns listener). */
const MIN_UDP_RECEIVE_BUFFER = 1024 * 1024;

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { log } = options;
  const limited = new LimitedLog(log);
  let state: ServedState | undefined;
  const metrics = serverMetrics(
    () => state!.snapshot(),
    () => state!.storage(),
  );
  state = await ServedState.open({ ...options, metrics, log });
  const served = state;
  const updates = updateService(served, options.tsigKeys, metrics, log, limited);
  const update = (
    message: Buffer,
    from: string = HEALTH_ORIGIN,
  ): { reply: Buffer; outcome: UpdateOutcome } => updates.handle(message, from);
  const monitor = healthMonitor(updates.healthKey, (m) => update(m), metrics, log);
  const syncHealth = (): void => {
    if (options.healthChecks !== false)
      monitor.sync(
        healthTargets(served.snapshot().zones.zones.values(), healthView(served.liveState()).check),
      );
  };
  syncHealth();
  const reload = async (): Promise<ReloadOutcome> => {
    const outcome = await served.reload();
    if (outcome.ok) syncHealth();
    return outcome;
  };

  const guard = protection(options.rateLimit, options.cookies, options.identity);
  const listeners: { close(): Promise<void> }[] = [];
  const watcher = options.watchZones
    ? watchDir(options.zonesDir, () => void reload(), log)
    : undefined;
  const close = async (): Promise<void> => {
    watcher?.close();
    monitor.stop();
    await Promise.all(listeners.map((l) => l.close()));
    guard.stop();
    limited.close();
    await served.close();
  };
  try {
    const handler = dnsHandler({
      snapshot: () => served.snapshot(),
      update: (m, from) => update(m, from).reply,
      metrics,
      limited,
      ...guard,
    });
    const dns = await listenAll(options, handler, log);
    listeners.push(...dns);
    const api = options.apiListen
      ? await listenApi(
          options,
          options.apiListen,
          apiContext({
            snapshot: () => served.snapshot(),
            live: () => served.liveState(),
            commit: (o, c, m) => served.commit(o, c, m),
            reload,
            journal: (since, limit) => served.journalOf(since, limit),
            healthStatus: () => monitor.status(),
            storage: () => served.storage(),
            metrics,
            token: options.apiToken,
            ...(options.otherMetrics ? { otherMetrics: options.otherMetrics } : {}),
          }),
          limited,
        )
      : undefined;
    if (api) listeners.push(api);
    const redirect = options.redirectListen
      ? await listenRedirect(options, options.redirectListen, () => served.snapshot(), limited)
      : undefined;
    if (redirect) listeners.push(redirect);
    if (redirect) log.info(`redirect tier listening on ${formatAddress(redirect)}`);
    return {
      dns,
      api,
      redirect,
      healthKey: updates.healthKey,
      update,
      reload,
      snapshot: () => served.snapshot(),
      live: () => served.liveState(),
      journal: (sinceId, limit) => served.journalOf(sinceId, limit),
      healthStatus: () => monitor.status(),
      storage: () => served.storage(),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

async function listenApi(
  options: AppOptions,
  address: ListenAddress,
  ctx: ReturnType<typeof apiContext>,
  limited: LimitedLog,
): Promise<HttpListener> {
  if (!options.apiToken && !isLoopback(address.host))
    throw new Error(
      `the API on ${formatAddress(address)} is not loopback: set api_token (or GSLB_API_TOKEN) first`,
    );
  const api = await listenHttp(address.host, address.port, apiHandler(ctx), {
    maxBodyBytes: options.apiMaxBodyBytes ?? DEFAULT_API_MAX_BODY_BYTES,
    errorBody: jsonError,
    onError: (e, req) =>
      limited.write(
        'error',
        'API request failed',
        req.socket.remoteAddress ?? '',
        `API ${req.method} ${(req.url ?? '').slice(0, 200)}: ${errorStack(e)}`,
      ),
  });
  options.log.info(
    `api listening on ${formatAddress(api)}${options.apiToken ? '' : ' (read-only: no api_token)'}`,
  );
  return api;
}

function listenRedirect(
  options: AppOptions,
  address: ListenAddress,
  snapshot: () => Snapshot,
  limited: LimitedLog,
): Promise<HttpListener> {
  // Entries were checked as CIDRs when the config was read.
  const trustedProxies = (options.trustedProxies ?? [])
    .map((t) => parseCidr(t))
    .flatMap((c) => (c.ok ? [c.value] : []));
  return listenHttp(
    address.host,
    address.port,
    redirectHandler({ choose: redirectChooser(snapshot), trustedProxies }),
    {
      maxBodyBytes: 0,
      errorBody: (_status, _code, message) => ({
        contentType: 'text/plain; charset=utf-8',
        text: `${message}\n`,
      }),
      onError: (e, req) =>
        limited.write(
          'error',
          'redirect request failed',
          req.socket.remoteAddress ?? '',
          `redirect ${req.method} ${(req.url ?? '').slice(0, 200)}: ${errorStack(e)}`,
        ),
    },
  );
}

/**
 * A DNS listener on every address of `dnsListen`, each logged (with a UDP receive buffer too small to ride out a
 * pause); if one cannot be opened, those already open are closed and the error thrown.
 */
export async function listenAll(
  options: Pick<
    AppOptions,
    'dnsListen' | 'tcpIdleTimeoutMs' | 'tcpMaxConnections' | 'tcpMaxPerClient'
  >,
  handle: DnsHandler,
  log: Logger,
): Promise<DnsListener[]> {
  const dns: DnsListener[] = [];
  try {
    for (const address of options.dnsListen) {
      const listener = await listenDns(
        {
          ...address,
          tcpIdleTimeoutMs: options.tcpIdleTimeoutMs,
          tcpMaxConnections: options.tcpMaxConnections,
          tcpMaxPerClient: options.tcpMaxPerClient ?? DEFAULT_TCP_MAX_PER_CLIENT,
        },
        handle,
      );
      dns.push(listener);
      log.info(`dns listening on ${formatAddress(listener)} (udp, tcp)`);
      if (listener.udpReceiveBuffer < MIN_UDP_RECEIVE_BUFFER) {
        log.warn(
          `the UDP receive buffer on ${formatAddress(listener)} is ${listener.udpReceiveBuffer} bytes: queries arriving during a pause may be dropped (raise net.core.rmem_max to 4194304)`,
        );
      }
    }
    return dns;
  } catch (e) {
    await Promise.all(dns.map((l) => l.close()));
    throw e;
  }
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.');
}

export function formatAddress(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
