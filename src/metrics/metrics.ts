// Prometheus metrics. The query path only bumps plain Map counters; prom-client reads them when scraped.
import { AggregatorRegistry, Counter, Gauge, Histogram, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';

type Tally = Map<string, number>;
export type Metric = MetricObjectWithValues<MetricValue<string>>;
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
  /** Whether the store took its last write (only the process that owns the store has one). */
  storageOk?(): boolean;
}

/** zone → query type → counts indexed by rcode × 2 + transport (0 UDP, 1 TCP): no string is built per query. */
type QueryCounts = Map<string, Map<number, Float64Array>>;
/** zone → owner → type → pool → count (a box, so counting is a get and an increment). */
type AnswerCounts = Map<string, Map<string, Map<number, Map<string, { n: number }>>>>;

function nested<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly queries: QueryCounts = new Map();
  private readonly answers: AnswerCounts = new Map();
  private readonly degraded: Tally = new Map();
  private readonly ecs = new Float64Array(2);
  private readonly updates: Tally = new Map();
  private readonly reloads: Tally = new Map();
  private readonly storageErrors: Tally = new Map();
  private readonly probes: Tally = new Map();
  private readonly probeLatency: Histogram;

  constructor(sources: ScrapeSources, names: { type: (code: number) => string; rcode: (code: number) => string }) {
    const r = this.registry;
    const { queries, answers, ecs } = this;
    new Counter({
      name: 'gslb_queries_total', help: 'DNS queries answered, by zone, query type, rcode and transport', labelNames: ['zone', 'qtype', 'rcode', 'transport'], registers: [r],
      collect() {
        this.reset();
        for (const [zone, byType] of queries) {
          for (const [type, counts] of byType) {
            counts.forEach((n, i) => n > 0 && this.inc({ zone, qtype: names.type(type), rcode: names.rcode(i >> 1), transport: i & 1 ? 'tcp' : 'udp' }, n));
          }
        }
      },
    });
    new Counter({
      name: 'gslb_answers_total', help: 'Dynamic answers, by zone, record and the pool (or path) they came from', labelNames: ['zone', 'record', 'pool'], registers: [r],
      collect() {
        this.reset();
        for (const [zone, byName] of answers) for (const [name, byType] of byName) for (const [type, byPool] of byType) for (const [pool, c] of byPool) this.inc({ zone, record: `${name} ${names.type(type)}`, pool }, c.n);
      },
    });
    new Counter({
      name: 'gslb_ecs_queries_total', help: 'Queries with and without EDNS Client Subnet', labelNames: ['ecs'], registers: [r],
      collect() {
        this.reset();
        this.inc({ ecs: 'no' }, ecs[0]!);
        this.inc({ ecs: 'yes' }, ecs[1]!);
      },
    });
    tallyCounter(r, 'gslb_degraded_answers_total', 'Dynamic answers on a degraded path: fallback, default values, redirect, fail-open, empty', ['reason'], this.degraded);
    tallyCounter(r, 'gslb_updates_total', 'Dynamic updates, by source and rcode', ['source', 'rcode'], this.updates);
    tallyCounter(r, 'gslb_reloads_total', 'Zone reloads, by result', ['result'], this.reloads);
    tallyCounter(r, 'gslb_storage_errors_total', 'Writes the store refused (disk full, read-only, I/O error), by operation', ['operation'], this.storageErrors);
    if (sources.storageOk) {
      const ok = sources.storageOk;
      new Gauge({
        name: 'gslb_storage_ok', help: '1 while the store takes writes, 0 after a write failed (until one succeeds)', registers: [r],
        collect() {
          this.set(ok() ? 1 : 0);
        },
      });
    }
    tallyCounter(r, 'gslb_health_probes_total', 'Health probes, by protocol and result', ['protocol', 'result'], this.probes);
    this.probeLatency = new Histogram({ name: 'gslb_health_probe_seconds', help: 'Health probe latency', labelNames: ['protocol'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [r] });
    new Gauge({
      name: 'gslb_pool_members_up', help: 'Members up in each pool (effective state)', labelNames: ['zone', 'record', 'pool'], registers: [r],
      aggregator: 'max', // every worker process reports the same state: one copy, not the sum
      collect() {
        this.reset();
        for (const m of sources.membersUp()) this.set({ zone: m.zone, record: m.record, pool: m.pool }, m.up);
      },
    });
    new Gauge({
      name: 'gslb_zone_serial', help: 'SOA serial of each zone', labelNames: ['zone'], registers: [r],
      aggregator: 'max',
      collect() {
        this.reset();
        for (const s of sources.serials()) this.set({ zone: s.zone }, s.serial);
      },
    });
  }

  /** Called for every query: two Map lookups and an array increment. */
  query(zone: string, qtype: number, rcode: number, tcp: boolean, ecs: boolean): void {
    const counts = nested(nested(this.queries, zone, () => new Map()), qtype, () => new Float64Array(64));
    counts[((rcode & 0x1f) << 1) | (tcp ? 1 : 0)]!++;
    this.ecs[ecs ? 1 : 0]!++;
  }

  answer(zone: string, name: string, type: number, pool: string, degradedReason: string | undefined): void {
    const byPool = nested(nested(nested(this.answers, zone, () => new Map()), name, () => new Map()), type, () => new Map<string, { n: number }>());
    nested(byPool, pool, () => ({ n: 0 })).n++;
    if (degradedReason) bump(this.degraded, degradedReason);
  }

  update(source: string, rcode: string): void {
    bump(this.updates, source + SEP + rcode);
  }

  storageError(operation: string): void {
    bump(this.storageErrors, operation);
  }

  reload(ok: boolean): void {
    bump(this.reloads, ok ? 'ok' : 'rejected');
  }

  probe(protocol: string, ok: boolean, seconds: number): void {
    bump(this.probes, protocol + SEP + (ok ? 'up' : 'down'));
    this.probeLatency.observe({ protocol }, seconds);
  }

  /** The exposition text; with `others` (worker processes' `json()`), their counters added to these. */
  async text(others: () => Promise<Metric[][]> = () => Promise.resolve([])): Promise<{ contentType: string; body: string }> {
    const theirs = await others();
    if (theirs.length === 0) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const merged = AggregatorRegistry.aggregate([await this.json(), ...theirs]);
    return { contentType: this.registry.contentType, body: await merged.metrics() };
  }

  /** Every metric as plain data, for the process that serves the API to add up (structured-clone safe). */
  json(): Promise<Metric[]> {
    return this.registry.getMetricsAsJSON();
  }
}
