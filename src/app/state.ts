// What the server serves: the zone files, the stored state over them and the snapshot queries read; the one place
// they change (commits and reloads), with storage faults kept to the operation that met them.
import {
  type Diagnostic,
  recordKey,
  errorMessage,
  fail,
  formatDiagnostic,
  ok,
  type Result,
} from '../core/index.ts';
import type { ClusterSettings, Settings } from '../config/index.ts';
import {
  APPLIED_KEY,
  keysOfLive,
  liveFromKeys,
  type PeerView,
  SharedState,
  type SharedStatus,
} from '../cluster/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { cachingSnapshot, type Snapshot } from '../resolve/index.ts';
import {
  applyDelta,
  EMPTY_LIVE,
  healthView,
  type JournalEntry,
  type LiveDelta,
  liveFromStored,
  type LiveState,
  materialize,
  plainLive,
  type PlainLive,
  planChanges,
  reconcile,
  zoneWithDelta,
} from '../state/index.ts';
import { Store } from '../store/index.ts';
import type { Change } from '../update/index.ts';
import { nextSerial } from '../zone/index.ts';
import { collectGarbage, geoSummary, loadData, type LoadedData, treesSummary } from './data.ts';
import type { Logger } from './log.ts';

/** A committed change to one zone's live state, or a reload of every file with the state that followed. */
export type StateChange =
  | { readonly kind: 'commit'; readonly delta: LiveDelta }
  | { readonly kind: 'reload'; readonly live: PlainLive };

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** Why a reload with no zone-file problem failed (the store could not record it, or the server is stopping). */
  readonly error?: string;
}

/**
 * A committed change's new serial, or why the store did not take it; `conflict`: another node changed the zone
 * first, and planning the change again (on the state it left) may succeed.
 */
export type CommitOutcome =
  | { readonly ok: true; readonly value: { readonly serial: number } }
  | { readonly ok: false; readonly error: string; readonly conflict?: boolean };

/** How many times a change that met a conflict is planned again. */
export const COMMIT_ATTEMPTS = 10;

/**
 * The pause before planning a change again after its `attempt`-th conflict: random, growing, so that two nodes
 * writing one zone back to back do not keep meeting (at most ~2^attempt ms, capped at 100 ms).
 */
export function conflictPause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes waiting their turn in cluster mode; one more is refused rather than queued. */
export const MAX_WAITING_WRITES = 1_000;

/** The store as the operations found it: a failed write is reported here until a later one succeeds. */
export interface StorageHealth {
  readonly ok: boolean;
  readonly failures: number;
  readonly lastError: string | undefined;
  readonly lastErrorAt: number | undefined;
}

export interface ServedStateOptions {
  readonly settings: Pick<
    Settings,
    'zones' | 'geoip' | 'db' | 'maxZoneFileBytes' | 'compileRules' | 'cluster'
  >;
  readonly metrics?: Metrics;
  /** Told of every change once it is committed and swapped in (worker processes follow it). */
  readonly onChange?: ((change: StateChange) => void) | undefined;
  readonly log: Logger;
}

export class ServedState {
  private current: Snapshot;
  private running: Promise<ReloadOutcome> | undefined;
  private next: Promise<ReloadOutcome> | undefined;
  private readonly stopping = new AbortController();
  private storageHealth: StorageHealth = {
    ok: true,
    failures: 0,
    lastError: undefined,
    lastErrorAt: undefined,
  };

  private live: LiveState = EMPTY_LIVE;
  /** In cluster mode: the state shared through etcd. */
  private shared: SharedState | undefined;
  private peersListener: (() => void) | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  /** Cluster mode: this node's writes, one at a time (its own would otherwise conflict with each other). */
  private writes: Promise<unknown> = Promise.resolve();
  private waitingWrites = 0;

  private constructor(
    private readonly store: Store,
    private files: LoadedData,
    private readonly options: ServedStateOptions,
  ) {
    this.current = cachingSnapshot({
      zones: { zones: new Map() },
      geo: undefined,
      health: healthView(EMPTY_LIVE),
    }); // until open() has read the store
  }

