// Damaged or hostile GeoIP databases cannot make compiling cost without bound or take a load down: a search tree
// whose nodes all point twice at the next (2^n paths) stops at the step budget, a record that runs past the end of the
// file is an error, and either way the record is decided per client as before.
import test from 'ava';
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

for (const [name, damage] of [
  ['a tree of 2^n paths stops at the step budget', chained],
  ['records past the end of the file are an error', pointingOutside],
] as const) {
  test(`${name}; the record is decided per client and answers`, async (t) => {
    const geo = loadGeoDatabase({
      networks: undefined,
      databases: [{ path: 'c.mmdb', bytes: damage(cityDatabase()) }],
    }).geo;
    const started = performance.now();
    const error = await t.throwsAsync(compileRules(record().rules, geo));
    t.true(error instanceof CompileError || error instanceof RangeError, String(error));
    t.true(performance.now() - started < 10_000, 'bounded');
    const trees = new DecisionTrees(geo);
    const plain = snapshotOf({ 't.yaml': ZONE }, { geo });
    const report = await trees.prepare(plain.zones, () => Promise.resolve());
    t.is(report?.failed.length, 1);
    t.is(trees.treeFor(record()), undefined);
    let answer: ReturnType<typeof resolve> | undefined;
    try {
      answer = resolve(
        { name: 'app.t.', type: 1 },
        { address: new Uint8Array([10, 1, 2, 3]), prefix: 32 },
        { ...plain, trees },
        chooserOf(),
      );
    } catch (e) {
      t.log(`the per-client lookup fails too (${String(e)}): as before trees`);
    }
    if (answer) t.is(answer.kind, 'answer');
  });
}
