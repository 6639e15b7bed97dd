// The state every node shares through etcd (SPEC §8): read whole at start and after any doubt (a lost watch, etcd
// back after an outage), then followed by one watch; written by transactions that compare the zone's serial key,
// so changes to one zone are serialized across nodes, and that carry a request id, so a retried write is applied
// once. Queries never wait on any of it: the node answers from the state it last applied.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Etcd3, ICompare, IEvent, IKeyValue, IRequestOp, Lease, Watcher } from 'etcd3';
import { coalescing, errorMessage, fail, ok, PersistentMap, type Result } from '../core/index.ts';
import type {
  JournalEntry,
  LiveDelta,
  LiveState,
  MemberState,
  OverlayRRset,
  Override,
  RecordOverrides,
} from '../state/index.ts';
import {
  CREATED_KEY,
  DECIDER_KEY,
  decodeMember,
  decodeOverlay,
  decodeOverride,
  encodeMember,
  encodeOverlay,
  encodeOverride,
  nodeKey,
  observationKey,
  parseNodeKey,
  parseObservationKey,
  parseZoneKey,
  zoneKey,
} from './keys.ts';

export interface EtcdSettings {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** etcd's --max-txn-ops (default 128). */
  readonly maxTxnOps?: number;
  /** PEM files: the CA of etcd's certificate, and this node's client certificate and key. */
  readonly tls?:
    | {
        readonly ca: string | undefined;
        readonly cert: string | undefined;
        readonly key: string | undefined;
      }
    | undefined;
}

export interface SharedHooks {
  /** A change some node committed (this one included), once, in revision order within its zone. */
  apply(delta: LiveDelta, journal: readonly JournalEntry[]): void;
  /** The whole state, read again. */
  replace(live: LiveState): void;
  info(message: string): void;
  warn(message: string): void;
  /** The live nodes, their observations or the decider changed. */
  peersChanged?(): void;
}

/** The nodes as the mirror has them (SPEC §8 health): who is live, what each sees, who decides. */
export interface PeerView {
  /** etcd answers and the mirror is complete: decisions may be made. */
  readonly current: boolean;
  readonly nodes: ReadonlySet<string>;
  /** Per node, its verdict per member key (up: true). */
  readonly byNode: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
  /** The node holding the decider key; undefined: none. */
  readonly decider: string | undefined;
  /** This node holds it, and a write it fences cannot succeed once it does not. */
  readonly deciding: boolean;
  /** Since when no node has held the decider key (ms since the epoch); undefined while one does. */
  readonly noDeciderSince: number | undefined;
}

/** Why a write did not happen; `conflict`: another node changed the zone first (the state here has caught up). */
export type WriteOutcome =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly error: string; readonly conflict: boolean };

export interface SharedStatus {
  readonly node: string;
  readonly up: boolean;
  readonly appliedRevision: number;
  readonly lastError: string | undefined;
  /** Nodes registered when etcd last answered. */
  readonly nodesUp: number;
}

/** Every etcd call ends by then: a write without quorum fails instead of waiting. */
const CALL_DEADLINE_MS = 2_000;
const PROBE_INTERVAL_MS = 1_000;
const PAGE = 1_000;
/** The journal and request keys live at most this long in etcd (every node copies the journal as it comes). */
const JOURNAL_TTL_SECONDS = 3_600;
const NODE_TTL_SECONDS = 5;

export class SharedState {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private watcher: Watcher | undefined;
  /** Per zone, the revision of the last change applied: a revision at or below it is not applied again. */
  private readonly zoneRevision = new Map<string, number>();
  private appliedRevision = 0;
  private nodesUp = 0;
  private up = false;
  private stale = true; // the state here may have missed something: read it whole when etcd answers
  private lastError: string | undefined;
  private resyncing: Promise<void> | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private journalLease: { lease: Lease; id: string; since: number } | undefined;
  private nodeLease: Lease | undefined;
  private seq = 0;
  private closed = false;
  private probing = false;
  private readonly waiters = new Set<{ revision: number; done: () => void }>();
  // Health (SPEC §8): the live nodes, what each sees, who decides; what this node wants published, and has.
  private readonly liveNodes = new Set<string>();
  private readonly observations = new Map<string, Map<string, boolean>>();
  private decider: { node: string; createRevision: number } | undefined;
  private noDeciderSince: number | undefined = Date.now();
  private ownDeciderRevision = 0;
  private wanted = new Map<string, boolean>();
  private readonly published = new Map<string, boolean>();
  /** meta/created has been seen (or written): the prefix holds a whole state. */
  private created = false;
  /** This node's own state, imported if the prefix turns out to be empty. */
  private importFrom: LiveState | undefined;

