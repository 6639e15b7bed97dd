// Through a real resolver: unbound with its subnet cache (module subnetcache, ECS sent to gslb) in front of gslb,
// 2,000 clients (ECS /24s from the sample data's places) asking for one geo record. The wider the scopes gslb
// returns, the more clients one cached answer serves: with the rules compiled (the widest block with the same
// answer) fewer queries reach gslb than with the rules decided per client, and every client gets its pool either way.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRData } from '../../src/core/index.ts';
import {
  decodeMessage,
  EDNS_UDP_SIZE,
  encodeClientSubnet,
  OPTION_CLIENT_SUBNET,
} from '../../src/dns/index.ts';
import { mulberry32 } from '../helpers/random.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { requireTool } from '../helpers/tools.ts';
import { buildQuery, udpExchange } from '../helpers/wire.ts';

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

/** A recursive query for app.example.com A carrying `subnet` (a.b.c.0/24) as EDNS Client Subnet. */
function clientQuery(subnet: string, id: number): Buffer {
  const address = Uint8Array.from(subnet.split('/')[0]!.split('.').slice(0, 3).map(Number));
  const ecs = encodeClientSubnet({ family: 1, sourcePrefix: 24, scopePrefix: 0, address }, 0);
  return buildQuery('app.example.com.', 'A', {
    id,
    rd: true,
    edns: {
      udpSize: EDNS_UDP_SIZE,
      extendedRcode: 0,
      version: 0,
      dnssecOk: false,
      options: [{ code: OPTION_CLIENT_SUBNET, data: ecs }],
    },
  });
}

/** Asks unbound for app.example.com as `subnet`; the answer's address, or what went wrong. */
async function askAs(port: number, subnet: string, id: number): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const reply = await udpExchange(port, clientQuery(subnet, id), 2000);
    if (!reply) continue;
    const message = decodeMessage(reply);
    const a = message.answer.find((rr) => rr.type === 1);
    return a ? formatRData(a.data) : `rcode ${message.rcode}, no A`;
  }
  return 'no reply';
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
    let ready = false;
    for (let i = 0; i < 40 && !ready; i++) {
      ready = (await askAs(port, '127.200.0.0/24', 0)) !== 'no reply';
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (!ready) {
      const log = await readFile(join(dir, 'unbound.log'), 'utf8').catch(() => '(no log)');
      t.fail(`unbound on port ${port} never answered:\n${log}`);
      return 0;
    }
    const before = await queriesAnswered(server);
    // A few at a time (a busy machine makes each exchange slow), each stream its own slice of the clients: a
    // query is answered from unbound's cache or sent on, rarely twice.
    const streams = 4;
    await Promise.all(
      Array.from({ length: streams }, async (_, k) => {
        for (let i = k; i < clients.length; i += streams) {
          const [subnet, want] = clients[i]!;
          const address = await askAs(port, subnet, i);
          if (!address.startsWith(want)) t.fail(`${subnet}: ${address}, want ${want}*`);
        }
      }),
    );
    t.pass();
    return (await queriesAnswered(server)) - before;
  } finally {
    unbound.kill('SIGTERM');
    await new Promise((resolve) => unbound.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

test('through unbound subnetcache: compiled rules send fewer queries to gslb; each client its pool', async (t) => {
  requireTool('unbound');
  t.timeout(240_000);
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
