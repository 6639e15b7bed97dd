// Through a real resolver: unbound with its subnet cache (module subnetcache, ECS sent to gslb) in front of gslb,
// 2,000 clients (ECS /24s from the sample data's places) asking for one geo record. The wider the scopes gslb
// returns, the more clients one cached answer serves: with the rules compiled (the widest block with the same
// answer) fewer queries reach gslb than with the rules decided per client, and every client gets its pool either way.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig } from '../helpers/dig.ts';
import { mulberry32 } from '../helpers/random.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { requireTool, run } from '../helpers/tools.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const SAMPLE = readFileSync(new URL('../../zones/example.com.yaml', import.meta.url), 'utf8');
const PLACES: [number, string][] = [
  [1, '198.51.100.'], // Beijing, AS4134: cn-telecom
  [2, '203.0.113.'], // China Unicom: apac
  [3, '203.0.113.'], // China Mobile: apac
  [4, '203.0.113.'], // Japan: apac
  [5, '203.0.113.'], // Singapore: apac
  [10, '192.0.2.100'], // Germany: eu
  [11, '192.0.2.100'], // Great Britain: eu
  [12, '192.0.2.100'], // France: eu
  [20, '192.0.2.100'], // California: eu
  [21, '192.0.2.200'], // New York: na
  [22, '192.0.2.200'], // Ontario: na
  [30, '192.0.2.200'], // Brazil: na
];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Queries gslb has answered, from its /metrics. */
async function queriesAnswered(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.api}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('gslb_queries_total{'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/** Runs unbound in front of `server`, sends every client's query through it, returns the queries gslb saw. */
async function throughUnbound(
  t: import('ava').ExecutionContext,
  server: TestServer,
  clients: readonly [string, string][],
): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-unbound-'));
  const port = await freePort();
  const conf = join(dir, 'unbound.conf');
  await writeFile(
    conf,
    `server:
  interface: 127.0.0.1
  port: ${port}
  do-ip6: no
  chroot: ""
  username: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  num-threads: 1
  so-reuseport: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "subnetcache iterator"
  send-client-subnet: 127.0.0.1
  max-client-subnet-ipv4: 24
  qname-minimisation: no
  prefetch: no
  target-fetch-policy: "0 0 0 0 0"
remote-control:
  control-enable: no
stub-zone:
  name: "example.com"
  stub-addr: 127.0.0.1@${server.port}
`,
  );
  const unbound = spawn(requireTool('unbound'), ['-d', '-c', conf], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 40; i++) {
      const r = await run('dig', [
        '+short',
        '+tries=1',
        '+time=1',
        '-p',
        String(port),
        '@127.0.0.1',
        'www.example.com',
        'A',
      ]);
      if (r.code === 0 && r.stdout.trim() !== '') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const before = await queriesAnswered(server);
    for (let i = 0; i < clients.length; i += 20) {
      await Promise.all(
        clients.slice(i, i + 20).map(async ([subnet, want]) => {
          const reply = await dig(port, ['+rec', 'app.example.com.', 'A', `+subnet=${subnet}`]);
          const address = reply.answer[0]?.split(' ').pop() ?? '';
          t.true(address.startsWith(want), `${subnet}: ${reply.status} ${address}, want ${want}*`);
        }),
      );
    }
    return (await queriesAnswered(server)) - before;
  } finally {
    unbound.kill('SIGTERM');
    await new Promise((resolve) => unbound.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

test('through unbound subnetcache: compiled rules send fewer queries to gslb; each client its pool', async (t) => {
  requireTool('unbound');
  t.timeout(180_000);
  const rand = mulberry32(7);
  const clients: [string, string][] = [];
  const seen = new Set<string>();
  while (clients.length < 2_000) {
    const [b, want] = PLACES[Math.floor(rand() * PLACES.length)]!;
    const subnet = `127.${b}.${Math.floor(rand() * 256)}.0/24`;
    if (b === 1 && subnet.startsWith('127.1.200.')) continue; // Tianjin, a nested /24: cn-telecom too, but skip
    if (seen.has(subnet)) continue;
    seen.add(subnet);
    clients.push([subnet, want]);
  }
  const counts: Record<string, number> = {};
  for (const compileRules of [false, true]) {
    const server = await startTestServer(
      { 'example.com.yaml': SAMPLE },
      { geoipDir: GEOIP, http: true, compileRules },
    );
    try {
      counts[compileRules ? 'compiled' : 'per client'] = await throughUnbound(t, server, clients);
    } finally {
      await server.close();
    }
  }
  t.log(`queries reaching gslb for ${clients.length} clients: ${JSON.stringify(counts)}`);
  t.true(counts['compiled']! < counts['per client']!, JSON.stringify(counts));
});
