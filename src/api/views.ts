// The API's JSON views (SPEC §6), built from what the server serves: its snapshot, the live state and the last
// probes. Plain functions of plain values, so each view is tested without a server.
import { addressText, type Diagnostic, formatRR, probeKey, typeName } from '../core/index.ts';
import type { ClientFacts } from '../geo/index.ts';
import { describePools, type Explanation, type Snapshot } from '../resolve/index.ts';
import type { LiveState } from '../state/index.ts';
import type { ClusterStatus } from './types.ts';
import {
  type DynamicRecord,
  type MemberStatus,
  type RRset,
  soaSerial,
  type Zone,
  zoneRRsets,
} from '../zone/index.ts';

/** The last probe of one health-check target (what the health room reports of it). */
export interface ProbeView {
  readonly lastCheckMs: number | undefined;
  readonly last: { readonly latencyMs: number; readonly detail: string } | undefined;
}

/** What the views are built from, read at one moment. */
export interface ServerView {
  readonly snapshot: Snapshot;
  readonly live: LiveState;
  /** By probe key (`probeKey`). */
  readonly probes: ReadonlyMap<string, ProbeView>;
}

export interface ZoneSummary {
  readonly zone: string;
  readonly serial: number;
  readonly rrsets: number;
  readonly file: string;
}

export interface ZoneView {
  readonly zone: string;
  readonly serial: number;
  readonly records: readonly RecordView[];
}

export interface RecordView {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  /** Each record's data in zone-file text. */
  readonly values: readonly string[];
  readonly dynamic?: DynamicView;
}

export interface DynamicView {
  readonly method: string;
  readonly answers: number;
  readonly ttl_degraded: number;
  readonly pools: readonly PoolView[];
  readonly rules: readonly RuleView[];
}

export interface RuleView {
  readonly geos: readonly string[];
  readonly subnets: readonly string[];
  readonly asns: readonly number[];
  readonly isps: readonly string[];
  readonly pool: string;
}

export interface PoolView {
  readonly pool: string;
  readonly fallback: string | null;
  readonly override: MemberStatus | null;
  readonly members: readonly MemberView[];
}

export interface MemberView {
  readonly value: string;
  readonly weight: number;
  /** As the zone file says. */
  readonly status: MemberStatus;
  readonly override: MemberStatus | null;
  /** False once a dynamic update deleted it. */
  readonly in_service: boolean;
  readonly health: 'up' | 'down' | 'unknown';
  readonly effective: 'up' | 'down';
  readonly last_check: string | null;
  readonly latency_ms: number | null;
  readonly last_result: string | null;
  readonly since: string | null;
}

/** One row of /api/v1/members. */
export interface MemberRow extends MemberView {
  readonly zone: string;
  readonly name: string;
  readonly type: string;
  readonly pool: string;
  readonly pool_override: MemberStatus | null;
}

/** A member after an override: its state in every pool it is in. */
export interface MemberOverrideView {
  readonly zone: string;
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly pools: readonly (MemberView & { readonly pool: string })[];
}

export interface ResolveView {
  readonly query: { readonly name: string; readonly type: string };
  readonly client: string;
  readonly ecs: string | null;
  readonly facts: ClientFacts | null;
  readonly result: string;
  readonly zone?: string;
  readonly scope?: number;
  /** The block the answer holds for: the client's address at the scope. */
  readonly block?: string;
  readonly answer?: readonly string[];
  readonly authority?: readonly string[];
  readonly additional?: readonly string[];
  readonly trace: unknown;
  readonly text: string;
}

export interface StorageView {
  readonly ok: boolean;
  readonly failures: number;
  readonly lastError: string | undefined;
  readonly lastErrorAt: number | undefined;
}

export interface HealthzView {
  readonly status: 'ok' | 'degraded';
  readonly storage: {
    readonly ok: boolean;
    readonly failures: number;
    readonly last_error: string | null;
    readonly last_error_at: string | null;
  };
  /** In cluster mode. */
  readonly cluster?: {
    readonly node: string;
    readonly etcd_up: boolean;
    readonly applied_revision: number;
    readonly last_error: string | null;
  };
}

export interface ReloadResult {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** Why a reload with no zone-file problem failed (the store could not record it, or the server is stopping). */
  readonly error?: string;
}

export function zoneSummaries(view: ServerView): ZoneSummary[] {
  return [...view.snapshot.zones.zones.values()].map((z) => ({
    zone: z.origin,
    serial: soaSerial(z),
    rrsets: [...z.nodes.values()].reduce((n, x) => n + x.rrsets.size, 0),
    file: z.file,
  }));
}

