// Damaged or hostile GeoIP databases cannot make loading cost without bound or take a server down: a search tree whose
// nodes all point twice at the next (2^n paths) costs what its nodes cost, a database whose records lie past the end
// of the file is refused at load (a reload keeps the data in service), and rules that cannot be compiled are decided
// per client.
import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadData } from '../../src/app.ts';
import { Reader } from 'maxmind';
import { parseCidr } from '../../src/core/index.ts';
import { loadGeoDatabase, writeMmdb } from '../../src/geo/index.ts';
import { DecisionTrees, resolve } from '../../src/resolve/index.ts';
import { CompileError, compileRules } from '../../src/resolve/tree.ts';
import { value } from '../helpers/results.ts';
import { chooserOf, snapshotOf } from '../helpers/snapshot.ts';

const ZONE = `'@':
  - {type: SOA, value: {mname: ns.example.net., rname: h.t., serial: 1, refresh: 60, retry: 60, expire: 600, \
minimum: 60}}
  - {type: NS, value: ns.example.net.}
app:
  type: A
  values: [192.0.2.1]
  dynamic:
    pools:
      eu: {values: [{value: 192.0.2.10}]}
    rules:
      - {geos: [EU], pool: eu}
`;

function cityDatabase(): Buffer {
  const networks = Array.from({ length: 64 }, (_, i) => ({
    cidr: value(parseCidr(`10.${i}.0.0/16`)),
    data: { continent: { code: i % 2 ? 'EU' : 'NA' } },
  }));
  return writeMmdb(networks, {
    databaseType: 'Test-City',
    description: 't',
    buildEpochSeconds: 0,
    recordSize: 24,
  });
}

/** Every node's two records point at the next node; the last one's at the first record of the data section. */
function chained(bytes: Buffer): Buffer {
  const { nodeCount } = new Reader(bytes).metadata;
  const out = Buffer.from(bytes);
  for (let i = 0; i < nodeCount; i++) {
    const next = i + 1 < nodeCount ? i + 1 : nodeCount + 16;
    out.writeUIntBE(next, i * 6, 3);
    out.writeUIntBE(next, i * 6 + 3, 3);
  }
  return out;
}

/** Every record of the tree points past the end of the file. */
function pointingOutside(bytes: Buffer): Buffer {
  const { nodeCount } = new Reader(bytes).metadata;
  const out = Buffer.from(bytes);
  for (let i = 0; i < nodeCount; i++)
    for (const side of [0, 3])
      if (out.readUIntBE(i * 6 + side, 3) > nodeCount) out.writeUIntBE(0xfffff0, i * 6 + side, 3);
  return out;
}

const record = () =>
  snapshotOf({ 't.yaml': ZONE }).zones.zones.get('t.')!.nodes.get('app.t.')!.rrsets.get(1)!
    .dynamic!;

test('a healthy database compiles: 10.1/16 is EU', async (t) => {
  const geo = loadGeoDatabase({
    networks: undefined,
    databases: [{ path: 'c.mmdb', bytes: cityDatabase() }],
  }).geo;
  const tree = await compileRules(record().rules, geo);
  t.is(tree.outcomes[tree.find(new Uint8Array([10, 1, 2, 3])) >> 8], 'eu');
  t.is(tree.find(new Uint8Array([10, 1, 2, 3])) & 255, 16);
});

test('a tree whose nodes all point twice at the next (2^n paths) loads and compiles in linear time', async (t) => {
  const started = performance.now();
  const { geo, diagnostics } = loadGeoDatabase({
    networks: undefined,
    databases: [{ path: 'c.mmdb', bytes: chained(cityDatabase()) }],
  });
  t.deepEqual(diagnostics, []);
  const tree = await compileRules(record().rules, geo);
  t.true(performance.now() - started < 5_000, 'bounded');
  t.is(tree.find(new Uint8Array([10, 1, 2, 3])) & 255, 0); // every address reaches the one record
});

test('records past the end of the file: refused with GEOIP, and a reload keeps the data in service', async (t) => {
  const { diagnostics } = loadGeoDatabase({
    networks: undefined,
    databases: [{ path: 'c.mmdb', bytes: pointingOutside(cityDatabase()) }],
  });
  t.is(diagnostics.length, 1);
  t.is(diagnostics[0]!.code, 'GEOIP');
  t.regex(diagnostics[0]!.message, /damaged MaxMind DB/);
  const dir = await mkdtemp(join(tmpdir(), 'gslb-geo-'));
  await mkdir(join(dir, 'zones'));
  await mkdir(join(dir, 'geoip'));
  await writeFile(join(dir, 'zones', 't.yaml'), ZONE);
  await writeFile(join(dir, 'geoip', 'c.mmdb'), cityDatabase());
  const first = await loadData(join(dir, 'zones'), join(dir, 'geoip'));
  t.truthy(first.data);
  await writeFile(join(dir, 'geoip', 'c.mmdb'), pointingOutside(cityDatabase()));
  const again = await loadData(join(dir, 'zones'), join(dir, 'geoip'), { previous: first.data! });
  t.is(again.data, undefined);
  t.true(again.diagnostics.some((d) => d.code === 'GEOIP'));
  await rm(dir, { recursive: true, force: true });
});

test('a record that cannot be compiled (more than 30 rules) is decided per client and answers', async (t) => {
  const geo = loadGeoDatabase({
    networks: undefined,
    databases: [{ path: 'c.mmdb', bytes: cityDatabase() }],
  }).geo;
  const many = ZONE.replace(
    '      - {geos: [EU], pool: eu}\n',
    Array.from(
      { length: 31 },
      (_, i) => `      - {geos: [EU], subnets: [10.${i}.0.0/16], pool: eu}\n`,
    ).join(''),
  );
  const plain = snapshotOf({ 't.yaml': many }, { geo });
  const trees = new DecisionTrees(geo);
  const report = await trees.prepare(plain.zones, () => Promise.resolve());
  t.is(report?.failed.length, 1);
  const dynamic = plain.zones.zones.get('t.')!.nodes.get('app.t.')!.rrsets.get(1)!.dynamic!;
  t.is(trees.treeFor(dynamic), undefined);
  await t.throwsAsync(compileRules(dynamic.rules, geo), { instanceOf: CompileError });
  const answer = resolve(
    { name: 'app.t.', type: 1 },
    { address: new Uint8Array([10, 1, 2, 3]), prefix: 32 },
    { ...plain, trees },
    chooserOf(),
  );
  t.is(
    answer.kind === 'answer' &&
      answer.answer[0]?.data.type === 'A' &&
      answer.answer[0].data.address,
    '192.0.2.10',
  );
});
