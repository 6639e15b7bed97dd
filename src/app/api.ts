// The API's access to the running server: the views read its state, overrides go through the one write path.
import type { ApiContext, OverrideRequest } from '../api/index.ts';
import type { HealthMonitor } from '../health/index.ts';
import type { Metrics, MetricsData } from '../metrics/index.ts';
import type { Change } from '../update/index.ts';
import { randomChooser } from './chooser.ts';
import { COMMIT_ATTEMPTS, type ReloadOutcome, type ServedState } from './state.ts';

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
      for (let attempt = 1; ; attempt++) {
        const committed = await p.state.commit(r.zone, [overrideChange(r)], {
          source: 'api',
          reason: r.reason || 'API override',
        });
        if (committed.ok || !committed.conflict || attempt >= COMMIT_ATTEMPTS) return committed;
      }
    },
    reload: () => p.reload(),
    storage: () => p.state.storage(),
    events: (sinceId, limit) => p.state.journalOf(sinceId, limit),
    metrics: () => p.metrics.text(p.otherMetrics),
    chooser: randomChooser(),
  };
}

function overrideChange(r: OverrideRequest): Change {
  const { name, type, target, key, status, reason } = r;
  return { kind: 'override', name, type, target, key, status, reason };
}