  private constructor(
    client: Etcd3,
    prefix: string,
    private readonly node: string,
    private readonly hooks: SharedHooks,
    private readonly nodeInfo: () => unknown,
    private readonly maxTxnOps: number,
  ) {
    this.client = client;
    this.prefix = prefix;
  }

  /**
   * A client for `settings` (not connected yet). The etcd client and gRPC are loaded here, not at start-up: a
   * node that is alone never loads them (some 12 MB of memory).
   */
  static async create(
    settings: EtcdSettings,
    node: string,
    hooks: SharedHooks,
    nodeInfo: () => unknown,
  ): Promise<SharedState> {
    const [{ Etcd3 }, { noop }] = await Promise.all([import('etcd3'), import('cockatiel')]);
    const credentials = await tlsCredentials(settings);
    const client = new Etcd3({
      hosts: [...settings.endpoints],
      ...(credentials ? { credentials } : {}),
      ...(settings.username !== undefined
        ? { auth: { username: settings.username, password: settings.password ?? '' } }
        : {}),
      dialTimeout: CALL_DEADLINE_MS,
      // No retries of writes that may have been applied, no circuit breaker that blocks a member that is back:
      // deadlines, and the checks below.
      faultHandling: { host: () => noop, global: noop },
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS },
    });
    return new SharedState(
      client,
      settings.prefix,
      node,
      hooks,
      nodeInfo,
      settings.maxTxnOps ?? 128,
    );
  }

  /**
   * Reads the shared state (importing `local` when the prefix is empty), and the journal entries written after
   * revision `journalSince` (what this node had copied when it stopped); undefined when etcd does not answer in
   * time, and then the node serves `local` until it does.
   */
  async start(
    local: LiveState,
    journalSince = 0,
  ): Promise<{ live: LiveState; journal: JournalEntry[] } | undefined> {
    this.probeTimer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.probeTimer.unref();
    this.appliedRevision = journalSince; // what it had when it stopped: a later re-read copies the journal after it
    this.importFrom = local;
    try {
      await this.ensureCreated();
      const read = await this.readAll(journalSince);
      this.up = true;
      this.stale = false;
      await this.follow(read.revision);
      await this.register();
      await this.campaign();
      return { live: read.live, journal: read.journal };
    } catch (e) {
      this.markDown(e);
      return undefined;
    }
  }

  status(): SharedStatus {
    return {
      node: this.node,
      up: this.up,
      appliedRevision: this.appliedRevision,
      lastError: this.lastError,
      nodesUp: this.nodesUp,
    };
  }

  /** The revision of the zone's last change seen here (0: none in etcd). */
  zoneRevisionOf(zone: string): number {
    return this.zoneRevision.get(zone) ?? 0;
  }

  /**
   * Commits one change to one zone, planned on the state this node had applied when the zone's revision was
   * `planned` (zoneRevisionOf, read when the change was planned): it fails as a conflict if any node changed the
   * zone since. Applied here (hooks.apply) before it resolves.
   */
  async commit(
    delta: LiveDelta,
    journal: readonly JournalEntry[],
    planned: number,
    fenced = false,
  ): Promise<WriteOutcome> {
    if (!this.up || this.stale)
      return {
        ok: false,
        error: `etcd is unreachable (${this.lastError ?? 'catching up'})`,
        conflict: false,
      };
    if (fenced && !this.deciding())
      return { ok: false, error: 'this node does not decide health now', conflict: false };
    const fencedRevision = this.ownDeciderRevision;
    const zone = delta.origin;
    const request = this.buf(`r/${randomUUID()}`);
    let ops: IRequestOp[];
    try {
      const lease = await this.journalLeaseId();
      ops = [...this.changeOps(delta), ...this.journalOps(journal, lease)];
      ops.push({ request_put: { key: request, value: Buffer.from(this.node), lease } });
      if (ops.length > this.maxTxnOps)
        return {
          ok: false,
          error:
            `the change writes ${ops.length} keys, more than etcd takes in one transaction ` +
            `(${this.maxTxnOps}: raise etcd's --max-txn-ops and cluster.etcd.max_txn_ops)`,
          conflict: false,
        };
    } catch (e) {
      this.markDown(e);
      return { ok: false, error: `etcd: ${errorMessage(e)}`, conflict: false };
    }
    const compare: ICompare[] = [
      {
        key: this.buf(zoneKey.serial(zone)),
        target: 'Mod' as const,
        result: 'Equal' as const,
        mod_revision: planned,
      },
      { key: request, target: 'Create' as const, result: 'Equal' as const, create_revision: 0 },
    ];
    // A decision is written only while this node holds the decider key it won: a node paused past its lease
    // cannot write one.
    if (fenced)
      compare.push({
        key: this.buf(DECIDER_KEY),
        target: 'Create' as const,
        result: 'Equal' as const,
        create_revision: fencedRevision,
      });
    try {
      const res = await this.client.kv.txn({ compare, success: ops, failure: [] });
      const revision = Number(res.header.revision);
      if (res.succeeded) {
        this.applyOwn(revision, delta, journal);
        return { ok: true, revision };
      }
      await this.caughtUp(revision);
      if (fenced && !this.deciding())
        return { ok: false, error: 'this node no longer decides health', conflict: false };
      return { ok: false, error: `${zone} was changed by another node`, conflict: true };
    } catch (e) {
      // The write may have been applied all the same: its request key says.
      try {
        const found = await this.client.kv.range({ key: request });
        const kv = found.kvs[0];
        if (kv) {
          const revision = Number(kv.mod_revision);
          this.applyOwn(revision, delta, journal);
          return { ok: true, revision };
        }
      } catch {
        // unknown: reported as not done; the request key, if it was written, expires with its lease
      }
      this.markDown(e);
      return { ok: false, error: `etcd: ${errorMessage(e)}`, conflict: false };
    }
  }

  /** Journal entries of no change (a node's reload): written for every node to copy, this one included. */
  async journal(entries: readonly JournalEntry[]): Promise<Result<undefined>> {
    if (!this.up || this.stale)
      return fail(`etcd is unreachable (${this.lastError ?? 'catching up'})`);
    try {
      const lease = await this.journalLeaseId();
      await this.client.kv.txn({ success: this.journalOps(entries, lease) });
      return ok(undefined); // copied here, as everywhere, when the watch brings it
    } catch (e) {
      this.markDown(e);
      return fail(`etcd: ${errorMessage(e)}`);
    }
  }

  /** The live nodes, their observations and the decider, as mirrored here. */
  peers(): PeerView {
    return {
      current: this.up && !this.stale,
      nodes: this.liveNodes,
      byNode: this.observations,
      decider: this.decider?.node,
      deciding: this.deciding(),
      noDeciderSince: this.decider ? undefined : this.noDeciderSince,
    };
  }

  /**
   * What this node's probes say of each member (memberKey → up): written under the node's lease, so it goes
   * with the node. Only what changed is written; what etcd does not take now is written by a later probe.
   */
  publish(verdicts: ReadonlyMap<string, boolean>): Promise<void> {
    this.wanted = new Map(verdicts);
    return this.flushObservations();
  }

  private deciding(): boolean {
    return (
      this.up &&
      !this.stale &&
      this.ownDeciderRevision > 0 &&
      this.decider?.node === this.node &&
      this.decider.createRevision === this.ownDeciderRevision
    );
  }

  /** Writes what changed in the observations; one write at a time, asks meanwhile make one more. */
  private readonly flushObservations = coalescing(
    () => this.writeObservations(),
    (e) => this.markDown(e),
    () => this.closed,
  );

  private async writeObservations(): Promise<void> {
    const lease = this.nodeLease;
    if (!lease || !this.up || this.closed) return;
    const id = await lease.grant();
    const ops: IRequestOp[] = [];
    const done: [string, boolean | undefined][] = [];
    for (const [member, up] of this.wanted) {
      if (this.published.get(member) === up) continue;
      const value = Buffer.from(up ? 'up' : 'down');
      ops.push({
        request_put: { key: this.buf(observationKey(this.node, member)), value, lease: id },
      });
      done.push([member, up]);
    }
    for (const member of this.published.keys()) {
      if (this.wanted.has(member)) continue;
      ops.push({ request_delete_range: { key: this.buf(observationKey(this.node, member)) } });
      done.push([member, undefined]);
    }
    const batch = Math.min(100, this.maxTxnOps);
    for (let i = 0; i < ops.length; i += batch) {
      await this.client.kv.txn({ success: ops.slice(i, i + batch) });
      for (const [member, up] of done.slice(i, i + batch))
        if (up === undefined) this.published.delete(member);
        else this.published.set(member, up);
    }
  }

  /** Takes the decider key when no node holds it (under this node's lease: it goes with the node). */
  private async campaign(): Promise<void> {
    const lease = this.nodeLease;
    if (!lease || this.decider || this.closed) return;
    const id = await lease.grant();
    const key = this.buf(DECIDER_KEY);
    const res = await this.client.kv.txn({
      compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key, value: Buffer.from(this.node), lease: id } }],
      failure: [],
    });
    if (!res.succeeded || this.nodeLease !== lease) return;
    const revision = Number(res.header.revision);
    this.ownDeciderRevision = revision;
    this.setDecider({ node: this.node, createRevision: revision });
    this.hooks.info('cluster: this node decides health now');
  }

  private setDecider(decider: { node: string; createRevision: number } | undefined): void {
    const before = this.decider;
    if (before?.node === decider?.node && before?.createRevision === decider?.createRevision)
      return;
    this.decider = decider;
    if (!decider) this.noDeciderSince = Date.now();
    this.hooks.peersChanged?.();
  }

  /** A key under n/, h/ or d/: the peers as the mirror has them. True when it was one. */
  private applyPeerKey(key: string, value: string | undefined, createRevision: number): boolean {
    if (key === DECIDER_KEY) {
      this.setDecider(value === undefined ? undefined : { node: value, createRevision });
      return true;
    }
    const node = parseNodeKey(key);
    if (node !== undefined) {
      const had = this.liveNodes.has(node);
      if (value === undefined) this.liveNodes.delete(node);
      else this.liveNodes.add(node);
      if (had !== (value !== undefined)) this.hooks.peersChanged?.();
      return true;
    }
    const seen = parseObservationKey(key);
    if (!seen) return key.startsWith('h/');
    let mine = this.observations.get(seen.node);
    if (value === undefined) mine?.delete(seen.member);
    else {
      if (!mine) this.observations.set(seen.node, (mine = new Map<string, boolean>()));
      mine.set(seen.member, value === 'up');
    }
    if (mine?.size === 0) this.observations.delete(seen.node);
    this.hooks.peersChanged?.();
    return true;
  }

  /** The nodes registered now, with what each said of itself. */
  async nodes(): Promise<Result<{ node: string; info: unknown }[]>> {
    try {
      const res = await this.client.kv.range({
        key: this.buf('n/'),
        range_end: rangeEnd(this.key('n/')),
      });
      return ok(
        res.kvs.map((kv) => ({
          node: decodeURIComponent(kv.key.toString().slice(this.key('n/').length)),
          info: JSON.parse(kv.value.toString()) as unknown,
        })),
      );
    } catch (e) {
      return fail(errorMessage(e));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probeTimer);
    for (const w of this.waiters) w.done();
    await this.watcher?.cancel().catch(() => undefined);
    // Revoking the node's lease says at once that it is gone (a revoke that fails: it expires by itself). The
    // journal's lease runs out on its own, so the others keep what it holds.
    this.journalLease?.lease.release();
    const lease = this.nodeLease;
    if (lease) await lease.revoke({ deadline: Date.now() + 1000 }).catch(() => lease.release());
    this.client.close();
  }

  private key(rest: string): string {
    return this.prefix + rest;
  }

  private changeOps(delta: LiveDelta): IRequestOp[] {
    const zone = delta.origin;
    const ops: IRequestOp[] = [
      {
        request_put: {
          key: this.buf(zoneKey.serial(zone)),
          value: Buffer.from(String(delta.serial)),
        },
      },
    ];
    for (const o of delta.overlays) {
      const key = this.buf(zoneKey.overlay(zone, o.key));
      ops.push(
        o.overlay
          ? { request_put: { key, value: Buffer.from(encodeOverlay(o.overlay)) } }
          : { request_delete_range: { key } },
      );
    }
    for (const m of delta.members)
      ops.push({
        request_put: {
          key: this.buf(zoneKey.member(zone, m.record, m.address)),
          value: Buffer.from(encodeMember(m.state)),
        },
      });
    for (const o of delta.overrides)
      ops.push({
        request_put: {
          key: this.buf(zoneKey.override(zone, o.record, o.target, o.key)),
          value: Buffer.from(encodeOverride(o.override)),
        },
      });
    return ops;
  }

  private journalOps(journal: readonly JournalEntry[], lease: string): IRequestOp[] {
    if (journal.length === 0) return [];
    const key = this.key(`j/${encodeURIComponent(this.node)}/${Date.now()}-${this.seq++}`);
    return [
      {
        request_put: { key: Buffer.from(key), value: Buffer.from(JSON.stringify(journal)), lease },
      },
    ];
  }

  private buf(rest: string): Buffer {
    return Buffer.from(this.key(rest));
  }

  /** A lease the journal and request keys of the next changes are written under; a new one every 10 minutes. */
  private async journalLeaseId(): Promise<string> {
    const now = Date.now();
    if (!this.journalLease || now - this.journalLease.since > 600_000) {
      const lease = this.client.lease(JOURNAL_TTL_SECONDS, { autoKeepAlive: false });
      const id = await lease.grant();
      this.journalLease?.lease.release();
      this.journalLease = { lease, id, since: now };
    }
    return this.journalLease.id;
  }

  /** This node's key under a lease kept alive: it goes when the node does. */
  private async register(): Promise<void> {
    if (this.nodeLease) return;
    const lease = this.client.lease(NODE_TTL_SECONDS);
    lease.on('lost', () => {
      if (this.nodeLease !== lease) return;
      // Registered again by the next probe, under a new lease: what was written under this one is gone.
      this.nodeLease = undefined;
      this.ownDeciderRevision = 0;
      this.published.clear();
    });
    this.nodeLease = lease;
    this.published.clear();
    await lease.put(this.key(nodeKey(this.node))).value(JSON.stringify(this.nodeInfo()));
    await this.flushObservations();
  }

  /** Tells others what this node has applied (and its files): refreshed by the probe. */
  private async refreshNode(): Promise<void> {
    if (!this.nodeLease) return this.register();
    await this.nodeLease.put(this.key(nodeKey(this.node))).value(JSON.stringify(this.nodeInfo()));
  }

  /**
   * Every key under z/ at one revision, as the live state; the peers (n/, h/, d/) at the same revision; and the
   * journal entries (j/) written after `journalSince`, oldest first: the ones a node that was away has not copied.
   */
  private async readAll(
    journalSince: number,
  ): Promise<{ live: LiveState; revision: number; journal: JournalEntry[] }> {
    const { kvs, revision } = await this.rangeAll('z/', undefined);
    const live = liveFromKeys(
      kvs.map((kv) => [kv.key.toString().slice(this.prefix.length), kv.value.toString()] as const),
    );
    this.zoneRevision.clear();
    for (const kv of kvs) {
      const entry = parseZoneKey(kv.key.toString().slice(this.prefix.length));
      if (entry?.kind === 'serial') this.zoneRevision.set(entry.zone, Number(kv.mod_revision));
    }
    const [nodes, seen, decide, journals] = await Promise.all(
      ['n/', 'h/', 'd/', 'j/'].map((p) => this.rangeAll(p, revision)),
    );
    const peers = [nodes!, seen!, decide!];
    this.liveNodes.clear();
    this.observations.clear();
    let decider: { node: string; createRevision: number } | undefined;
    for (const kv of peers.flatMap((p) => p.kvs)) {
      const key = kv.key.toString().slice(this.prefix.length);
      if (key === DECIDER_KEY)
        decider = { node: kv.value.toString(), createRevision: Number(kv.create_revision) };
      else this.applyPeerKey(key, kv.value.toString(), Number(kv.create_revision));
    }
    this.setDecider(decider);
    this.hooks.peersChanged?.();
    this.appliedRevision = revision;
    return { live, revision, journal: this.journalAfter(journals!.kvs, journalSince) };
  }

  private journalAfter(kvs: readonly IKeyValue[], since: number): JournalEntry[] {
    const journal: JournalEntry[] = [];
    const newer = kvs
      .filter((kv) => Number(kv.mod_revision) > since)
      .sort((a, b) => Number(a.mod_revision) - Number(b.mod_revision));
    for (const kv of newer) {
      try {
        journal.push(...(JSON.parse(kv.value.toString()) as JournalEntry[]));
      } catch {
        this.hooks.warn(`cluster: journal entry ${kv.key.toString()} is not JSON; skipped`);
      }
    }
    return journal;
  }

  /** Every key under `start`, in pages, at `revision` (undefined: now). */
  private async rangeAll(
    start: string,
    at: number | undefined,
  ): Promise<{ kvs: IKeyValue[]; revision: number }> {
    const end = rangeEnd(this.key(start));
    let revision = at;
    let from = this.buf(start);
    const kvs: IKeyValue[] = [];
    for (;;) {
      const res = await this.client.kv.range({
        key: from,
        range_end: end,
        limit: PAGE,
        ...(revision === undefined ? {} : { revision }),
      });
      revision ??= Number(res.header.revision);
      kvs.push(...res.kvs);
      if (!res.more || res.kvs.length === 0) break;
      from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
    }
    return { kvs, revision };
  }

  /** Watches everything after `revision`. */
  private async follow(revision: number): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
    const watcher = await this.client
      .watch()
      .prefix(this.prefix)
      .startRevision(String(revision + 1))
      .create();
    this.watcher = watcher;
    watcher.on('data', (res) => {
      if (this.watcher === watcher) this.onEvents(res.events);
    });
    // A watch that resumes by itself can lose events: any doubt, and the state is read whole again.
    const doubt = (why: string) => () => {
      if (this.watcher !== watcher || this.closed) return;
      this.stale = true;
      this.hooks.warn(`cluster: the etcd watch ${why}; reading the state again`);
      void this.resync();
    };
    watcher.on('disconnected', doubt('was disconnected'));
    watcher.on('error', doubt('failed'));
    watcher.on('end', doubt('ended'));
  }

  private onEvents(events: readonly IEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const revision = Number(events[i]!.kv.mod_revision);
      const same: IEvent[] = [];
      for (; i < events.length && Number(events[i]!.kv.mod_revision) === revision; i++)
        same.push(events[i]!);
      this.applyRevision(revision, same);
    }
  }

  /** One revision's events: at most one zone's change (a transaction of this module) and its journal. */
  private applyRevision(revision: number, events: readonly IEvent[]): void {
    const deltas = new Map<string, { serial: number | undefined; delta: MutableDelta }>();
    const journal: JournalEntry[] = [];
    for (const e of events) {
      const key = e.kv.key.toString().slice(this.prefix.length);
      const value = e.type === 'Put' ? e.kv.value.toString() : undefined;
      if (this.applyPeerKey(key, value, Number(e.kv.create_revision))) continue;
      if (key.startsWith('j/') && e.type === 'Put') {
        try {
          journal.push(...(JSON.parse(e.kv.value.toString()) as JournalEntry[]));
        } catch {
          this.hooks.warn(`cluster: journal entry ${key} is not JSON; skipped`);
        }
        continue;
      }
      const entry = parseZoneKey(key);
      if (!entry) continue;
      let d = deltas.get(entry.zone);
      if (!d)
        deltas.set(
          entry.zone,
          (d = {
            serial: undefined,
            delta: { origin: entry.zone, serial: 0, overlays: [], members: [], overrides: [] },
          }),
        );
      try {
        switch (entry.kind) {
          case 'serial':
            if (value !== undefined) d.serial = Number(value);
            break;
          case 'overlay':
            d.delta.overlays.push({
              key: entry.record,
              overlay: value === undefined ? undefined : decodeOverlay(entry.record, value),
            });
            break;
          case 'member':
            d.delta.members.push({
              record: entry.record,
              address: entry.address,
              state: value === undefined ? NO_MEMBER_STATE : decodeMember(value),
            });
            break;
          case 'override':
            d.delta.overrides.push({
              record: entry.record,
              target: entry.target,
              key: entry.key,
              override: value === undefined ? OBEY : decodeOverride(value),
            });
            break;
        }
      } catch {
        this.hooks.warn(`cluster: ${key} does not hold what gslb writes there; skipped`);
      }
    }
    for (const [zone, { serial, delta }] of deltas) {
      if (revision <= this.zoneRevisionOf(zone) || serial === undefined) continue;
      this.zoneRevision.set(zone, revision);
      this.hooks.apply({ ...delta, serial }, journal);
    }
    if (deltas.size === 0 && journal.length > 0) this.hooks.apply(EMPTY_DELTA, journal);
    this.advance(revision);
  }

  private applyOwn(revision: number, delta: LiveDelta, journal: readonly JournalEntry[]): void {
    if (revision > this.zoneRevisionOf(delta.origin)) {
      this.zoneRevision.set(delta.origin, revision);
      this.hooks.apply(delta, journal);
    }
  }

  private advance(revision: number): void {
    if (revision > this.appliedRevision) this.appliedRevision = revision;
    for (const w of this.waiters) if (w.revision <= this.appliedRevision) w.done();
  }

  /** Waits (a little) until the watch has brought this node to `revision`. */
  private caughtUp(revision: number): Promise<void> {
    if (revision <= this.appliedRevision) return Promise.resolve();
    return new Promise((resolve) => {
      const w = {
        revision,
        done: () => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve();
        },
      };
      const timer = setTimeout(w.done, CALL_DEADLINE_MS);
      this.waiters.add(w);
    });
  }

  /** Every second: does etcd answer with quorum (a linearizable read)? Back from an outage: read it all again. */
  private async probe(): Promise<void> {
    if (this.closed || this.probing) return; // a slow etcd: one probe at a time
    this.probing = true;
    try {
      await this.client.kv.range(
        { key: this.buf(CREATED_KEY) },
        { deadline: Date.now() + PROBE_INTERVAL_MS },
      );
      if (!this.up) this.hooks.info('cluster: etcd answers again');
      this.up = true;
      this.lastError = undefined;
      if (this.stale) await this.resync();
      await this.refreshNode();
      await this.flushObservations();
      await this.campaign();
      const nodes = await this.client.kv.range({
        key: this.buf('n/'),
        range_end: rangeEnd(this.key('n/')),
        count_only: true,
      });
      this.nodesUp = Number(nodes.count);
    } catch (e) {
      this.markDown(e);
    } finally {
      this.probing = false;
    }
  }

  private markDown(e: unknown): void {
    if (this.closed) return;
    const error = errorMessage(e);
    if (this.up)
      this.hooks.warn(`cluster: etcd does not answer (${error}); serving the last state`);
    this.up = false;
    this.stale = true;
    this.lastError = error;
  }

  private resync(): Promise<void> {
    this.resyncing ??= (async () => {
      try {
        // Started while etcd was away (or an import was cut short): the import comes first.
        await this.ensureCreated();
        const read = await this.readAll(this.appliedRevision);
        await this.follow(read.revision);
        this.stale = false;
        this.hooks.replace(read.live);
        // What was journaled while the watch was not followed is copied now.
        if (read.journal.length > 0) this.hooks.apply(EMPTY_DELTA, read.journal);
        this.advance(read.revision);
        this.hooks.info(`cluster: state read again at revision ${read.revision}`);
      } catch (e) {
        this.markDown(e);
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  /** A prefix without meta/created gets this node's state (again, if an import was cut short: it is idempotent). */
  private async ensureCreated(): Promise<void> {
    if (this.created) return;
    const created = await this.client.kv.range({ key: this.buf(CREATED_KEY) });
    if (created.kvs.length === 0) await this.importState(this.importFrom ?? liveFromKeys([]));
    this.created = true;
    this.importFrom = undefined;
  }

  /** A first node: its own state becomes the cluster's, then meta/created says it is done. */
  private async importState(local: LiveState): Promise<void> {
    const ops: IRequestOp[] = keysOfLive(local).map(([key, value]) => ({
      request_put: { key: this.buf(key), value: Buffer.from(value) },
    }));
    // etcd takes 128 operations per transaction by default: the data in batches, then the mark, once.
    const batch = Math.min(100, this.maxTxnOps);
    for (let i = 0; i < ops.length; i += batch)
      await this.client.kv.txn({ success: ops.slice(i, i + batch) });
    const created = this.key(CREATED_KEY);
    await this.client.kv.txn({
      compare: [
        { key: Buffer.from(created), target: 'Create', result: 'Equal', create_revision: 0 },
      ],
      success: [
        {
          request_put: {
            key: Buffer.from(created),
            value: Buffer.from(`${this.node} ${Date.now()}`),
          },
        },
      ],
    });
    this.hooks.info(`cluster: imported this node's state into etcd (${ops.length} key(s))`);
  }
}

type MutableDelta = {
  origin: string;
  serial: number;
  overlays: { key: string; overlay: OverlayRRset | undefined }[];
  members: { record: string; address: string; state: MemberState }[];
  overrides: { record: string; target: 'member' | 'pool'; key: string; override: Override }[];
};

const NO_MEMBER_STATE: MemberState = {
  inService: undefined,
  health: undefined,
  healthSince: undefined,
};
const OBEY: Override = { status: 'obey', reason: null, at: 0 };
const EMPTY_DELTA: LiveDelta = { origin: '', serial: 0, overlays: [], members: [], overrides: [] };

/** The TLS files of the settings, read; undefined without TLS. A missing or unreadable file stops the start. */
async function tlsCredentials(
  settings: EtcdSettings,
): Promise<{ rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer } | undefined> {
  const tls = settings.tls;
  if (!tls) return undefined;
  const plain = settings.endpoints.filter((e) => !e.startsWith('https://'));
  if (plain.length > 0)
    throw new Error(`cluster.etcd.tls needs https:// endpoints, not ${plain.join(', ')}`);
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new Error('cluster.etcd.tls: cert and key go together');
  const read = async (what: string, file: string | undefined): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (e) {
      throw new Error(`cluster.etcd.tls.${what}: ${errorMessage(e)}`, { cause: e });
    }
  };
  const [ca, cert, key] = await Promise.all([
    read('ca', tls.ca),
    read('cert', tls.cert),
    read('key', tls.key),
  ]);
  if (!ca) throw new Error("cluster.etcd.tls.ca: the CA that signed etcd's certificate is needed");
  return {
    rootCertificate: ca,
    ...(cert && key ? { certChain: cert, privateKey: key } : {}),
  };
}

/** The first key after every key that starts with `prefix`. */
function rangeEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i]!++;
      return end;
    }
  }
  return Buffer.from([0]);
}

