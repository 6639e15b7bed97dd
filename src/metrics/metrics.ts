// Prometheus metrics. The query path only bumps plain counters; the text is made when scraped. Labels come from
// closed sets: served zones, known record types (others are "other"), rcodes, and the records and pools of the zone
// files, so no query can add a series.
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import { familyText, type Series, Slicer } from './exposition.ts';

type Tally = Map<string, number>;
export type Metric = MetricObjectWithValues<MetricValue<string>>;
const SEP = '\u0000';

/** What one process counted, as plain data (structured-clone safe): what a worker sends the primary. */
export interface MetricsData {
  readonly registry: Metric[];
  /** zone, record key, pool, count. */
  readonly answers: [string, string, string, number][];
}

const LIMITED_ACTIONS = ['dropped', 'slipped', 'exempt'] as const;

function bump(tally: Tally, key: string, by = 1): void {
  tally.set(key, (tally.get(key) ?? 0) + by);
}

/** A counter whose values live in a Map: reset and refilled at each scrape. */
function tallyCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  tally: Tally,
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of tally) {
        const parts = key.split(SEP);
        this.inc(Object.fromEntries(labelNames.map((l, i) => [l, parts[i] ?? ''])), value);
      }
    },
  });
}

export interface ClusterView {
  readonly etcdUp: boolean;
  readonly appliedRevision: number;
  readonly nodesUp: number;
}

export interface ScrapeSources {
  /**
   * Members up per pool (one series per record and pool: read a slice at a time; `undefined` only marks
   * progress).
   */
  readonly membersUp: () => Iterable<
    { zone: string; record: string; pool: string; up: number } | undefined
  >;
  readonly serials: () => readonly { zone: string; serial: number }[];
  /** Whether the store took its last write (only the process that owns the store has one). */
  readonly storageOk?: () => boolean;
  /** In cluster mode (the process that follows etcd): etcd's state as this node sees it. */
  readonly cluster?: () =>
    { etcdUp: boolean; appliedRevision: number; nodesUp: number } | undefined;
}

export interface MetricNames {
  /** Mnemonics of the types counted by name; every other type is counted as "other". */
  readonly types: ReadonlyMap<number, string>;
  readonly rcode: (code: number) => string;
  /** The label of a dynamic record's key. */
  readonly record: (key: string) => string;
}

/**
 * Counts per zone, indexed by (type slot × 32 + rcode) × 2 + transport (0 UDP, 1 TCP): no string is built
 * per query.
 */
type QueryCounts = Map<string, Float64Array>;
/** zone → record key → pool → count (a box, so counting is a get and an increment). */
type AnswerCounts = Map<string, Map<string, Map<string, { n: number }>>>;

function nested<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

export class Metrics {
  readonly registry = new Registry();
  /** Query type → its slot in the counts (0: "other"). */
  private readonly typeSlot = new Uint8Array(65536);
  private readonly slotNames: string[] = ['other'];
  private readonly queries: QueryCounts = new Map();
  private readonly answers: AnswerCounts = new Map();
  private readonly degraded: Tally = new Map();
  private readonly ecs = new Float64Array(2);
  private readonly updates: Tally = new Map();
  private readonly reloads: Tally = new Map();
  private readonly storageErrors: Tally = new Map();
  /** Responses over the rate limit: dropped, slipped, exempt (counted on the query path: an array, not a Map). */
  private readonly limited = new Float64Array(3);
  private readonly probes: Tally = new Map();
  private readonly probeLatency: Histogram;
  private readonly commitLatency: Histogram;
  private scrape: Promise<{ contentType: string; body: string }> | undefined;

