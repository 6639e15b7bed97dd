// Geo and ISP pools end to end with the sample zones and GeoIP data: one table of clients, run in-process through
// resolve() and over UDP with real dig (posing as clients with -b 127.x.y.z and +subnet=), which must agree.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addressBytes, parseCidr } from '../../src/core/index.ts';
import { type Answer, resolve } from '../../src/resolve/index.ts';
import { loadGeoDir } from '../../src/app.ts';
import { dig } from '../helpers/dig.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { chooserOf, compiledSnapshotOf, snapshotOf } from '../helpers/snapshot.ts';
import { requireTool, run } from '../helpers/tools.ts';
import { value } from '../helpers/results.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const SAMPLE = readFileSync(new URL('../../zones/example.com.yaml', import.meta.url), 'utf8');
const WEIGHTS = `w:
  type: A
  ttl: 30
  values: [192.0.2.1]
  dynamic:
    pools:
      all: {values: [{value: 192.0.2.1, weight: 1}, {value: 192.0.2.2, weight: 2}, \
{value: 192.0.2.3, weight: 3}, {value: 192.0.2.4, weight: 4}]}
    rules: [{pool: all}]
`;

const POOL = {
  cn: ['198.51.100.1', '198.51.100.2'],
  apac: ['203.0.113.1', '203.0.113.2'],
  eu: ['192.0.2.100'],
  na: ['192.0.2.200'],
} as const;

interface Row {
  readonly source?: string; // dig -b
  readonly ecs?: string; // dig +subnet=
  readonly pool: keyof typeof POOL;
  readonly scope?: number; // expected ECS scope (worked out by hand from geoip/sample.yaml and networks.yaml)
}

const ROWS: Row[] = [
  { source: '127.1.0.1', pool: 'cn' }, // Beijing, AS4134
  { source: '127.1.200.1', pool: 'cn' }, // Tianjin, AS4134 (a nested /24)
  { source: '127.2.0.1', pool: 'apac' }, // China Unicom: AS-CN but not AS4134/4812
  { source: '127.3.0.1', pool: 'apac' }, // China Mobile
  { source: '127.4.0.1', pool: 'apac' }, // Japan
  { source: '127.10.0.1', pool: 'eu' }, // Germany
  { source: '127.11.0.1', pool: 'eu' }, // Great Britain
  { source: '127.20.0.1', pool: 'eu' }, // California
  { source: '127.21.0.1', pool: 'na' }, // New York
  { source: '127.30.0.1', pool: 'na' }, // Brazil
  { source: '127.60.0.1', pool: 'cn' }, // networks.yaml: China Telecom line, AS4812
  { source: '127.61.0.1', pool: 'apac' }, // networks.yaml: China Unicom line
  { source: '127.0.0.7', pool: 'na' }, // unknown
  { ecs: '198.51.100.0/24', pool: 'cn', scope: 24 },
  { ecs: '203.0.113.0/25', pool: 'eu', scope: 25 },
  { ecs: '203.0.113.128/25', pool: 'apac', scope: 25 },
  { ecs: '2001:db8:1234:5600::/56', pool: 'apac', scope: 48 },
  { ecs: '2001:db8:100:ab00::/56', pool: 'eu', scope: 48 },
  { ecs: '10.1.2.0/24', pool: 'eu', scope: 8 }, // rule subnet 10/8; in it only 10.20/16 (EU-DE) has a geo, also eu
  { ecs: '0.0.0.0/0', source: '127.10.0.1', pool: 'eu', scope: 0 }, // ECS /0 opts out: the source address decides
];

let server: TestServer;
test.before(async () => {
  server = await startTestServer({ 'example.com.yaml': SAMPLE + WEIGHTS }, { geoipDir: GEOIP });
});
test.after.always(() => server?.close());

const label = (r: Row): string =>
  [r.source && `-b ${r.source}`, r.ecs && `+subnet=${r.ecs}`].filter(Boolean).join(' ');