  /** Opens the store and loads the files; throws (with the store closed) when they do not load. */
  static async open(options: ServedStateOptions): Promise<ServedState> {
    const { log, settings } = options;
    const store = Store.open(settings.db);
    const first = await loadData(settings.zones, settings.geoip, {
      maxZoneFileBytes: settings.maxZoneFileBytes,
      compileRules: settings.compileRules,
    });
    first.diagnostics.forEach((d) =>
      (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d)),
    );
    if (!first.data) {
      store.close();
      throw new Error(
        `zones in ${settings.zones} or GeoIP data in ${settings.geoip ?? '-'} have errors; nothing served`,
      );
    }
    const stored = liveFromStored(store.load());
    const state = new ServedState(store, first.data, options);
    if (settings.cluster) await state.openShared(settings.cluster, first.data, stored);
    else {
      const adopted = state.adopt(first.data, stored);
      if (adopted.ok) state.live = adopted.value;
      else state.live = reconcile(first.data.zones, stored, Date.now()).live; // recorded at a later start
      state.current = snapshotOf(first.data, state.live);
    }
    collectGarbage(); // what loading left behind
    log.info(`loaded ${state.current.zones.zones.size} zone(s) from ${settings.zones}`);
    log.info(geoSummary(state.current.geo, settings.geoip));
    const compiled = treesSummary(first.data.trees);
    if (compiled) log.info(compiled);
    return state;
  }

  snapshot(): Snapshot {
    return this.current;
  }

  liveState(): LiveState {
    return this.live;
  }

  storage(): StorageHealth {
    return this.storageHealth;
  }

  /** Journal entries with id greater than `sinceId`, oldest first. */
  journalOf(sinceId = 0, limit = 1000): JournalEntry[] {
    return this.store.journal(sinceId, limit);
  }

  /** Whether the state is shared through etcd. */
  clustered(): boolean {
    return this.shared !== undefined;
  }

  /** The state shared through etcd, as this node sees it (undefined: one node). */
  cluster(): SharedStatus | undefined {
    return this.shared?.status();
  }

  /** Cluster mode: the live nodes, what each sees and who decides health (undefined: one node). */
  peers(): PeerView | undefined {
    return this.shared?.peers();
  }

  /** Cluster mode: publishes what this node's probes say of each member (memberKey → up). */
  publishObservations(verdicts: ReadonlyMap<string, boolean>): Promise<void> {
    return this.shared?.publish(verdicts) ?? Promise.resolve();
  }

  /** Told when the live nodes, their observations or the decider change. */
  onPeersChanged(listener: () => void): void {
    this.peersListener = listener;
  }

  /** The nodes of the cluster (undefined: one node). */
  clusterNodes(): Promise<Result<{ node: string; info: unknown }[]>> | undefined {
    return this.shared?.nodes();
  }

  /**
   * The one write path (updates, health, API): committed to the store (in cluster mode: to etcd, against the
   * zone as this node has it), then swapped in. Nothing is written when the store does not take it.
   */
  async commit(
    origin: string,
    changes: readonly Change[],
    meta: { source: 'update' | 'health' | 'api'; reason: string; fenced?: boolean },
  ): Promise<CommitOutcome> {
    const zone = this.current.zones.zones.get(origin);
    if (!zone) return { ok: false, error: `${origin} is no longer served` };
    const plan = planChanges(zone, this.files.zones.zones.get(origin), this.live, changes, {
      ...meta,
      nowMs: Date.now(),
    });
    if (this.shared) {
      // The zone's revision the plan was made on, read with it: etcd refuses the write if the zone moved since.
      const planned = this.shared.zoneRevisionOf(origin);
      const started = performance.now();
      const written = await this.shared.commit(
        plan.delta,
        plan.commit.journal ?? [],
        planned,
        meta.fenced,
      );
      this.options.metrics?.clusterCommit((performance.now() - started) / 1000, written.ok);
      // Applied (by applyShared) before the write resolved.
      if (written.ok) return ok({ serial: plan.delta.serial });
      if (!written.conflict)
        this.options.log.warn(`cluster: ${origin}: not committed (${written.error})`);
      return written;
    }
    const stored = this.write('commit', () => this.store.commit(plan.commit));
    if (!stored.ok) return stored;
    this.swapIn(plan.delta);
    return ok({ serial: plan.delta.serial });
  }

  /**
   * Runs a write (check, plan, commit, and any attempts again) after the writes before it. On one node each runs
   * at once; in cluster mode they queue (bounded: undefined when MAX_WAITING_WRITES wait already), so that
   * conflicts come only from other nodes.
   */
  inTurn<T>(write: () => Promise<T>): Promise<T> | undefined {
    if (!this.shared) return write();
    if (this.waitingWrites >= MAX_WAITING_WRITES) return undefined;
    this.waitingWrites++;
    const run = this.writes.then(write).finally(() => this.waitingWrites--);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** A committed change, applied to what is served; workers follow. */
  private swapIn(delta: LiveDelta): void {
    this.live = applyDelta(this.live, delta);
    this.current = withDelta(this.current, this.live, delta);
    this.options.onChange?.({ kind: 'commit', delta });
  }

  /**
   * Cluster mode: serve the state saved here (or, never clustered yet, this node's own), then etcd's once it
   * answers; a first node's state is imported.
   */
  private async openShared(
    cluster: ClusterSettings,
    files: LoadedData,
    stored: LiveState,
  ): Promise<void> {
    const { log } = this.options;
    const saved = this.store.clusterSnapshot();
    const local = reconcile(
      files.zones,
      saved.length > 0 ? liveFromKeys(saved) : stored,
      Date.now(),
    ).live;
    this.live = local;
    this.current = snapshotOf(files, local);
    this.shared = await SharedState.create(
      cluster.etcd,
      cluster.node,
      {
        apply: (delta, journal) => this.applyShared(delta, journal),
        replace: (live) => this.replaceShared(live),
        info: log.info,
        warn: log.warn,
        peersChanged: () => this.peersListener?.(),
      },
      () => this.nodeInfo(),
    );
    const savedRevision = Number(saved.find(([key]) => key === APPLIED_KEY)?.[1] ?? 0);
    const read = await this.shared.start(local, savedRevision);
    if (!read) {
      log.warn(
        `cluster: etcd does not answer; serving the state saved here (${saved.length} key(s)) until it does`,
      );
      return;
    }
    this.replaceShared(read.live);
    if (read.journal.length > 0) this.applyShared(NO_CHANGE, read.journal);
    await this.reconcileShared(files);
    log.info(
      `cluster: node ${cluster.node} follows etcd from revision ${this.shared.status().appliedRevision}`,
    );
  }

  /** A change some node committed: served, journaled here, saved. */
  private applyShared(delta: LiveDelta, journal: readonly JournalEntry[]): void {
    if (delta.origin !== '') this.swapIn(delta);
    if (journal.length > 0) this.write('journal', () => this.store.commit({ journal }));
    this.scheduleSave();
  }

  /** etcd's whole state (start, catching up): served over this node's files. */
  private replaceShared(live: LiveState): void {
    this.live = live;
    this.current = snapshotOf(this.files, live);
    this.options.onChange?.({ kind: 'reload', live: plainLive(live) });
    this.scheduleSave();
  }

  /**
   * What this node's files change in the shared state (an overlay whose RRset the file changed since, a serial
   * the file raised), committed; a conflict means another node did it first.
   */
  /**
   * Brings the shared state in line with this node's zone files (a serial the file raised, overlays of records
   * the file dropped), in the node's write queue; a conflict (another node did it first, or changed the zone) is
   * reconciled again on the state it left.
   */
  private async reconcileShared(files: LoadedData): Promise<void> {
    const { log } = this.options;
    const turn = this.inTurn(async () => {
      for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
        if (!(await this.reconcileSharedOnce(files))) return;
        await conflictPause(attempt);
      }
      log.warn('cluster: zone files not reconciled: other nodes kept changing the zones');
    });
    if (turn) await turn;
    else log.warn('cluster: too many writes waiting; zone files are reconciled at the next reload');
  }

  /** One attempt; true when a zone met another node's change. */
  private async reconcileSharedOnce(files: LoadedData): Promise<boolean> {
    const r = reconcile(files.zones, this.live, Date.now());
    const zones = new Set([
      ...(r.commit.serials?.keys() ?? []),
      ...(r.commit.overlays ?? []).map((o) => o.zone),
    ]);
    const shared = this.shared!;
    const planned = new Map([...zones].map((z) => [z, shared.zoneRevisionOf(z)])); // read with the plan
    let conflict = false;
    for (const origin of zones) {
      const dropped = (r.commit.overlays ?? []).filter((o) => o.zone === origin);
      const serial = r.live.serials.get(origin)!;
      const delta: LiveDelta = {
        origin,
        serial: dropped.length > 0 ? nextSerial(serial) : serial,
        overlays: dropped.map((o) => ({ key: recordKey(o.name, o.type), overlay: undefined })),
        members: [],
        overrides: [],
      };
      const journal = (r.commit.journal ?? []).filter((j) => j.zone === origin);
      const written = await shared.commit(delta, journal, planned.get(origin)!);
      if (!written.ok && written.conflict) conflict = true;
      else if (!written.ok)
        this.options.log.warn(`cluster: ${origin} not reconciled with its file (${written.error})`);
    }
    return conflict;
  }

  /** What this node tells the others: its files and how far it has followed. */
  private nodeInfo(): unknown {
    return {
      digests: this.files.digests,
      appliedRevision: this.shared?.status().appliedRevision ?? 0,
      at: Date.now(),
    };
  }

  /** The shared state saved here a second after it last changed (what a start with etcd down serves). */
  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.saveNow(), 1000);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const applied = String(this.shared?.status().appliedRevision ?? 0);
    this.write('cluster snapshot', () =>
      this.store.saveClusterSnapshot([...keysOfLive(this.live), [APPLIED_KEY, applied]]),
    );
  }

  /**
   * Loads every file again; on any error the zones in service stay in service. Reloads asked for while one runs
   * become one more reload after it (a burst of SIGHUPs costs two, not one each).
   */
  reload(): Promise<ReloadOutcome> {
    if (this.stopping.signal.aborted)
      return Promise.resolve({ ok: false, diagnostics: [], error: 'the server is stopping' });
    if (!this.running) {
      const run = this.reloadOnce().finally(() => {
        if (this.running === run) this.running = undefined;
      });
      this.running = run;
      return run;
    }
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.reload();
    });
    return this.next;
  }

  /** Stops a reload under way (within one slice of it), waits for it, then closes the store. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.shared?.close();
    if (this.saveTimer) this.saveNow(); // a change not saved yet
    this.store.close();
  }

  private async reloadOnce(): Promise<ReloadOutcome> {
    const { log, metrics, settings } = this.options;
    const result = await loadData(settings.zones, settings.geoip, {
      maxZoneFileBytes: settings.maxZoneFileBytes,
      compileRules: settings.compileRules,
      previous: this.files,
      signal: this.stopping.signal,
    });
    if (this.stopping.signal.aborted)
      return { ok: false, diagnostics: [], error: 'the server is stopping' };
    result.diagnostics.forEach((d) =>
      (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d)),
    );
    if (!result.data) {
      metrics?.reload(false);
      collectGarbage(); // what the rejected files took
      log.error('reload rejected: the zones in service are unchanged');
      return { ok: false, diagnostics: result.diagnostics };
    }
    if (this.shared) {
      this.files = result.data;
      this.current = snapshotOf(this.files, this.live);
      await this.reconcileShared(this.files);
      const journaled = await this.shared.journal([reloadEntry(this.files, this.options.settings)]);
      if (!journaled.ok) log.warn(`cluster: the reload is not in the journal (${journaled.error})`);
      this.options.onChange?.({ kind: 'reload', live: plainLive(this.live) });
      metrics?.reload(true);
      log.info(`reloaded ${this.current.zones.zones.size} zone(s)`);
      return { ok: true, diagnostics: result.diagnostics };
    }
    const adopted = this.adopt(result.data, this.live);
    if (!adopted.ok) {
      metrics?.reload(false);
      log.error(`reload not recorded (${adopted.error}): the zones in service are unchanged`);
      return {
        ok: false,
        diagnostics: result.diagnostics,
        error: `the store could not record the reload: ${adopted.error}`,
      };
    }
    metrics?.reload(true);
    this.files = result.data;
    this.live = adopted.value;
    this.current = snapshotOf(this.files, this.live); // running queries keep the old one
    this.options.onChange?.({ kind: 'reload', live: plainLive(this.live) });
    collectGarbage(); // the zones just replaced
    log.info(`reloaded ${this.current.zones.zones.size} zone(s)`);
    const compiled = treesSummary(this.files.trees);
    if (compiled) log.info(compiled);
    return { ok: true, diagnostics: result.diagnostics };
  }

  /** Reconciles stored state with freshly loaded zone files and records what that changed. */
  private adopt(files: LoadedData, live: LiveState): Result<LiveState> {
    const r = reconcile(files.zones, live, Date.now());
    const journal = [...(r.commit.journal ?? []), reloadEntry(files, this.options.settings)];
    const written = this.write('reload', () => this.store.commit({ ...r.commit, journal }));
    return written.ok ? ok(r.live) : written;
  }

  /**
   * Runs one store write; a failure (disk full, read-only, I/O error) is logged, counted and returned, not
   * thrown.
   */
  private write(operation: string, run: () => void): Result<undefined> {
    try {
      run();
      if (!this.storageHealth.ok)
        this.options.log.info(`storage: ${operation} written; the store works again`);
      this.storageHealth = { ...this.storageHealth, ok: true };
      return ok(undefined);
    } catch (e) {
      const error = errorMessage(e);
      this.storageHealth = {
        ok: false,
        failures: this.storageHealth.failures + 1,
        lastError: error,
        lastErrorAt: Date.now(),
      };
      this.options.metrics?.storageError(operation);
      this.options.log.error(`storage: ${operation} failed: ${error}`);
      return fail(error);
    }
  }
}

