// The API's access to the running server: the views read its state, overrides go through the one write path.
import type { ApiContext, ClusterReport, ClusterStatus, OverrideRequest } from '../api/index.ts';
import { parseMemberKey, parseRecordKey, typeName } from '../core/index.ts';
import type { HealthMonitor } from '../health/index.ts';
import type { Metrics, MetricsData } from '../metrics/index.ts';
import type { Change } from '../update/index.ts';
import { randomChooser } from './chooser.ts';
import { COMMIT_ATTEMPTS, conflictPause, type ReloadOutcome, type ServedState } from './state.ts';

export interface ApiParts {
  readonly state: ServedState;
  readonly monitor: Pick<HealthMonitor, 'status'>;
  readonly metrics: Metrics;
  /** The metrics of other processes serving DNS (workers), added to this one's. */
  readonly otherMetrics: (() => Promise<MetricsData[]>) | undefined;
  readonly token: string | undefined;
  reload(): Promise<ReloadOutcome>;
}

export function apiContext(p: ApiParts): ApiContext {
  return {
    token: p.token,
    view: () => ({
      snapshot: p.state.snapshot(),
      live: p.state.liveState(),
      probes: new Map(p.monitor.status().map((t) => [t.key, t])),
    }),
    setOverride: async (r) => {
      // An override needs no check of what it overrides: after another node's change it is planned again.
      const turn = p.state.inTurn(async () => {
        for (let attempt = 1; ; attempt++) {
          const committed = await p.state.commit(r.zone, [overrideChange(r)], {
            source: 'api',
            reason: r.reason || 'API override',
          });
          if (committed.ok || !committed.conflict || attempt >= COMMIT_ATTEMPTS) return committed;
          await conflictPause(attempt);
        }
      });
      return turn ? await turn : { ok: false, error: 'too many changes are waiting' };
    },
    reload: () => p.reload(),
    storage: () => p.state.storage(),
    events: (sinceId, limit) => p.state.journalOf(sinceId, limit),
    metrics: () => p.metrics.text(p.otherMetrics),
    cluster: () => clusterStatus(p.state),
    clusterReport: () => clusterReport(p.state),
    chooser: randomChooser(),
  };
}

function overrideChange(r: OverrideRequest): Change {
  const { name, type, target, key, status, reason } = r;
  return { kind: 'override', name, type, target, key, status, reason };
}

function clusterStatus(state: ServedState): ClusterStatus | undefined {
  const s = state.cluster();
  return (
    s && { node: s.node, etcdUp: s.up, appliedRevision: s.appliedRevision, lastError: s.lastError }
  );
}

function memberText(key: string): string {
  const { record, address } = parseMemberKey(key);
  const { name, type } = parseRecordKey(record);
  return `${name} ${typeName(type)} ${address}`;
}

/** Every registered node, and the zone files in which it differs from most nodes. */
async function clusterReport(state: ServedState): Promise<ClusterReport | undefined> {
  const status = clusterStatus(state);
  const listed = state.clusterNodes();
  if (!status || !listed) return undefined;
  const found = await listed;
  const peers = state.peers();
  const healthDecider = peers?.decider ?? null;
  if (!found.ok) return { ...status, healthDecider, nodes: undefined };
  const nodes = found.value.map(({ node, info }) => {
    const i = (info ?? {}) as {
      digests?: Record<string, string>;
      appliedRevision?: number;
      at?: number;
    };
    return {
      node,
      appliedRevision: i.appliedRevision ?? 0,
      seenAt: i.at ? new Date(i.at).toISOString() : null,
      digests: i.digests ?? {},
      seesDown: [...(peers?.byNode.get(node) ?? [])]
        .filter(([, up]) => !up)
        .map(([key]) => memberText(key))
        .sort(),
    };
  });
  const votes = new Map<string, Map<string, number>>(); // file → digest → nodes
  for (const n of nodes)
    for (const [file, digest] of Object.entries(n.digests)) {
      const byDigest = votes.get(file) ?? votes.set(file, new Map()).get(file)!;
      byDigest.set(digest, (byDigest.get(digest) ?? 0) + 1);
    }
  const usual = new Map(
    [...votes].map(([file, byDigest]) => {
      const [digest, count] = [...byDigest].sort((a, b) => b[1] - a[1])[0]!;
      return [file, { digest, held: 2 * count > nodes.length }] as const;
    }),
  );
  return {
    ...status,
    healthDecider,
    nodes: nodes.map((n) => ({
      ...n,
      differs: [...usual]
        .filter(([file, u]) => u.held && n.digests[file] !== u.digest)
        .map(([file]) => file)
        .sort(),
    })),
  };
}