/** The live state the keys under z/ describe. */
export function liveFromKeys(entries: Iterable<readonly [key: string, value: string]>): LiveState {
  const serials = new Map<string, number>();
  const overlays = new Map<string, [string, OverlayRRset][]>();
  const members = new Map<string, Map<string, MemberState>>();
  const overrides = new Map<
    string,
    { members: Map<string, Override>; pools: Map<string, Override> }
  >();
  for (const [key, value] of entries) {
    const e = parseZoneKey(key);
    if (!e) continue;
    try {
      if (e.kind === 'serial') serials.set(e.zone, Number(value));
      else if (e.kind === 'overlay')
        (overlays.get(e.zone) ?? overlays.set(e.zone, []).get(e.zone)!).push([
          e.record,
          decodeOverlay(e.record, value),
        ]);
      else if (e.kind === 'member')
        (members.get(e.record) ?? members.set(e.record, new Map()).get(e.record)!).set(
          e.address,
          decodeMember(value),
        );
      else {
        const o =
          overrides.get(e.record) ??
          overrides.set(e.record, { members: new Map(), pools: new Map() }).get(e.record)!;
        (e.target === 'pool' ? o.pools : o.members).set(e.key, decodeOverride(value));
      }
    } catch {
      // a value gslb did not write: left out
    }
  }
  return {
    serials,
    overlays: new Map([...overlays].map(([zone, list]) => [zone, PersistentMap.from(list)])),
    members: PersistentMap.from(members),
    overrides: PersistentMap.from(overrides as Map<string, RecordOverrides>),
  };
}

