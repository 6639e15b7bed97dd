// The running server, in steps: open (the store, the files, the update path, health checks), listen (DNS, the API,
// the redirect tier, the zones directory), and close in the reverse order.
import type { HttpListener } from '../api/index.ts';
import type { Settings } from '../config/index.ts';
import type { TsigKey } from '../dns/index.ts';
import { HealthMonitor, healthTargets, type TargetStatus } from '../health/index.ts';
import type { Metrics, MetricsData } from '../metrics/index.ts';
import type { Snapshot } from '../resolve/index.ts';
import type { DnsListener } from '../server/index.ts';
import { healthView, type JournalEntry, type LiveState } from '../state/index.ts';
import type { UpdateOutcome } from '../update/index.ts';
import { apiContext } from './api.ts';
import { dnsHandler } from './dns.ts';
import { type HealthUpdate, healthMonitor, transitionRecorder } from './health.ts';
import { listenAll, listenApi, listenRedirect } from './listen.ts';
import { LimitedLog, type Logger } from './log.ts';
import { serverMetrics } from './metrics.ts';
import { protection, type Protection } from './protect.ts';
import { QuorumHealth } from './quorum.ts';
import { type ReloadOutcome, ServedState, type StateChange, type StorageHealth } from './state.ts';
import { HEALTH_ORIGIN, type UpdateService, updateService } from './updates.ts';
import { type DirWatch, watchDir } from './watch.ts';

export type { ReloadOutcome, StateChange } from './state.ts';

export interface AppOptions {
  readonly settings: Settings;
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
  update(message: Buffer, from?: string): Promise<{ reply: Buffer; outcome: UpdateOutcome }>;
  /** The internal key health updates are signed with; it lives only as long as this process. */
  readonly healthKey: TsigKey;
  /** The last probe of each health-check target. */
  healthStatus(): TargetStatus[];
  journal(sinceId?: number, limit?: number): JournalEntry[];
  /** Whether the store took the last write. */
  storage(): StorageHealth;
  close(): Promise<void>;
}

/** Opens the store and the files, then listens; whatever was opened is closed again if a step fails. */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const app = await Application.open(options);
  try {
    return await app.listen();
  } catch (e) {
    await app.close();
    throw e;
  }
}

/** The parts of a running server and the order they start and stop in. */
class Application {
  private readonly listeners: { close(): Promise<void> }[] = [];
  private watcher: DirWatch | undefined;

  private constructor(
    private readonly options: AppOptions,
    private readonly state: ServedState,
    private readonly metrics: Metrics,
    private readonly limited: LimitedLog,
    private readonly updates: UpdateService,
    private readonly health: { monitor: HealthMonitor; quorum: QuorumHealth | undefined },
    private readonly guard: Protection,
  ) {}

  /** The store, the files, the update path and health checks; nothing listens yet. */
  static async open(options: AppOptions): Promise<Application> {
    const { settings, log } = options;
    let state: ServedState | undefined = undefined;
    const metrics = serverMetrics(
      () => state!.snapshot(),
      () => state!.storage(),
      settings.cluster ? () => state?.cluster() : undefined,
    );
    state = await ServedState.open({ settings, metrics, log, onChange: options.onChange });
    const limited = new LimitedLog(log);
    const updates = updateService(state, settings.tsigKeys, metrics, log, limited);
    const update: HealthUpdate = (m, o) => updates.handle(m, HEALTH_ORIGIN, o);
    let quorum: QuorumHealth | undefined;
    const monitor = healthMonitor({
      key: updates.healthKey,
      update,
      metrics,
      log,
      sources: settings.probeSource,
      observed: settings.cluster ? () => quorum?.observed() : undefined,
    });
    if (settings.cluster && options.healthChecks !== false) {
      const record = transitionRecorder(updates.healthKey, update, log);
      quorum = new QuorumHealth({
        state,
        monitor,
        quorum: settings.cluster.healthQuorum,
        record,
        log,
      });
      quorum.start();
    }
    const guard = protection(settings.rateLimit, settings.cookies, settings.identity);
    const health = { monitor, quorum };
    const app = new Application(options, state, metrics, limited, updates, health, guard);
    app.syncHealth();
    return app;
  }

  /** Handles one UPDATE message from `from`: the path nsupdate, the health monitor and workers take. */
  readonly update = (message: Buffer, from: string = HEALTH_ORIGIN) =>
    this.updates.handle(message, from);

  /** Loads the files again, then probes what the new zones check. */
  readonly reload = async (): Promise<ReloadOutcome> => {
    const outcome = await this.state.reload();
    if (outcome.ok) this.syncHealth();
    return outcome;
  };

  private syncHealth(): void {
    if (this.options.healthChecks === false) return;
    const zones = this.state.snapshot().zones.zones.values();
    const targets = healthTargets(zones, healthView(this.state.liveState()).check);
    this.health.monitor.sync(targets);
    this.health.quorum?.sync(targets);
  }

  /** The watch on the zones directory, the DNS listeners, the API and the redirect tier. */
  async listen(): Promise<RunningApp> {
    const { settings, log } = this.options;
    // The watch first: a file changed while the listeners open is reloaded all the same.
    if (this.options.watchZones) this.watcher = this.watch();
    const dns = await listenAll(settings, this.dnsHandler(), log);
    this.listeners.push(...dns);
    const api =
      settings.apiListen &&
      (await listenApi(settings.apiListen, settings, this.api(), this.limited));
    if (api) this.listeners.push(api);
    const snapshot = (): Snapshot => this.state.snapshot();
    const redirect =
      settings.redirectListen &&
      (await listenRedirect(
        settings.redirectListen,
        settings.trustedProxies,
        snapshot,
        this.limited,
      ));
    if (redirect) this.listeners.push(redirect);
    return this.running(dns, api, redirect);
  }

  private dnsHandler(): ReturnType<typeof dnsHandler> {
    return dnsHandler({
      snapshot: () => this.state.snapshot(),
      update: async (m, from) => (await this.update(m, from)).reply,
      metrics: this.metrics,
      limited: this.limited,
      ...this.guard,
    });
  }

  private api(): ReturnType<typeof apiContext> {
    return apiContext({
      state: this.state,
      monitor: this.health.monitor,
      metrics: this.metrics,
      otherMetrics: this.options.otherMetrics,
      token: this.options.settings.apiToken,
      reload: this.reload,
    });
  }

  private watch(): DirWatch {
    return watchDir(this.options.settings.zones, () => void this.reload(), this.options.log);
  }

  private running(
    dns: readonly DnsListener[],
    api: HttpListener | undefined,
    redirect: HttpListener | undefined,
  ): RunningApp {
    const { state } = this;
    const { monitor } = this.health;
    return {
      dns,
      api,
      redirect,
      healthKey: this.updates.healthKey,
      update: this.update,
      reload: this.reload,
      snapshot: () => state.snapshot(),
      live: () => state.liveState(),
      journal: (sinceId, limit) => state.journalOf(sinceId, limit),
      healthStatus: () => monitor.status(),
      storage: () => state.storage(),
      close: () => this.close(),
    };
  }

  /** The watch and health checks first, then the listeners, the rate limiter and the log; the store last. */
  async close(): Promise<void> {
    this.watcher?.close();
    this.health.quorum?.stop();
    this.health.monitor.stop();
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
    this.guard.stop();
    this.limited.close();
    await this.state.close();
  }
}
