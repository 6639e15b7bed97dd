// --workers N: one primary process and N DNS worker processes sharing the listeners (node:cluster shares the UDP and
// TCP handles). The primary owns everything that writes or probes: the store, health checks, updates, the API and the
// redirect tier. Workers load the same files, answer queries from their own snapshot, and follow the primary's live
// state, which it sends after every committed change (before it acknowledges the change). Workers pass UPDATE messages
// to the primary and send back its reply; they count their queries, and the primary's /metrics adds them up.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { errorMessage, errorStack, formatDiagnostic } from '../core/index.ts';
import type { MetricsData } from '../metrics/index.ts';
import type { Snapshot } from '../resolve/index.ts';
import {
  applyDelta,
  EMPTY_LIVE,
  liveFromPlain,
  type LiveState,
  plainLive,
  type PlainLive,
} from '../state/index.ts';
import { collectGarbage, loadData, type LoadedData } from './data.ts';
import type { Logger } from './log.ts';
import { serverMetrics } from './metrics.ts';
import { dnsHandler } from './dns.ts';
import { protection } from './protect.ts';
import { LimitedLog } from './log.ts';
import { type AppOptions, formatAddress, listenAll, type RunningApp, startApp } from './server.ts';
import { snapshotOf, type StateChange, withDelta } from './state.ts';

/** Primary → worker. */
type ToWorker =
  | {
      readonly type: 'live';
      readonly change:
        | StateChange
        | { readonly kind: 'initial'; readonly live: PlainLive; readonly cookieSecret: string };
    }
  | { readonly type: 'update-reply'; readonly id: number; readonly reply: Uint8Array }
  | { readonly type: 'metrics'; readonly id: number };

/** Worker → primary. */
type ToPrimary =
  | { readonly type: 'hello' }
  | { readonly type: 'ready' }
  | {
      readonly type: 'update';
      readonly id: number;
      readonly message: Uint8Array;
      readonly from: string;
    }
  | { readonly type: 'metrics-reply'; readonly id: number; readonly metrics: MetricsData };

const METRICS_TIMEOUT_MS = 2_000;
const RESTART_DELAY_MS = 500;

export function isWorker(): boolean {
  return cluster.isWorker;
}

/** The primary: the whole app without DNS listeners, and `workers` processes that have them. */
export async function startCluster(options: AppOptions, workers: number): Promise<RunningApp> {
  const { log } = options;
  // Structured clone over IPC: live state holds Maps and byte arrays.
  cluster.setupPrimary({ serialization: 'advanced' });
  const running = new Set<Worker>();
  let stopping = false;
  let requests = 0;
  const waiting = new Map<
    number,
    { worker: Worker; resolve: (m: MetricsData | undefined) => void }
  >();

  const send = (worker: Worker, message: ToWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };
  const otherMetrics = async (): Promise<MetricsData[]> => {
    const replies = await Promise.all(
      [...running].map(
        (worker) =>
          new Promise<MetricsData | undefined>((resolve) => {
            const id = ++requests;
            const timer = setTimeout(
              () => (waiting.delete(id), resolve(undefined)),
              METRICS_TIMEOUT_MS,
            );
            waiting.set(id, {
              worker,
              resolve: (m) => (clearTimeout(timer), waiting.delete(id), resolve(m)),
            });
            send(worker, { type: 'metrics', id });
          }),
      ),
    );
    return replies.filter((m): m is MetricsData => m !== undefined);
  };

  // One cookie secret for every process, so a cookie one worker made is good at the others.
  const cookies = {
    require: options.cookies?.require ?? false,
    secret: options.cookies?.secret ?? randomBytes(16).toString('hex'),
  };
  const app = await startApp({
    ...options,
    cookies,
    dnsListen: [],
    otherMetrics,
    onChange: (change) => {
      for (const worker of running) send(worker, { type: 'live', change });
    },
  });

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      running.add(worker);
      let ready = false;
      worker.on('message', (m: ToPrimary) => {
        switch (m.type) {
          case 'hello':
            send(worker, {
              type: 'live',
              change: {
                kind: 'initial',
                live: plainLive(app.live()),
                cookieSecret: cookies.secret,
              },
            });
            break;
          case 'ready':
            ready = true;
            resolve();
            break;
          case 'update': {
            // app.update commits and tells every worker (onChange) before this reply goes back.
            const { reply } = app.update(Buffer.from(m.message), m.from);
            send(worker, { type: 'update-reply', id: m.id, reply });
            break;
          }
          case 'metrics-reply':
            waiting.get(m.id)?.resolve(m.metrics);
            break;
        }
      });
      worker.on('exit', (code, signal) => {
        running.delete(worker);
        for (const w of waiting.values()) if (w.worker === worker) w.resolve(undefined);
        if (!ready)
          return reject(
            new Error(`DNS worker ${worker.id} exited before it was ready (${signal ?? code})`),
          );
        if (stopping) return;
        log.error(`DNS worker ${worker.id} exited (${signal ?? code}); starting another`);
        setTimeout(
          () => stopping || void fork().catch((e: unknown) => log.error(errorMessage(e))),
          RESTART_DELAY_MS,
        );
      });
    });

  try {
    await Promise.all(Array.from({ length: workers }, fork));
  } catch (e) {
    stopping = true;
    await stopWorkers(running);
    await app.close();
    throw e;
  }
  log.info(
    `${workers} DNS worker process(es) serving ${options.dnsListen.map(formatAddress).join(', ')}`,
  );
  return {
    ...app,
    close: async () => {
      stopping = true;
      await stopWorkers(running);
      await app.close();
    },
  };
}