/** The keys under z/ (without the prefix) and values that describe `live`: what liveFromKeys reads back. */
export function keysOfLive(live: LiveState): [key: string, value: string][] {
  const out: [string, string][] = [];
  for (const [zone, serial] of live.serials) out.push([zoneKey.serial(zone), String(serial)]);
  for (const [zone, overlays] of live.overlays)
    for (const [record, overlay] of overlays)
      out.push([zoneKey.overlay(zone, record), encodeOverlay(overlay)]);
  const zoneOf = recordZones(live);
  for (const [record, members] of live.members) {
    const zone = zoneOf(record);
    if (zone)
      for (const [address, state] of members)
        out.push([zoneKey.member(zone, record, address), encodeMember(state)]);
  }
  for (const [record, o] of live.overrides) {
    const zone = zoneOf(record);
    if (!zone) continue;
    for (const [key, override] of o.members)
      out.push([zoneKey.override(zone, record, 'member', key), encodeOverride(override)]);
    for (const [key, override] of o.pools)
      out.push([zoneKey.override(zone, record, 'pool', key), encodeOverride(override)]);
  }
  return out;
}

/** The zone of each record in the live state, for records whose zone it does not say (members, overrides). */
function recordZones(live: LiveState): (record: string) => string | undefined {
  const zones = [...live.serials.keys()].sort((a, b) => b.length - a.length);
  return (record) => {
    const name = record.slice(0, record.lastIndexOf('|'));
    return zones.find((z) => name === z || name.endsWith(`.${z}`));
  };
}
