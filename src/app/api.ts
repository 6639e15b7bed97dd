// The API's view of the running server: zones, members, overrides, explain, events and metrics.
import type { ApiContext } from '../api/index.ts';
import { addressText, formatRR, probeKey, typeName } from '../core/index.ts';
import type { TargetStatus } from '../health/index.ts';
import type { Metrics, MetricsData } from '../metrics/index.ts';
import { describePools, formatExplanation, resolve, type Snapshot } from '../resolve/index.ts';
import type { JournalEntry, LiveState } from '../state/index.ts';
import type { Change } from '../update/index.ts';
import { type DynamicRecord, type RRset, soaSerial, type Zone, zoneRRsets } from '../zone/index.ts';
import { randomChooser } from './chooser.ts';
import type { CommitOutcome, ReloadOutcome, StorageHealth } from './state.ts';

/** What the API needs of the server (supplied by startApp). */
export interface ServerAccess {
  snapshot(): Snapshot;
  live(): LiveState;
  commit(
    origin: string,
    changes: readonly Change[],
    meta: { source: 'api'; reason: string },
  ): CommitOutcome;
  reload(): Promise<ReloadOutcome>;
  storage(): StorageHealth;
  journal(sinceId: number, limit: number): JournalEntry[];
  healthStatus(): TargetStatus[];
  readonly metrics: Metrics;
  /** The metrics of other processes serving DNS (workers), added to this one's. */
  readonly otherMetrics?: () => Promise<MetricsData[]>;
  readonly token: string | undefined;
}

function dynamicRRsets(zone: Zone): RRset[] {
  return zoneRRsets(zone).filter((r) => r.dynamic);
}