test('in-process: every client gets its pool and scope', async (t) => {
  const { geo } = await loadGeoDir(GEOIP);
  const zones = { 'example.com.yaml': SAMPLE + WEIGHTS };
  const snapshot = await compiledSnapshotOf(zones, { geo: geo! });
  const perClient = snapshotOf(zones, { geo: geo! }); // rules that cannot be compiled: the same pools
  for (const r of ROWS) {
    const ecs = r.ecs ? value(parseCidr(r.ecs)) : undefined;
    const address = ecs && ecs.prefix > 0 ? ecs.bytes : addressBytes(r.source ?? '127.0.0.1')!;
    const a: Answer = resolve(
      { name: 'app.example.com.', type: 1 },
      { address, prefix: ecs && ecs.prefix > 0 ? ecs.prefix : address.length * 8 },
      snapshot,
      chooserOf([0.5]),
    );
    if (a.kind !== 'answer') return t.fail(`${label(r)}: ${a.kind}`);
    const b = resolve(
      { name: 'app.example.com.', type: 1 },
      { address, prefix: ecs && ecs.prefix > 0 ? ecs.prefix : address.length * 8 },
      perClient,
      chooserOf([0.5]),
    );
    t.deepEqual(b.kind === 'answer' && b.answer, a.answer, `${label(r)}: per client`);
    if (b.kind === 'answer')
      t.true(a.scopePrefix <= b.scopePrefix, `${label(r)}: the tree's block is the wider`);
    const answered = a.answer.map((rr) => (rr.data.type === 'A' ? rr.data.address : ''));
    t.true(
      answered.length === 1 && (POOL[r.pool] as readonly string[]).includes(answered[0]!),
      `${label(r)}: ${answered.join()} not in ${r.pool}`,
    );
    // With ECS /0 the wire layer echoes scope 0 whatever the decision used (checked over UDP below).
    if (r.scope !== undefined && !(ecs && ecs.prefix === 0))
      t.is(a.scopePrefix, r.scope, `${label(r)} scope`);
  }
});

test('over UDP with dig: every client gets its pool, and ECS is echoed with the same scope', async (t) => {
  for (const r of ROWS) {
    const args = [
      'app.example.com.',
      'A',
      ...(r.source ? ['-b', r.source] : []),
      ...(r.ecs ? [`+subnet=${r.ecs}`] : []),
    ];
    const reply = await dig(server.port, args);
    t.is(reply.answer.length, 1, label(r));
    const address = reply.answer[0]!.split(' ').pop()!;
    t.true(
      (POOL[r.pool] as readonly string[]).includes(address),
      `${label(r)}: ${address} not in ${r.pool}`,
    );
    t.is(reply.answer[0]!.split(' ')[1], '60', 'normal TTL');
    if (r.ecs)
      t.is(
        reply.ecs,
        `${r.ecs.replace(/\/\d+$/, '')}/${r.ecs.split('/')[1]}/${r.scope}`,
        `${label(r)} ECS echo`,
      );
    else t.is(reply.ecs, undefined);
  }
});

test('weights 1:2:3:4 over 10,000 queries through real UDP (dig -f): each share within ±2 points', async (t) => {
  requireTool('dig');
  const file = `${server.dir}/queries.txt`;
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, 'w.example.com. A\n'.repeat(10_000));
  const r = await run(
    'dig',
    [
      '@127.0.0.1',
      '-p',
      String(server.port),
      '+norec',
      '+short',
      '+tries=3',
      '+time=2',
      '-f',
      file,
    ],
    120_000,
  );
  const answers = r.stdout.trim().split('\n');
  t.is(answers.length, 10_000, r.stderr);
  for (const [i, weight] of [1, 2, 3, 4].entries()) {
    const share = (100 * answers.filter((a) => a === `192.0.2.${i + 1}`).length) / answers.length;
    t.true(
      Math.abs(share - weight * 10) <= 2,
      `192.0.2.${i + 1}: ${share.toFixed(2)}% for weight ${weight}`,
    );
  }
});