function stopWorkers(workers: Set<Worker>): Promise<void> {
  return Promise.all(
    [...workers].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

/** A worker: loads the files, waits for the primary's live state, then serves DNS until told to stop. */
export async function runWorker(options: AppOptions): Promise<{ close(): Promise<void> }> {
  const log = prefixed(options.log, `worker ${cluster.worker?.id ?? '?'}: `);
  const limits =
    options.maxZoneFileBytes === undefined ? {} : { maxZoneFileBytes: options.maxZoneFileBytes };
  const first = await loadData(options.zonesDir, options.geoipDir, limits);
  if (!first.data) {
    first.diagnostics.forEach((d) => log.error(formatDiagnostic(d)));
    throw new Error(`zones in ${options.zonesDir} have errors; this worker serves nothing`);
  }
  let files: LoadedData = first.data;
  let current: Snapshot | undefined;
  const metrics = serverMetrics(() => current!);
  let updates = 0;
  const pendingUpdates = new Map<number, (reply: Buffer) => void>();
  const toPrimary = (m: ToPrimary): void => void process.send?.(m);

  // A worker that cannot follow the primary's state must not answer from a stale one: it exits, and the primary
  // starts another, which loads everything afresh.
  const unfollowable = (e: unknown): void => {
    log.error(`cannot follow the primary's state, exiting: ${errorStack(e)}`);
    process.exit(1);
  };
  let reloads = Promise.resolve();
  let live: LiveState = EMPTY_LIVE;
  const apply = (change: ToWorker & { type: 'live' }): void => {
    const c = change.change;
    if (c.kind === 'reload' || c.kind === 'initial') {
      // Files are read again in order with other changes, so a commit never lands on an older zone set.
      reloads = reloads
        .then(async () => {
          if (c.kind === 'reload') {
            const loaded = await loadData(options.zonesDir, options.geoipDir, {
              ...limits,
              previous: files,
            });
            if (loaded.data) files = loaded.data;
            else log.error('reload: the files no longer load here; serving the previous ones');
          }
          live = liveFromPlain(c.live);
          current = snapshotOf(files, live);
          collectGarbage();
        })
        .catch(unfollowable);
      return;
    }
    reloads
      .then(() => {
        // The primary's own delta, applied the way it applied it: only what the change touched is built again.
        live = applyDelta(live, c.delta);
        current = withDelta(current!, live, c.delta);
      })
      .catch(unfollowable);
  };
  let cookieSecret: string | undefined;
  const firstState = new Promise<void>((resolve) => {
    process.on('message', (m: ToWorker) => {
      switch (m.type) {
        case 'live':
          apply(m);
          if (m.change.kind === 'initial') {
            cookieSecret = m.change.cookieSecret;
            void reloads.then(resolve);
          }
          break;
        case 'update-reply':
          pendingUpdates.get(m.id)?.(Buffer.from(m.reply));
          pendingUpdates.delete(m.id);
          break;
        case 'metrics':
          void metrics
            .data()
            .then((data) => toPrimary({ type: 'metrics-reply', id: m.id, metrics: data }));
          break;
      }
    });
  });
  toPrimary({ type: 'hello' });
  await firstState;

  const forward = (message: Buffer, from: string): Promise<Buffer> =>
    new Promise((resolve) => {
      const id = ++updates;
      pendingUpdates.set(id, resolve);
      toPrimary({ type: 'update', id, message, from });
    });
  const limited = new LimitedLog(log);
  const guard = protection(
    options.rateLimit,
    { require: options.cookies?.require ?? false, secret: cookieSecret },
    options.identity,
  );
  const dns = await listenAll(
    options,
    dnsHandler({ snapshot: () => current!, update: forward, metrics, limited, ...guard }),
    log,
  );
  toPrimary({ type: 'ready' });
  return {
    close: async () => {
      await Promise.all(dns.map((l) => l.close()));
      guard.stop();
      limited.close();
      process.disconnect?.(); // the IPC channel would keep this process alive
    },
  };
}

function prefixed(log: Logger, prefix: string): Logger {
  return {
    info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m),
    error: (m) => log.error(prefix + m),
  };
}
