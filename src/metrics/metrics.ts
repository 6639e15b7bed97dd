// Prometheus metrics. The query path only bumps plain Map counters; prom-client reads them when scraped.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

type Tally = Map<string, number>;
const SEP = '\u0000';

function bump(tally: Tally, key: string, by = 1): void {
  tally.set(key, (tally.get(key) ?? 0) + by);
}

/** A counter whose values live in a Map: reset and refilled at each scrape. */
function tallyCounter(registry: Registry, name: string, help: string, labelNames: string[], tally: Tally): void {
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of tally) {
        const parts = key.split(SEP);
        this.inc(Object.fromEntries(labelNames.map((l, i) => [l, parts[i] ?? ''])), value);
      }
    },
  });
}

export interface ScrapeSources {
  /** Members up per pool: zone, record ("name TYPE"), pool → count. */
  membersUp(): readonly { zone: string; record: string; pool: string; up: number; total: number }[];
  serials(): readonly { zone: string; serial: number }[];
}

export class Metrics {
  readonly registry = new Registry();
  private readonly queries: Tally = new Map();
  private readonly answers: Tally = new Map();
  private readonly degraded: Tally = new Map();
  private readonly ecs: Tally = new Map();
  private readonly updates: Tally = new Map();
  private readonly reloads: Tally = new Map();
  private readonly probes: Tally = new Map();
  private readonly probeLatency: Histogram;

  constructor(sources: ScrapeSources) {
    const r = this.registry;
    tallyCounter(r, 'gslb_queries_total', 'DNS queries answered, by zone, query type, rcode and transport', ['zone', 'qtype', 'rcode', 'transport'], this.queries);
    tallyCounter(r, 'gslb_answers_total', 'Dynamic answers, by zone, record and the pool (or path) they came from', ['zone', 'record', 'pool'], this.answers);
    tallyCounter(r, 'gslb_degraded_answers_total', 'Dynamic answers on a degraded path: fallback, default values, redirect, fail-open, empty', ['reason'], this.degraded);
    tallyCounter(r, 'gslb_ecs_queries_total', 'Queries with and without EDNS Client Subnet', ['ecs'], this.ecs);
    tallyCounter(r, 'gslb_updates_total', 'Dynamic updates, by source and rcode', ['source', 'rcode'], this.updates);
    tallyCounter(r, 'gslb_reloads_total', 'Zone reloads, by result', ['result'], this.reloads);
    tallyCounter(r, 'gslb_health_probes_total', 'Health probes, by protocol and result', ['protocol', 'result'], this.probes);
    this.probeLatency = new Histogram({ name: 'gslb_health_probe_seconds', help: 'Health probe latency', labelNames: ['protocol'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [r] });
    new Gauge({
      name: 'gslb_pool_members_up', help: 'Members up in each pool (effective state)', labelNames: ['zone', 'record', 'pool'], registers: [r],
      collect() {
        this.reset();
        for (const m of sources.membersUp()) this.set({ zone: m.zone, record: m.record, pool: m.pool }, m.up);
      },
    });
    new Gauge({
      name: 'gslb_zone_serial', help: 'SOA serial of each zone', labelNames: ['zone'], registers: [r],
      collect() {
        this.reset();
        for (const s of sources.serials()) this.set({ zone: s.zone }, s.serial);
      },
    });
  }

  query(zone: string, qtype: string, rcode: string, transport: string, ecs: boolean): void {
    bump(this.queries, zone + SEP + qtype + SEP + rcode + SEP + transport);
    bump(this.ecs, ecs ? 'yes' : 'no');
  }

  answer(zone: string, record: string, pool: string, degradedReason: string | undefined): void {
    bump(this.answers, zone + SEP + record + SEP + pool);
    if (degradedReason) bump(this.degraded, degradedReason);
  }

  update(source: string, rcode: string): void {
    bump(this.updates, source + SEP + rcode);
  }

  reload(ok: boolean): void {
    bump(this.reloads, ok ? 'ok' : 'rejected');
  }

  probe(protocol: string, ok: boolean, seconds: number): void {
    bump(this.probes, protocol + SEP + (ok ? 'up' : 'down'));
    this.probeLatency.observe({ protocol }, seconds);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