export function apiContext(s: ServerAccess): ApiContext {
  const chooser = randomChooser();
  const pools = (d: DynamicRecord) => {
    const health = s.snapshot().health;
    const byKey = new Map(s.healthStatus().map((t) => [t.key, t]));
    const hc = d.healthcheck;
    return describePools(d, health).map((p) => ({
      pool: p.name,
      fallback: d.pools.get(p.name)?.fallback ?? null,
      override: p.override ?? null,
      members: p.members.map((m) => {
        const probe = hc ? byKey.get(probeKey({ ...hc, address: m.address })) : undefined;
        const state = s.live().members.get(d.key)?.get(m.address);
        return {
          value: m.address,
          weight: m.weight,
          status: d.pools.get(p.name)!.members.find((x) => x.address === m.address)!.status,
          override: health.memberOverride(d, m.address) ?? null,
          in_service: health.inService(d, m.address),
          health: m.health,
          effective: m.up ? 'up' : 'down',
          last_check: probe?.lastCheckMs ? new Date(probe.lastCheckMs).toISOString() : null,
          latency_ms: probe?.last?.latencyMs ?? null,
          last_result: probe?.last?.detail ?? null,
          since: state?.healthSince ? new Date(state.healthSince).toISOString() : null,
        };
      }),
    }));
  };
  const findDynamic = (
    zoneName: string,
    name: string,
    type: number,
  ): { zone: Zone; record: DynamicRecord } | undefined => {
    const zone = s.snapshot().zones.zones.get(zoneName);
    const record = zone?.nodes.get(name)?.rrsets.get(type)?.dynamic;
    return zone && record ? { zone, record } : undefined;
  };
  return {
    token: s.token,
    zones: () =>
      [...s.snapshot().zones.zones.values()].map((z) => ({
        zone: z.origin,
        serial: soaSerial(z),
        rrsets: [...z.nodes.values()].reduce((n, x) => n + x.rrsets.size, 0),
        file: z.file,
      })),
    zone: (origin) => {
      const z = s.snapshot().zones.zones.get(origin);
      if (!z) return undefined;
      const records = zoneRRsets(z).map((r) => ({
        name: r.name,
        type: typeName(r.type),
        ttl: r.ttl,
        values: r.records.map((rr) => formatRR(rr).split(' ').slice(4).join(' ')),
        ...(r.dynamic
          ? {
              dynamic: {
                method: r.dynamic.method,
                answers: r.dynamic.answers,
                ttl_degraded: r.dynamic.ttlDegraded,
                pools: pools(r.dynamic),
                rules: r.dynamic.rules.map((x) => ({
                  geos: x.geos,
                  subnets: x.subnets.map((y) => y.text),
                  asns: x.asns,
                  isps: x.isps,
                  pool: x.pool,
                })),
              },
            }
          : {}),
      }));
      return { zone: z.origin, serial: soaSerial(z), records };
    },
    members: () =>
      [...s.snapshot().zones.zones.values()].flatMap((z) =>
        dynamicRRsets(z).flatMap((r) =>
          pools(r.dynamic!).flatMap((p) =>
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
      ),
    override: (r) => {
      const found = findDynamic(r.zone, r.name, r.type);
      if (!found)
        return { notFound: `no dynamic ${typeName(r.type)} record ${r.name} in zone ${r.zone}` };
      const { record } = found;
      if (r.target === 'pool' && !record.pools.has(r.key))
        return { notFound: `record ${r.name} has no pool "${r.key}"` };
      if (r.target === 'member' && !record.addresses.has(r.key))
        return {
          notFound: `${r.key} is not a member or default value of ${r.name} ${typeName(r.type)}`,
        };
      const committed = s.commit(
        r.zone,
        [
          {
            kind: 'override',
            name: r.name,
            type: r.type,
            target: r.target,
            key: r.key,
            status: r.status,
            reason: r.reason,
          },
        ],
        { source: 'api', reason: r.reason || 'API override' },
      );
      if (!committed.ok)
        return {
          unavailable: `the override could not be stored (${committed.error}); nothing changed`,
        };
      const state = pools(record);
      return {
        state:
          r.target === 'pool'
            ? state.find((p) => p.pool === r.key)
            : {
                zone: r.zone,
                name: r.name,
                type: typeName(r.type),
                value: r.key,
                pools: state
                  .filter((p) => p.members.some((m) => m.value === r.key))
                  .map((p) => ({ pool: p.pool, ...p.members.find((m) => m.value === r.key)! })),
              },
      };
    },
    reload: async () => {
      const r = await s.reload();
      return {
        ok: r.ok,
        zones: s.snapshot().zones.zones.size,
        diagnostics: r.diagnostics,
        ...(r.error ? { error: r.error } : {}),
      };
    },
    health: () => {
      const storage = s.storage();
      return {
        status: storage.ok ? 'ok' : 'degraded',
        storage: {
          ok: storage.ok,
          failures: storage.failures,
          last_error: storage.lastError ?? null,
          last_error_at: storage.lastErrorAt ? new Date(storage.lastErrorAt).toISOString() : null,
        },
      };
    },
    resolve: (q) => {
      const snapshot = s.snapshot();
      const address = q.ecs && q.ecs.prefix > 0 ? q.ecs.bytes : q.client;
      const answer = resolve(
        { name: q.name, type: q.type },
        { address, prefix: q.ecs && q.ecs.prefix > 0 ? q.ecs.prefix : address.length * 8 },
        snapshot,
        chooser,
      );
      const facts = snapshot.geo?.lookup(address);
      const text = formatExplanation({
        query: { name: q.name, type: q.type },
        client: q.clientText,
        ecs: q.ecs?.text,
        facts,
        answer,
      });
      const sections =
        answer.kind === 'refused'
          ? undefined
          : {
              zone: answer.zone,
              scope: answer.scopePrefix,
              answer: answer.answer.map(formatRR),
              authority: answer.authority.map(formatRR),
              additional: answer.additional.map(formatRR),
            };
      return {
        query: { name: q.name, type: typeName(q.type) },
        client: addressText(q.client),
        ecs: q.ecs?.text ?? null,
        facts: facts ?? null,
        result: answer.kind,
        ...sections,
        trace: answer.kind === 'refused' ? null : (answer.trace ?? null),
        text,
      };
    },
    events: (since, limit) => s.journal(since, limit),
    metrics: () => s.metrics.text(s.otherMetrics),
  };
}
