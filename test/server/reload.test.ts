// Reload: SIGHUP and changes in the zones directory swap in new zones; a bad file keeps the old ones serving.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig } from '../helpers/dig.ts';
import { spawnServer } from '../helpers/process.ts';
import { startTestServer } from '../helpers/server.ts';
import { buildQuery, udpExchange, waitFor } from '../helpers/wire.ts';

const zone = (address: string): string => `'':
  - type: SOA
    value: {mname: ns1.reload.test., rname: h.reload.test., refresh: 1, retry: 1, expire: 1, minimum: 1}
  - {type: NS, values: [ns1.reload.test.]}
ns1: {type: A, value: 192.0.2.53}
www: {type: A, ttl: 5, value: ${address}}
`;

async function www(port: number): Promise<string[]> {
  return (await dig(port, ['www.reload.test.', 'A'])).answer;
}

test(
  'SIGHUP reloads a server process; a broken file is rejected with file:line:col and the old zones ' +
    'keep serving',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gslb-reload-'));
    const file = join(dir, 'reload.test.yaml');
    await writeFile(file, zone('192.0.2.1'));
    const proc = await spawnServer(['--zones', dir]);
    try {
      t.deepEqual(await www(proc.port), ['www.reload.test. 5 IN A 192.0.2.1']);

      await writeFile(file, zone('192.0.2.2'));
      process.kill(proc.child.pid!, 'SIGHUP');
      await proc.waitForLog(/reloaded 1 zone/);
      t.deepEqual(await www(proc.port), ['www.reload.test. 5 IN A 192.0.2.2']);

      await writeFile(file, zone('192.0.2.999'));
      process.kill(proc.child.pid!, 'SIGHUP');
      await proc.waitForLog(/reload rejected/);
      t.truthy(
        proc.stderr.find((l) => l.includes(`${file}:6:31: BAD_ADDRESS`)),
        proc.stderr.join('\n'),
      );
      t.deepEqual(
        await www(proc.port),
        ['www.reload.test. 5 IN A 192.0.2.2'],
        'the zones in service are untouched',
      );
      t.is(proc.child.exitCode, null);
    } finally {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('a change in the zones directory is picked up without a signal (debounced)', async (t) => {
  const server = await startTestServer(
    { 'reload.test.yaml': zone('192.0.2.1') },
    { watchZones: true },
  );
  try {
    t.deepEqual(await www(server.port), ['www.reload.test. 5 IN A 192.0.2.1']);
    await writeFile(join(server.dir, 'reload.test.yaml'), zone('192.0.2.3'));
    t.true(
      await waitFor(() => server.logs.some((l) => l.includes('reloaded')), 5000),
      server.logs.join('\n'),
    );
    t.deepEqual(await www(server.port), ['www.reload.test. 5 IN A 192.0.2.3']);
    // A new zone file appears: served after the next reload.
    await writeFile(
      join(server.dir, 'other.test.yaml'),
      zone('192.0.2.4').replaceAll('reload.test.', 'other.test.'),
    );
    t.true(
      await waitFor(() => server.logs.some((l) => l.includes('reloaded 2 zone')), 5000),
      server.logs.join('\n'),
    );
    t.deepEqual((await dig(server.port, ['www.other.test.', 'A'])).answer, [
      'www.other.test. 5 IN A 192.0.2.4',
    ]);
  } finally {
    await server.close();
  }
});

test('queries keep being answered while reloads happen', async (t) => {
  const server = await startTestServer({ 'reload.test.yaml': zone('192.0.2.1') });
  try {
    const reloads = Promise.all(Array.from({ length: 20 }, () => server.app.reload()));
    const answers = await Promise.all(Array.from({ length: 20 }, () => www(server.port)));
    t.true((await reloads).every((r) => r.ok));
    t.true(answers.every((a) => a.length === 1));
  } finally {
    await server.close();
  }
});

test('a large zone reloads in steps: queries are answered while it loads, not after', async (t) => {
  const records = Array.from(
    { length: 40_000 },
    (_, i) => `h${i}: {type: A, value: 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}}`,
  );
  const server = await startTestServer({
    'reload.test.yaml': `${zone('192.0.2.1')}${records.join('\n')}\n`,
  });
  try {
    const started = performance.now();
    let done = 0;
    const reload = server.app.reload().then((r) => ((done = performance.now()), r));
    // A query every few milliseconds over UDP until the reload is over: the ones answered before it ended.
    let during = 0;
    let longest = 0;
    while (!done) {
      const sent = performance.now();
      const reply = await udpExchange(server.port, buildQuery('h39999.reload.test.', 'A'), 2000);
      const now = performance.now();
      if (reply && !done) during++;
      longest = Math.max(longest, now - sent);
    }
    t.true((await reload).ok);
    const took = done - started;
    t.true(took > 100, `the reload took ${took.toFixed(0)} ms: too quick to show anything`);
    t.true(during >= 5, `${during} queries answered during a ${took.toFixed(0)} ms reload`);
    // Loading in one go would hold a query for about the whole parse.
    t.true(
      longest < took / 2,
      `a query waited ${longest.toFixed(0)} ms during a ${took.toFixed(0)} ms reload`,
    );
    t.log(
      `reload ${took.toFixed(0)} ms, ${during} queries answered meanwhile, slowest ${longest.toFixed(0)} ms`,
    );
  } finally {
    await server.close();
  }
});