/** The snapshot of the files with the live state over them, its caches empty. */
export function snapshotOf(files: LoadedData, live: LiveState): Snapshot {
  return cachingSnapshot({
    zones: materialize(files.zones, live),
    geo: files.geo,
    trees: files.trees,
    health: healthView(live),
  });
}

/** The snapshot after a change to one zone's live state: only what the change touched is built again. */
export function withDelta(current: Snapshot, live: LiveState, delta: LiveDelta): Snapshot {
  const zone = current.zones.zones.get(delta.origin);
  const zones = zone
    ? new Map(current.zones.zones).set(delta.origin, zoneWithDelta(zone, delta))
    : current.zones.zones;
  return cachingSnapshot({
    geo: current.geo,
    trees: current.trees,
    zones: { zones },
    health: healthView(live),
  });
}

/** A journal copied with no change to serve (applyShared). */
const NO_CHANGE: LiveDelta = { origin: '', serial: 0, overlays: [], members: [], overrides: [] };

/** The journal's record of a reload; in cluster mode it names the node (every node copies it). */
function reloadEntry(files: LoadedData, settings: Pick<Settings, 'cluster'>): JournalEntry {
  const node = settings.cluster?.node;
  return {
    at: Date.now(),
    source: 'reload',
    zone: null,
    name: null,
    type: null,
    before: null,
    after: `${files.zones.zones.size} zone(s)`,
    reason: node === undefined ? 'zone files loaded' : `zone files loaded by node ${node}`,
  };
}
