// Health checks against real local HTTP backends: members leave and rejoin the answers through dynamic updates.
import test, { type ExecutionContext } from 'ava';
import { dig } from '../helpers/dig.ts';
import { type Backend, startBackends } from '../helpers/backend.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { checkedZone } from '../helpers/zones.ts';
import { waitFor } from '../helpers/wire.ts';

const INTERVAL_S = 1;
const TIMEOUT_MS = 500;

function zone(port: number, rise: number, fall: number): string {
  return checkedZone(
    'hc.test',
    port,
    3,
    `host: svc.hc.test, interval: ${INTERVAL_S}s, timeout: ${TIMEOUT_MS}ms, rise: ${rise}, fall: ${fall}`,
  );
}

async function answers(server: TestServer): Promise<string[]> {
  return (await dig(server.port, ['svc.hc.test.', 'A'])).answer
    .map((rr) => rr.split(' ').pop()!)
    .sort();
}

async function until(
  server: TestServer,
  expected: string[],
  withinMs: number,
): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < withinMs) {
    if (JSON.stringify(await answers(server)) === JSON.stringify(expected))
      return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

// Scheduling slack on top of fall × interval + timeout: cron fires on whole seconds and probes are jittered.
const SLACK_MS = 1500;
const ALL = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** Three backends and a server checking them with rise/fall; the test starts once all three are answered. */
async function withBackends(
  t: ExecutionContext,
  rise: number,
  fall: number,
  run: (server: TestServer, backends: Backend[]) => Promise<void>,
): Promise<void> {
  const backends = await startBackends(3);
  const server = await startTestServer({ 'hc.test.yaml': zone(backends[0]!.port, rise, fall) });
  try {
    t.truthy(await until(server, ALL, 5000), 'all three answered');
    await run(server, backends);
  } finally {
    await server.close();
    await Promise.all(backends.map((b) => b.stop()));
  }
}

test.serial(
  'a stopped backend leaves within fall × interval + timeout and returns after rise × interval; the ' +
    'journal shows both',
  (t) =>
    withBackends(t, 2, 2, async (server, backends) => {
      await waitFor(() => backends.every((b) => b.requests >= 1), 5000);
      await backends[1]!.stop();
      const downMs = await until(
        server,
        ['127.0.0.2', '127.0.0.4'],
        2 * INTERVAL_S * 1000 + TIMEOUT_MS + SLACK_MS,
      );
      t.truthy(downMs, 'the stopped backend left the answers in time');
      const journal = server.app.journal().filter((j) => j.source === 'health');
      t.like(journal.at(-1), {
        source: 'health',
        zone: 'hc.test.',
        name: 'svc.hc.test.',
        type: 'A',
        after: '127.0.0.3 down',
      });
      await backends[1]!.start();
      const upMs = await until(server, ALL, 2 * INTERVAL_S * 1000 + SLACK_MS);
      t.truthy(upMs, 'the restarted backend returned in time');
      t.like(
        server.app
          .journal()
          .filter((j) => j.source === 'health')
          .at(-1),
        { after: '127.0.0.3 up' },
      );
      t.log(`left after ${downMs} ms, returned after ${upMs} ms`);
    }),
);

test.serial('HTTP 500 and a backend that hangs count as down', (t) =>
  withBackends(t, 2, 2, async (server, backends) => {
    backends[1]!.mode = '500';
    backends[2]!.mode = 'hang';
    t.truthy(
      await until(server, ['127.0.0.2'], 2 * INTERVAL_S * 1000 + TIMEOUT_MS + SLACK_MS + 1000),
      'both left the answers',
    );
  }),
);

test.serial(
  'a backend flapping up/down on every probe does not flap the answers with rise/fall 2/3',
  (t) =>
    withBackends(t, 2, 3, async (server, backends) => {
      backends[1]!.mode = 'flap';
      const before = backends[1]!.requests;
      const deadline = Date.now() + 6000;
      while (Date.now() < deadline) {
        t.deepEqual(await answers(server), ALL);
        await new Promise((r) => setTimeout(r, 200));
      }
      t.true(
        backends[1]!.requests - before >= 4,
        `probed ${backends[1]!.requests - before} times while flapping`,
      );
      t.deepEqual(
        server.app.journal().filter((j) => j.source === 'health'),
        [],
        'no transition was made',
      );
    }),
);
