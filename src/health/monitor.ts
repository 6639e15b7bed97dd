// The health monitor: schedules probes, applies rise/fall, and reports transitions. It never writes state itself:
// the caller turns each transition into a dynamic update.
import { isIP } from 'node:net';
import { schedule, type ScheduledTask } from 'node-cron';
import { memberKey, recordKey } from '../core/index.ts';
import { probe, type ProbeResult, type ProbeSpec } from './probe.ts';
import { initialStreak, nextStreak, type Streak } from './rise-fall.ts';

export interface Subscriber {
  readonly zone: string;
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly rise: number;
  readonly fall: number;
  /** The state before this monitor's first result: the stored verdict, or healthcheck.initial. */
  readonly initiallyUp: boolean;
}

/** One probe target; every record with a member at this (protocol, address, port, host, path) subscribes. */
export interface HealthTarget {
  readonly key: string;
  readonly spec: ProbeSpec;
  readonly interval: string; // "10s" or a cron expression
  readonly intervalMs: number | undefined;
  readonly subscribers: readonly Subscriber[];
}

export interface Transition {
  readonly zone: string;
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly address: string;
  readonly up: boolean;
  readonly detail: string;
}

export interface TargetStatus {
  readonly key: string;
  readonly spec: ProbeSpec;
  readonly lastCheckMs: number | undefined;
  readonly last: ProbeResult | undefined;
}

interface Running {
  target: HealthTarget;
  stop: () => void;
  busy: boolean;
  streaks: Map<string, Streak>; // per subscriber
  lastCheckMs: number | undefined;
  last: ProbeResult | undefined;
}

export interface MonitorOptions {
  /**
   * Called with each probe's transitions (grouped by zone by the caller); returns those it could not record (the
   * store failed), which are reported again after the next probe.
   */
  readonly report: (transitions: readonly Transition[]) => Promise<readonly Transition[]>;
  readonly random: () => number;
  readonly now: () => number;
  /** probe_source: probes of a member go from the address of its family here, if any. */
  readonly sources?: readonly string[];
  /** Told of every probe (for metrics). */
  readonly observe?: (spec: ProbeSpec, result: ProbeResult) => void;
}

const subscriberKey = (s: { readonly name: string; readonly type: number }): string =>
  recordKey(s.name, s.type);

export class HealthMonitor {
  private readonly running = new Map<string, Running>();
  constructor(private readonly options: MonitorOptions) {}

  /** Starts probes for new targets, stops those no longer wanted, and keeps the counters of the rest. */
  sync(targets: readonly HealthTarget[]): void {
    const wanted = new Map(targets.map((t) => [t.key, t]));
    for (const [key, r] of this.running) {
      if (!wanted.has(key) || wanted.get(key)!.interval !== r.target.interval) {
        r.stop();
        this.running.delete(key);
      }
    }
    for (const target of targets) {
      const existing = this.running.get(target.key);
      if (existing) {
        existing.target = target;
        for (const s of target.subscribers)
          if (!existing.streaks.has(subscriberKey(s)))
            existing.streaks.set(subscriberKey(s), initialStreak(s.initiallyUp));
        continue;
      }
      const r: Running = {
        target,
        stop: () => undefined,
        busy: false,
        streaks: new Map(
          target.subscribers.map((s) => [subscriberKey(s), initialStreak(s.initiallyUp)]),
        ),
        lastCheckMs: undefined,
        last: undefined,
      };
      r.stop = this.start(r);
      this.running.set(target.key, r);
    }
  }

  status(): TargetStatus[] {
    return [...this.running.values()].map((r) => ({
      key: r.target.key,
      spec: r.target.spec,
      lastCheckMs: r.lastCheckMs,
      last: r.last,
    }));
  }

  /** The verdict of rise/fall for every member probed, by memberKey: what this node sees. */
  verdicts(): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const r of this.running.values())
      for (const [record, streak] of r.streaks)
        out.set(memberKey(record, r.target.spec.address), streak.up);
    return out;
  }

  stop(): void {
    for (const r of this.running.values()) r.stop();
    this.running.clear();
  }

  /** Durations that divide a minute (or an hour, a day) and cron expressions run on node-cron; others on a timer. */
  private start(r: Running): () => void {
    const fire = (): void => {
      // Jitter: probes sharing a schedule start spread over up to a fifth of the interval (at most 2 s).
      const spread = Math.min((r.target.intervalMs ?? 10_000) / 5, 2000);
      const timer = setTimeout(
        () => void this.check(r),
        Math.floor(this.options.random() * spread),
      );
      timer.unref?.();
    };
    const cron = cronFor(r.target.interval, r.target.intervalMs);
    if (cron) {
      const task: ScheduledTask = schedule(cron, fire, { noOverlap: true });
      return () => void task.destroy();
    }
    const timer = setInterval(fire, r.target.intervalMs);
    fire();
    return () => clearInterval(timer);
  }

  private async check(r: Running): Promise<void> {
    if (r.busy) return; // never overlapping: a probe still running skips this turn
    r.busy = true;
    try {
      const result = await probe(r.target.spec, this.sourceFor(r.target.spec.address));
      if (this.running.get(r.target.key) !== r) return; // stopped meanwhile
      r.lastCheckMs = this.options.now();
      r.last = result;
      this.options.observe?.(r.target.spec, result);
      const transitions = this.count(r, result);
      if (transitions.length === 0) return;
      // Not recorded: the member stays where the server has it, and the next probe flips it again.
      for (const t of await this.options.report(transitions)) {
        const streak = r.streaks.get(subscriberKey(t));
        if (streak) r.streaks.set(subscriberKey(t), { ...streak, up: !t.up });
      }
    } finally {
      r.busy = false;
    }
  }

  private sourceFor(address: string): string | undefined {
    const family = isIP(address);
    return this.options.sources?.find((s) => isIP(s) === family);
  }

  /** Each subscriber's streak after one result, and the members whose verdict it flips. */
  private count(r: Running, result: ProbeResult): Transition[] {
    const out: Transition[] = [];
    for (const s of r.target.subscribers) {
      const before = r.streaks.get(subscriberKey(s))!;
      const after = nextStreak(before, result.ok, s.rise, s.fall);
      r.streaks.set(subscriberKey(s), after);
      if (after.up === before.up) continue;
      out.push({
        zone: s.zone,
        name: s.name,
        type: s.type,
        ttl: s.ttl,
        address: r.target.spec.address,
        up: after.up,
        detail: result.detail,
      });
    }
    return out;
  }
}

function cronFor(interval: string, intervalMs: number | undefined): string | undefined {
  if (intervalMs === undefined) return interval;
  const s = intervalMs / 1000;
  if (Number.isInteger(s) && s < 60 && 60 % s === 0) return `*/${s} * * * * *`;
  const m = s / 60;
  if (Number.isInteger(m) && m < 60 && 60 % m === 0) return `0 */${m} * * * *`;
  const h = m / 60;
  if (Number.isInteger(h) && h < 24 && 24 % h === 0) return `0 0 */${h} * * *`;
  return undefined;
}