  constructor(
    private readonly sources: ScrapeSources,
    private readonly names: MetricNames,
  ) {
    for (const [code, name] of names.types) {
      if (this.slotNames.length >= 255) break;
      this.typeSlot[code] = this.slotNames.length;
      this.slotNames.push(name);
    }
    const r = this.registry;
    const { queries, ecs, slotNames } = this;
    new Counter({
      name: 'gslb_queries_total',
      help: 'DNS queries answered, by zone, query type, rcode and transport',
      labelNames: ['zone', 'qtype', 'rcode', 'transport'],
      registers: [r],
      collect() {
        this.reset();
        for (const [zone, counts] of queries) {
          counts.forEach(
            (n, i) =>
              n > 0 &&
              this.inc(
                {
                  zone,
                  qtype: slotNames[i >> 6]!,
                  rcode: names.rcode((i >> 1) & 0x1f),
                  transport: i & 1 ? 'tcp' : 'udp',
                },
                n,
              ),
          );
        }
      },
    });
    new Counter({
      name: 'gslb_ecs_queries_total',
      help: 'Queries with and without EDNS Client Subnet',
      labelNames: ['ecs'],
      registers: [r],
      collect() {
        this.reset();
        this.inc({ ecs: 'no' }, ecs[0]);
        this.inc({ ecs: 'yes' }, ecs[1]);
      },
    });
    tallyCounter(
      r,
      'gslb_degraded_answers_total',
      'Dynamic answers on a degraded path: fallback, default values, redirect, fail-open, empty',
      ['reason'],
      this.degraded,
    );
    tallyCounter(
      r,
      'gslb_updates_total',
      'Dynamic updates, by source and rcode',
      ['source', 'rcode'],
      this.updates,
    );
    tallyCounter(r, 'gslb_reloads_total', 'Zone reloads, by result', ['result'], this.reloads);
    tallyCounter(
      r,
      'gslb_storage_errors_total',
      'Writes the store refused (disk full, read-only, I/O error), by operation',
      ['operation'],
      this.storageErrors,
    );
    const limited = this.limited;
    new Counter({
      name: 'gslb_rate_limited_responses_total',
      help:
        'UDP responses over the rate limit: dropped, slipped (sent truncated or BADCOOKIE), or ' +
        'exempt (sent: the source is exempt)',
      labelNames: ['action'],
      registers: [r],
      collect() {
        this.reset();
        LIMITED_ACTIONS.forEach((action, i) => limited[i]! > 0 && this.inc({ action }, limited[i]));
      },
    });
    tallyCounter(
      r,
      'gslb_health_probes_total',
      'Health probes, by protocol and result',
      ['protocol', 'result'],
      this.probes,
    );
    this.probeLatency = new Histogram({
      name: 'gslb_health_probe_seconds',
      help: 'Health probe latency',
      labelNames: ['protocol'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [r],
    });
    new Gauge({
      name: 'gslb_zone_serial',
      help: 'SOA serial of each zone',
      labelNames: ['zone'],
      registers: [r],
      aggregator: 'max', // every worker process reports the same state: one copy, not the sum
      collect() {
        this.reset();
        for (const s of sources.serials()) this.set({ zone: s.zone }, s.serial);
      },
    });
    this.commitLatency = new Histogram({
      name: 'gslb_cluster_commit_seconds',
      help: 'Time for etcd to commit a change (cluster mode), by result',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [r],
    });
    const cluster = sources.cluster;
    if (cluster) {
      const gauge = (name: string, help: string, read: (c: ClusterView) => number) =>
        new Gauge({
          name,
          help,
          registers: [r],
          aggregator: 'max',
          collect() {
            const c = cluster();
            if (c) this.set(read(c));
          },
        });
      gauge('gslb_cluster_etcd_up', '1 while etcd answers with quorum', (c) => (c.etcdUp ? 1 : 0));
      gauge(
        'gslb_cluster_applied_revision',
        'The etcd revision this node has applied',
        (c) => c.appliedRevision,
      );
      gauge('gslb_cluster_nodes_up', 'Nodes registered in etcd (last seen)', (c) => c.nodesUp);
    }
    const storageOk = sources.storageOk;
    if (storageOk) {
      new Gauge({
        name: 'gslb_storage_ok',
        help: '1 while the store takes writes, 0 after a write failed (until one succeeds)',
        registers: [r],
        collect() {
          this.set(storageOk() ? 1 : 0);
        },
      });
    }
  }

  /** Called for every query: a Map lookup and an array increment. */
  query(zone: string, qtype: number, rcode: number, tcp: boolean, ecs: boolean): void {
    const counts = nested(this.queries, zone, () => new Float64Array(this.slotNames.length * 64));
    counts[(((this.typeSlot[qtype & 0xffff]! << 5) | (rcode & 0x1f)) << 1) | (tcp ? 1 : 0)]!++;
    this.ecs[ecs ? 1 : 0]!++;
  }

  /** A dynamic answer of the record with key `record` from `pool`. */
  answer(zone: string, record: string, pool: string, degradedReason: string | undefined): void {
    nested(
      nested(
        nested(this.answers, zone, () => new Map<string, Map<string, { n: number }>>()),
        record,
        () => new Map<string, { n: number }>(),
      ),
      pool,
      () => ({ n: 0 }),
    ).n++;
    if (degradedReason) bump(this.degraded, degradedReason);
  }

  update(source: string, rcode: string): void {
    bump(this.updates, source + SEP + rcode);
  }

  reload(ok: boolean): void {
    bump(this.reloads, ok ? 'ok' : 'rejected');
  }

  /** A response over the rate limit, and what became of it. */
  rateLimited(verdict: 'slip' | 'drop' | 'exempt'): void {
    this.limited[verdict === 'drop' ? 0 : verdict === 'slip' ? 1 : 2]!++;
  }

  storageError(operation: string): void {
    bump(this.storageErrors, operation);
  }

  /** A change etcd committed (or did not), and how long it took. */
  clusterCommit(seconds: number, ok: boolean): void {
    this.commitLatency.observe({ result: ok ? 'ok' : 'failed' }, seconds);
  }

  probe(protocol: string, ok: boolean, seconds: number): void {
    bump(this.probes, protocol + SEP + (ok ? 'up' : 'down'));
    this.probeLatency.observe({ protocol }, seconds);
  }

  /**
   * The exposition text; with `others` (worker processes' `data()`), their counts added to these. Scrapes that
   * arrive while one is being made share it.
   */
  text(
    others: () => Promise<MetricsData[]> = () => Promise.resolve([]),
  ): Promise<{ contentType: string; body: string }> {
    this.scrape ??= this.makeText(others).finally(() => (this.scrape = undefined));
    return this.scrape;
  }

  /** Everything this process counted, for the process that serves the API to add up. */
  async data(): Promise<MetricsData> {
    const answers: MetricsData['answers'] = [];
    for (const [zone, byRecord] of this.answers)
      for (const [record, byPool] of byRecord)
        for (const [pool, c] of byPool) answers.push([zone, record, pool, c.n]);
    return { registry: await this.registry.getMetricsAsJSON(), answers };
  }

  private async makeText(
    others: () => Promise<MetricsData[]>,
  ): Promise<{ contentType: string; body: string }> {
    const theirs = await others();
    const slicer = new Slicer();
    const small =
      theirs.length === 0
        ? await this.registry.metrics()
        : await AggregatorRegistry.aggregate([
            await this.registry.getMetricsAsJSON(),
            ...theirs.map((d) => d.registry),
          ]).metrics();
    const answers = await this.answerSeries(theirs, slicer);
    const members: Series[] = [];
    for (const m of this.sources.membersUp()) {
      if (m)
        members.push({ labels: { zone: m.zone, record: m.record, pool: m.pool }, value: m.up });
      await slicer.tick();
    }
    const body = [
      small.trimEnd(),
      await familyText(
        'gslb_answers_total',
        'Dynamic answers, by zone, record and the pool (or path) they came from',
        'counter',
        answers,
        slicer,
      ),
      await familyText(
        'gslb_pool_members_up',
        'Members up in each pool (effective state)',
        'gauge',
        members,
        slicer,
      ),
    ].join('\n');
    return { contentType: this.registry.contentType, body: `${body}\n` };
  }

  /** This process's answer counts, plus the workers'. */
  private async answerSeries(theirs: readonly MetricsData[], slicer: Slicer): Promise<Series[]> {
    const sums = new Map<string, { zone: string; record: string; pool: string; n: number }>();
    const add = (zone: string, record: string, pool: string, n: number): void => {
      const key = zone + SEP + record + SEP + pool;
      const found = sums.get(key);
      if (found) found.n += n;
      else sums.set(key, { zone, record, pool, n });
    };
    for (const [zone, byRecord] of this.answers)
      for (const [record, byPool] of byRecord)
        for (const [pool, c] of byPool) add(zone, record, pool, c.n);
    for (const d of theirs) {
      for (const [zone, record, pool, n] of d.answers) {
        add(zone, record, pool, n);
        await slicer.tick();
      }
    }
    return [...sums.values()].map((s) => ({
      labels: { zone: s.zone, record: this.names.record(s.record), pool: s.pool },
      value: s.n,
    }));
  }
}
