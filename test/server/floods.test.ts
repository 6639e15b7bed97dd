// Floods that used to grow memory or metrics without end, against a real server process: random query types and
// zones (metric series), random names (the reply cache), a zone file larger than max_zone_file_bytes, a flood of
// junk YAML just under it. Series stay a closed set, scrapes stay short, and RSS comes back.
import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parse from 'parse-prometheus-text-format';
import { dig } from '../helpers/dig.ts';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { mulberry32 } from '../helpers/random.ts';
import { blast, buildQuery } from '../helpers/wire.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

async function start(config = ''): Promise<{ server: ServerProcess; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-floods-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', 'example.test.yaml'), STATIC_ZONE);
  await writeFile(join(dir, 'gslb.yaml'), config || 'workers: 1\n');
  const server = await spawnServer([
    '--config',
    join(dir, 'gslb.yaml'),
    '--zones',
    join(dir, 'zones'),
    '--geoip',
    join(dir, 'none'),
    '--db',
    join(dir, 'gslb.sqlite'),
  ]);
  return { server, dir };
}

async function rssMb(pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

test(
  'random query types and random zones keep the query counter to a closed set of series; a scrape ' +
    'stays short',
  async (t) => {
    const { server, dir } = await start();
    try {
      const rand = mulberry32(9);
      const label = (): string => Math.floor(rand() * 1e9).toString(36);
      const { answered } = await blast(server.port, 30_000, (i) => {
        const name = i % 3 === 0 ? `${label()}.example.test.` : `${label()}.${label()}.`;
        const q = buildQuery(name, 'A', { id: i & 0xffff });
        q.writeUInt16BE(Math.floor(rand() * 65536), q.length - 4); // a random query type
        return q;
      });
      t.true(answered > 25_000, `${answered} answered`);
      const started = performance.now();
      const text = await (await fetch(`http://127.0.0.1:${server.apiPort}/metrics`)).text();
      const ms = performance.now() - started;
      const series = parse(text).find((f) => f.name === 'gslb_queries_total')!.metrics.length;
      t.true(series <= 300, `${series} query-counter series`);
      t.true(ms < 300, `scrape took ${ms.toFixed(0)} ms`);
      const zones = new Set(
        parse(text)
          .find((f) => f.name === 'gslb_queries_total')!
          .metrics.map((m) => m.labels?.['zone']),
      );
      t.deepEqual([...zones].sort(), ['example.test.', 'other']);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('300,000 random names: RSS comes back within 40 MB of its start', async (t) => {
  const { server, dir } = await start();
  try {
    const pid = server.child.pid!;
    // code paths run once
    await blast(server.port, 5_000, (i) => buildQuery(`warm${i}.example.test.`, 'A', { id: i }));
    const before = await rssMb(pid);
    const rand = mulberry32(10);
    const { answered } = await blast(
      server.port,
      300_000,
      (i) =>
        buildQuery(`${Math.floor(rand() * 2 ** 48).toString(36)}.example.test.`, 'A', {
          id: i & 0xffff,
        }),
      { timeoutMs: 90_000 },
    );
    const peak = await rssMb(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const after = await rssMb(pid);
    t.log(
      `RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB after ${answered} random names, ` +
        `${after.toFixed(0)} MB 10 s later`,
    );
    t.true(answered > 250_000);
    t.true(after - before < 40, `RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`);
    t.is((await dig(server.port, ['www.example.test.', 'A'])).answer.length, 2);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test(
  'a zone file over max_zone_file_bytes is rejected before it is read; junk just under it is rejected ' +
    'and its memory given back',
  async (t) => {
    const { server, dir } = await start('max_zone_file_bytes: 8388608\n');
    try {
      const pid = server.child.pid!;
      const before = await rssMb(pid);
      await writeFile(
        join(dir, 'zones', 'huge.test.yaml'),
        Buffer.alloc(9 * 1024 * 1024, 'a: b\n'),
      );
      process.kill(pid, 'SIGHUP');
      await server.waitForLog(/reload rejected/);
      t.truthy(
        server.stderr.find((l) =>
          /huge\.test\.yaml:1:1: FILE_TOO_LARGE: the file is 9437184 bytes/.test(l),
        ),
        server.stderr.join('\n'),
      );
      // Junk of 8 MB that is YAML of the wrong shape: read, rejected, and the memory it took comes back.
      const junk = Array.from({ length: 180_000 }, (_, i) => `k${i}: [${i}, {x: y}]`).join('\n');
      await writeFile(join(dir, 'zones', 'huge.test.yaml'), junk.slice(0, 8 * 1024 * 1024 - 100));
      const rejected = server.stderr.filter((l) => l.includes('reload rejected')).length;
      process.kill(pid, 'SIGHUP');
      for (
        let i = 0;
        i < 200 && server.stderr.filter((l) => l.includes('reload rejected')).length === rejected;
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
      const peak = await rssMb(pid);
      await new Promise((r) => setTimeout(r, 10_000));
      const after = await rssMb(pid);
      t.log(
        `RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB after the junk was rejected, ` +
          `${after.toFixed(0)} MB 10 s later`,
      );
      t.true(after - before < 40, `RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`);
      t.is(
        (await dig(server.port, ['www.example.test.', 'A'])).answer.length,
        2,
        'the zones in service serve on',
      );
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