export function zoneView(view: ServerView, origin: string): ZoneView | undefined {
  const zone = view.snapshot.zones.zones.get(origin);
  if (!zone) return undefined;
  return { zone: zone.origin, serial: soaSerial(zone), records: zoneRRsets(zone).map(recordOf) };

  function recordOf(r: RRset): RecordView {
    const values = r.records.map((rr) => formatRR(rr).split(' ').slice(4).join(' '));
    const base = { name: r.name, type: typeName(r.type), ttl: r.ttl, values };
    return r.dynamic ? { ...base, dynamic: dynamicOf(r.dynamic) } : base;
  }

  function dynamicOf(d: DynamicRecord): DynamicView {
    return {
      method: d.method,
      answers: d.answers,
      ttl_degraded: d.ttlDegraded,
      pools: poolViews(view, d),
      rules: d.rules.map((x) => ({
        geos: x.geos,
        subnets: x.subnets.map((y) => y.text),
        asns: x.asns,
        isps: x.isps,
        pool: x.pool,
      })),
    };
  }
}

/** Every pool of a record with its members: configured, overridden, probed and in effect. */
export function poolViews(view: ServerView, d: DynamicRecord): PoolView[] {
  const { health } = view.snapshot;
  const live = view.live.members.get(d.key);
  return describePools(d, health).map((p) => {
    const pool = d.pools.get(p.name)!;
    return {
      pool: p.name,
      fallback: pool.fallback ?? null,
      override: p.override ?? null,
      members: p.members.map((m): MemberView => {
        const hc = d.healthcheck;
        const probe = hc ? view.probes.get(probeKey({ ...hc, address: m.address })) : undefined;
        const since = live?.get(m.address)?.healthSince;
        return {
          value: m.address,
          weight: m.weight,
          status: pool.members.find((x) => x.address === m.address)!.status,
          override: health.memberOverride(d, m.address) ?? null,
          in_service: health.inService(d, m.address),
          health: m.health,
          effective: m.up ? 'up' : 'down',
          last_check: probe?.lastCheckMs ? new Date(probe.lastCheckMs).toISOString() : null,
          latency_ms: probe?.last?.latencyMs ?? null,
          last_result: probe?.last?.detail ?? null,
          since: since ? new Date(since).toISOString() : null,
        };
      }),
    };
  });
}

/** Every member of every dynamic record, one row per pool it is in. */
export function memberRows(view: ServerView): MemberRow[] {
  return [...view.snapshot.zones.zones.values()].flatMap((z) =>
    zoneRRsets(z).flatMap((r) =>
      !r.dynamic
        ? []
        : poolViews(view, r.dynamic).flatMap((p) =>
            p.members.map((m) => ({
              zone: z.origin,
              name: r.name,
              type: typeName(r.type),
              pool: p.pool,
              pool_override: p.override,
              ...m,
            })),
          ),
    ),
  );
}

/** A member's state in each pool that has it, as an override's answer shows it. */
export function memberOverrideView(
  view: ServerView,
  zone: Zone,
  d: DynamicRecord,
  address: string,
): MemberOverrideView {
  return {
    zone: zone.origin,
    name: d.name,
    type: typeName(d.type),
    value: address,
    pools: poolViews(view, d).flatMap((p) => {
      const m = p.members.find((x) => x.value === address);
      return m ? [{ pool: p.pool, ...m }] : [];
    }),
  };
}

export function resolveView(e: Explanation, client: Uint8Array): ResolveView {
  const { answer } = e;
  const sections =
    answer.kind === 'refused'
      ? undefined
      : {
          zone: answer.zone,
          scope: answer.scopePrefix,
          block: e.block,
          answer: answer.answer.map(formatRR),
          authority: answer.authority.map(formatRR),
          additional: answer.additional.map(formatRR),
        };
  return {
    query: { name: e.query.name, type: typeName(e.query.type) },
    client: addressText(client),
    ecs: e.ecs ?? null,
    facts: e.facts ?? null,
    result: answer.kind,
    ...sections,
    trace: answer.kind === 'refused' ? null : (answer.trace ?? null),
    text: e.text,
  };
}

export function healthzView(storage: StorageView, cluster?: ClusterStatus): HealthzView {
  return {
    status: storage.ok && (cluster?.etcdUp ?? true) ? 'ok' : 'degraded',
    storage: {
      ok: storage.ok,
      failures: storage.failures,
      last_error: storage.lastError ?? null,
      last_error_at: storage.lastErrorAt ? new Date(storage.lastErrorAt).toISOString() : null,
    },
    ...(cluster
      ? {
          cluster: {
            node: cluster.node,
            etcd_up: cluster.etcdUp,
            applied_revision: cluster.appliedRevision,
            last_error: cluster.lastError ?? null,
          },
        }
      : {}),
  };
}
