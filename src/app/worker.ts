// A DNS worker process (see cluster.ts): loads the files, takes its starting state from the primary, follows every
// change after it, and answers queries; UPDATE messages go to the primary.
import cluster from 'node:cluster';
import type { Settings } from '../config/index.ts';
import { errorStack, formatDiagnostic } from '../core/index.ts';
import type { Snapshot } from '../resolve/index.ts';
import {
  applyDelta,
  EMPTY_LIVE,
  type LiveDelta,
  liveFromPlain,
  type LiveState,
  type PlainLive,
} from '../state/index.ts';
import type { LiveNotice, PrimaryCalls, WorkerCalls, WorkerNotice } from './cluster.ts';
import { collectGarbage, loadData, type LoadedData } from './data.ts';
import { dnsHandler } from './dns.ts';
import { Channel, type Envelope } from './ipc.ts';
import { listenAll } from './listen.ts';
import { LimitedLog, type Logger } from './log.ts';
import { serverMetrics } from './metrics.ts';
import { protection } from './protect.ts';
import type { AppOptions } from './start.ts';
import { snapshotOf, withDelta } from './state.ts';

/** The primary answers at once; this long only when it is stuck. */
const START_TIMEOUT_MS = 60_000;
/** An update the primary has not answered by then is answered SERVFAIL here. */
const UPDATE_TIMEOUT_MS = 10_000;

export interface RunningWorker {
  /**
   * Settles (with why) when this worker can no longer follow the primary's state: it has stopped answering rather
   * than answer from a stale one, and should exit so that the primary starts another.
   */
  readonly lost: Promise<string>;
  close(): Promise<void>;
}

/** Serves DNS until closed; throws when the files do not load here or the primary sends no state. */
export async function runWorker(options: AppOptions): Promise<RunningWorker> {
  const { settings } = options;
  const log = prefixed(options.log, `worker ${cluster.worker?.id ?? '?'}: `);
  const follower = await Follower.load(settings, log);
  const metrics = serverMetrics(() => follower.snapshot());
  const channel = new Channel<WorkerCalls, PrimaryCalls, WorkerNotice, LiveNotice>(
    (m) => void process.send?.(m),
    { metrics: () => metrics.data() },
    (change) => follower.follow(change),
  );
  process.on('message', (m: Envelope) => channel.receive(m));
  const start = await channel.ask('start', undefined, START_TIMEOUT_MS);
  if (!start) throw new Error('the primary sent no state to start from');
  await follower.start(start.live);

  const limited = new LimitedLog(log);
  const cookies = { ...settings.cookies, secret: start.cookieSecret };
  const guard = protection(settings.rateLimit, cookies, settings.identity);
  const forward = async (message: Buffer, from: string): Promise<Buffer> => {
    const reply = await channel.ask('update', { message, from }, UPDATE_TIMEOUT_MS);
    if (!reply) throw new Error('the primary did not answer the update'); // answered SERVFAIL
    return Buffer.from(reply);
  };
  const snapshot = (): Snapshot => follower.snapshot();
  const handler = dnsHandler({ snapshot, update: forward, metrics, limited, ...guard });
  const dns = await listenAll(settings, handler, log);
  channel.notify('ready');

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= Promise.all(dns.map((l) => l.close())).then(() => {
      guard.stop();
      limited.close();
      channel.close();
      process.disconnect?.(); // the IPC channel would keep this process alive
    }));
  const lost = follower.lost.then(async (reason) => {
    log.error(`cannot follow the primary's state, stopping: ${reason}`);
    await close();
    return reason;
  });
  return { lost, close };
}

/** A worker's copy of what the primary serves: the files as loaded here, the live state as the primary sends it. */
class Follower {
  private current: Snapshot | undefined;
  private live: LiveState = EMPTY_LIVE;
  /** Changes are applied one after another: a commit never lands on an older zone set than it was made on. */
  private queue: Promise<void> = Promise.resolve();
  private fail: (reason: string) => void = () => undefined;
  readonly lost = new Promise<string>((resolve) => (this.fail = resolve));

  private constructor(
    private readonly settings: Settings,
    private readonly log: Logger,
    private files: LoadedData,
  ) {}

  static async load(settings: Settings, log: Logger): Promise<Follower> {
    const first = await loadData(settings.zones, settings.geoip, limits(settings));
    if (!first.data) {
      first.diagnostics.forEach((d) => log.error(formatDiagnostic(d)));
      throw new Error(`zones in ${settings.zones} have errors; this worker serves nothing`);
    }
    return new Follower(settings, log, first.data);
  }

  snapshot(): Snapshot {
    return this.current!;
  }

  start(live: PlainLive): Promise<void> {
    return this.enqueue(() => this.replace(live));
  }

  follow(change: LiveNotice): void {
    void this.enqueue(
      change.kind === 'reload' ? () => this.reload(change.live) : () => this.commit(change.delta),
    );
  }

  private enqueue(step: () => void | Promise<void>): Promise<void> {
    this.queue = this.queue.then(step).catch((e: unknown) => this.fail(errorStack(e)));
    return this.queue;
  }

  /** The files read again (the previous ones kept if they no longer load here), then the primary's state. */
  private async reload(live: PlainLive): Promise<void> {
    const { zones, geoip } = this.settings;
    const loaded = await loadData(zones, geoip, { ...limits(this.settings), previous: this.files });
    if (loaded.data) this.files = loaded.data;
    else this.log.error('reload: the files no longer load here; serving the previous ones');
    this.replace(live);
  }

  private replace(live: PlainLive): void {
    this.live = liveFromPlain(live);
    this.current = snapshotOf(this.files, this.live);
    collectGarbage();
  }

  /** The primary's own delta, applied the way it applied it: only what the change touched is built again. */
  private commit(delta: LiveDelta): void {
    this.live = applyDelta(this.live, delta);
    this.current = withDelta(this.current!, this.live, delta);
  }
}

function limits(settings: Settings): { maxZoneFileBytes: number; compileRules: boolean } {
  return { maxZoneFileBytes: settings.maxZoneFileBytes, compileRules: settings.compileRules };
}

function prefixed(log: Logger, prefix: string): Logger {
  return {
    info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m),
    error: (m) => log.error(prefix + m),
  };
}
