// --workers N: one primary process and N DNS worker processes sharing the listeners (node:cluster shares the UDP and
// TCP handles). The primary owns everything that writes or probes: the store, health checks, updates, the API and the
// redirect tier. Workers load the same files, answer queries from their own snapshot, and follow the primary's live
// state, which it sends after every committed change (before it acknowledges the change). Workers pass UPDATE messages
// to the primary and send back its reply; they count their queries, and the primary's /metrics adds them up.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../core/index.ts';
import type { MetricsData } from '../metrics/index.ts';
import { type PlainLive, plainLive } from '../state/index.ts';
import { Channel, type Envelope } from './ipc.ts';
import { formatAddress } from './listen.ts';
import type { AppOptions, RunningApp } from './start.ts';
import { startApp } from './start.ts';
import type { Logger } from './log.ts';
import type { StateChange } from './state.ts';

/** What the primary asks of a worker. */
export type PrimaryCalls = {
  readonly metrics: { readonly ask: undefined; readonly reply: MetricsData };
};

/** What a worker asks of the primary. */
export type WorkerCalls = {
  /** The state to start from: sent once, before any change. */
  readonly start: {
    readonly ask: undefined;
    readonly reply: { readonly live: PlainLive; readonly cookieSecret: string };
  };
  /** An UPDATE message a worker received from `from`; the reply is the primary's. */
  readonly update: {
    readonly ask: { readonly message: Uint8Array; readonly from: string };
    readonly reply: Uint8Array;
  };
};

/** Primary → worker: every committed change and reload, in order. */
export type LiveNotice = StateChange;
/** Worker → primary: its listeners are open. */
export type WorkerNotice = 'ready';

type ToWorkers = Channel<PrimaryCalls, WorkerCalls, LiveNotice, WorkerNotice>;

const METRICS_TIMEOUT_MS = 2_000;
const RESTART_DELAY_MS = 500;

export function isWorker(): boolean {
  return cluster.isWorker;
}

/** The primary: the whole app without DNS listeners, and `settings.workers` processes that have them. */
export async function startCluster(options: AppOptions): Promise<RunningApp> {
  const { settings, log } = options;
  // Structured clone over IPC: live state holds Maps and byte arrays.
  cluster.setupPrimary({ serialization: 'advanced' });
  // Workers that have their starting state, and so take every change after it.
  const following = new Set<ToWorkers>();
  // One cookie secret for every process, so a cookie one worker made is good at the others.
  const cookieSecret = settings.cookies.secret ?? randomBytes(16).toString('hex');
  const app = await startApp({
    ...options,
    settings: {
      ...settings,
      dnsListen: [],
      cookies: { ...settings.cookies, secret: cookieSecret },
    },
    otherMetrics: async () => {
      const asked = [...following].map((w) => w.ask('metrics', undefined, METRICS_TIMEOUT_MS));
      return (await Promise.all(asked)).filter((m): m is MetricsData => m !== undefined);
    },
    onChange: (change) => following.forEach((w) => w.notify(change)),
  });
  const connect = (worker: Worker, ready: () => void): ToWorkers => {
    const channel: ToWorkers = new Channel<PrimaryCalls, WorkerCalls, LiveNotice, WorkerNotice>(
      (m) => {
        if (worker.isConnected()) worker.send(m);
      },
      {
        start: () => {
          following.add(channel);
          return { live: plainLive(app.live()), cookieSecret };
        },
        // app.update commits and tells every worker (onChange) before this reply goes back.
        update: async ({ message, from }) => (await app.update(Buffer.from(message), from)).reply,
      },
      (notice) => {
        if (notice === 'ready') ready();
      },
    );
    return channel;
  };
  const pool = new WorkerPool(log, connect, (channel) => following.delete(channel));
  try {
    await pool.start(settings.workers);
  } catch (e) {
    await pool.stop();
    await app.close();
    throw e;
  }
  log.info(
    `${settings.workers} DNS worker process(es) serving ${settings.dnsListen.map(formatAddress).join(', ')}`,
  );
  return {
    ...app,
    close: async () => {
      await pool.stop();
      await app.close();
    },
  };
}

/** The worker processes: forked, each with its channel, started again when one dies, stopped together. */
class WorkerPool {
  private readonly channels = new Map<Worker, ToWorkers>();
  private stopping = false;

  constructor(
    private readonly log: Logger,
    private readonly connect: (worker: Worker, ready: () => void) => ToWorkers,
    private readonly exited: (channel: ToWorkers) => void,
  ) {}

  start(count: number): Promise<void> {
    return Promise.all(Array.from({ length: count }, () => this.fork())).then(() => undefined);
  }

  private fork(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = cluster.fork();
      let ready = false;
      const channel = this.connect(worker, () => ((ready = true), resolve()));
      this.channels.set(worker, channel);
      worker.on('message', (m: Envelope) => channel.receive(m));
      worker.on('exit', (code, signal) => {
        this.channels.delete(worker);
        channel.close();
        this.exited(channel);
        const how = signal ?? code;
        if (!ready)
          return reject(new Error(`DNS worker ${worker.id} exited before it was ready (${how})`));
        if (!this.stopping) this.restart(worker, how);
      });
    });
  }

  private restart(worker: Worker, how: string | number): void {
    this.log.error(`DNS worker ${worker.id} exited (${how}); starting another`);
    setTimeout(() => {
      if (!this.stopping) this.fork().catch((e: unknown) => this.log.error(errorMessage(e)));
    }, RESTART_DELAY_MS);
  }

  /** SIGTERM to each, and waits for them to go. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.channels.keys()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  }
}
