// npm run bench:cluster: cluster mode measured with real parts on 127.0.0.1 (a 3-member etcd, 3 gslb nodes):
//  - propagation: an API override sent to node 1, until node 2 and node 3 answer with it (p50/p99 over CHANGES);
//  - commit: how long the API took to answer (etcd committed, node 1 applied), from the same changes;
//  - queries: dnsperf on a cluster node and on a single node (same zone, GeoLite2-City, ECS from 20,000 /24s),
//    interleaved rounds, medians: etcd must not be on the query path.
// Env: CHANGES (200), SECS (5), ROUNDS (3). Needs etcd, etcdctl, dnsperf. Every process it starts is stopped by PID.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from 'geolite2';
import { startEtcd } from '../test/helpers/etcd.ts';
import { type ServerProcess, spawnServer } from '../test/helpers/process.ts';
import { udpExchange } from '../test/helpers/wire.ts';
import { aQuery, ecsOption } from './query.ts';
import { decodeMessage } from '../src/dns/index.ts';
import { formatRData } from '../src/core/index.ts';

const CHANGES = Number(process.env['CHANGES'] ?? 200);
const SECS = Number(process.env['SECS'] ?? 5);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const TOKEN = 'bench-cluster-token-0123';
const here = new URL('.', import.meta.url).pathname;

const work = mkdtempSync(join(tmpdir(), 'gslb-bench-cluster-'));
const started: ServerProcess[] = [];
const etcd = await startEtcd(3);
try {
  mkdirSync(join(work, 'geoip'));
  symlinkSync(paths.city!, join(work, 'geoip', 'GeoLite2-City.mmdb'));
  const node = async (name: string, clustered: boolean): Promise<ServerProcess> => {
    const home = join(work, name);
    cpSync(join(here, 'zones-real'), join(home, 'zones'), { recursive: true });
    writeFileSync(
      join(home, 'gslb.yaml'),
      clustered
        ? `cluster:\n  node: ${name}\n  etcd: {endpoints: [${etcd.endpoints.join(', ')}], prefix: bench/}\n`
        : '',
    );
    const p = await spawnServer(
      [
        '--config',
        join(home, 'gslb.yaml'),
        '--zones',
        join(home, 'zones'),
        '--geoip',
        join(work, 'geoip'),
        '--db',
        join(home, 'state.sqlite'),
      ],
      { GSLB_API_TOKEN: TOKEN },
    );
    started.push(p);
    if (clustered) await p.waitForLog(/cluster: node \S+ follows etcd/, 30_000);
    return p;
  };
  const [n1, n2, n3] = [await node('ns1', true), await node('ns2', true), await node('ns3', true)];
  const single = await node('single', false);

  // Propagation and commit latency.
  // A client in Europe (ECS 193.0.0.0/24, RIPE NCC in Amsterdam): the eu pool's member, or, with the pool
  // overridden down, what its traffic falls back to.
  const query = aQuery('geo.real.test.', [ecsOption(1, 24, Uint8Array.from([193, 0, 0]))]);
  let previous = '';
  const answers = async (p: ServerProcess): Promise<string> => {
    const reply = await udpExchange(p.port, query, 1000);
    return reply
      ? decodeMessage(reply)
          .answer.map((rr) => formatRData(rr.data))
          .sort()
          .join()
      : '';
  };
  const commit: number[] = [];
  const propagation: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const status = i % 2 === 0 ? 'down' : 'obey';
    const t0 = performance.now();
    const res = await fetch(
      `http://127.0.0.1:${n1.apiPort}/api/v1/zones/real.test./records/geo/A/pools/eu`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status, reason: 'bench' }),
      },
    );
    await res.text();
    commit.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`override: ${res.status}`);
    const want = await answers(n1);
    if (want === previous) throw new Error(`the override did not change node 1's answer (${want})`);
    previous = want;
    for (const other of [n2, n3]) {
      const deadline = t0 + 5000;
      while ((await answers(other)) !== want && performance.now() < deadline);
      propagation.push(performance.now() - t0);
    }
  }
  const pct = (xs: number[], p: number): string => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(1);
  };
  console.log(
    `override committed (API reply): p50 ${pct(commit, 50)} ms, p99 ${pct(commit, 99)} ms (${CHANGES})`,
  );
  console.log(
    `in the other nodes' answers: p50 ${pct(propagation, 50)} ms, p99 ${pct(propagation, 99)} ms`,
  );

  // Queries: the same zone and ECS on a cluster node and a single node.
  execFileSync(
    'node',
    [
      '--import=tsx',
      join(here, 'real-ecs.ts'),
      'geo.real.test',
      join(work, 'v4.bin'),
      join(work, 'v6.bin'),
      '20000',
      '10',
    ],
    { stdio: 'ignore' },
  );
  const qps = (port: number): number => {
    const out = execFileSync(
      'taskset',
      [
        '-c',
        '1',
        'dnsperf',
        '-s',
        '127.0.0.1',
        '-p',
        String(port),
        '-d',
        join(work, 'v4.bin'),
        '-B',
        '-l',
        String(SECS),
        '-c',
        '8',
        '-q',
        '200',
        '-t',
        '2',
      ],
      { encoding: 'utf8' },
    );
    return Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  };
  // The two measured servers on CPU 0, dnsperf on CPU 1 (the etcd members and the other nodes idle wherever).
  for (const p of [n2, single])
    execFileSync('taskset', ['-pc', '0', String(p.child.pid)], { stdio: 'ignore' });
  const runs: Record<string, number[]> = { cluster: [], single: [] };
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, p] of (r % 2
      ? [
          ['single', single],
          ['cluster', n2],
        ]
      : [
          ['cluster', n2],
          ['single', single],
        ]) as [string, ServerProcess][])
      runs[name]!.push(qps(p.port));
  const median = (xs: number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const c = median(runs['cluster']!);
  const s = median(runs['single']!);
  console.log(
    `queries/s (20,000 ECS /24s, GeoLite2-City): cluster node ${c.toFixed(0)}, single node ${s.toFixed(0)}, cluster/single ${(c / s).toFixed(2)}`,
  );
  console.log(`${new Date().toISOString()}, node ${process.version}`);
} finally {
  await Promise.all(started.map((p) => p.stop()));
  await etcd.close();
  rmSync(work, { recursive: true, force: true });
}
