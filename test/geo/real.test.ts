// The real GeoLite2 City and ASN databases (npm package geolite2): gslb's facts equal libmaxminddb's (`mmdblookup`,
// Debian mmdb-bin) for seeded random addresses, and the compiled rules give every address the pool its facts lead
// to, over a block that is correct (one pool throughout) and the widest (the sibling block reaches another pool).
import test from 'ava';
import { paths } from 'geolite2';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressText } from '../../src/core/index.ts';
import {
  type ClientFacts,
  type GeoDatabase,
  loadGeoDatabase,
  type Mmdb,
} from '../../src/geo/index.ts';
import { compileRules, type DecisionTree } from '../../src/resolve/tree.ts';
import { matchRule } from '../../src/resolve/rules.ts';
import type { DynamicRecord } from '../../src/zone/index.ts';
import { fromBig, poolsIn, toBig } from '../helpers/brute.ts';
import { mulberry32 } from '../helpers/random.ts';
import { snapshotOf } from '../helpers/snapshot.ts';
import { requireTool, run } from '../helpers/tools.ts';

const RULES = `app:
  type: A
  values: [192.0.2.1]
  dynamic:
    pools:
      telekom: {values: [{value: 192.0.2.10}]}
      de: {values: [{value: 192.0.2.11}]}
      ca: {values: [{value: 192.0.2.12}]}
      eu: {values: [{value: 192.0.2.13}]}
      na: {values: [{value: 192.0.2.14}]}
      asia: {values: [{value: 192.0.2.15}]}
    rules:
      - {geos: [EU-DE], asns: [3320], pool: telekom}
      - {geos: [EU-DE], pool: de}
      - {geos: [NA-US-CA], pool: ca}
      - {geos: [EU], pool: eu}
      - {geos: [NA], pool: na}
      - {geos: [AS, OC], pool: asia}
`;
const ZONE = `'@':\n  - {type: SOA, value: {mname: ns1.t., rname: h.t., serial: 1, refresh: 60, retry: 60, \
expire: 600, \
minimum: 60}}\n  - {type: NS, value: ns.example.net.}\n${RULES}`;

let geo: GeoDatabase;
let record: DynamicRecord;
let tree: DecisionTree;
test.before(async () => {
  geo = loadGeoDatabase({
    networks: undefined,
    databases: [paths.city!, paths.asn!].map((path) => ({ path, bytes: readFileSync(path) })),
  }).geo;
  record = snapshotOf({ 't.yaml': ZONE })
    .zones.zones.get('t.')!
    .nodes.get('app.t.')!
    .rrsets.get(1)!.dynamic!;
  tree = await compileRules(record.rules, geo);
});

/** Seeded random IPv4 addresses, and IPv6 addresses inside networks the City database has (a random walk down it). */
function addresses(): Uint8Array[] {
  const rand = mulberry32(12);
  const out: Uint8Array[] = [];
  for (let i = 0; i < 5_000; i++) out.push(fromBig(BigInt(Math.floor(rand() * 2 ** 32)), 4));
  const city = geo.databases.find((d) => d.kind === 'location')!.tree;
  for (let i = 0; i < 1_000; i++) {
    let node = city.root;
    let bits = 0n;
    for (let depth = 0; depth < 128; depth++) {
      let bit = rand() < 0.5 ? 0 : 1;
      if (node < city.nodeCount && city.child(node, bit) === city.nodeCount) bit ^= 1;
      if (node < city.nodeCount) node = city.child(node, bit);
      bits = (bits << 1n) | BigInt(node < city.nodeCount ? bit : Math.floor(rand() * 2));
    }
    out.push(fromBig(bits, 16));
  }
  return out;
}

/** mmdblookup's output as JSON: type tags dropped, commas put between entries. */
function mmdbJson(text: string): unknown {
  const body = text.trim();
  if (body === '') return null;
  // A value ends at its type tag, a map or array at its bracket; another entry may follow either.
  return JSON.parse(
    body
      .replace(/\s*<[a-z0-9_]+>|([}\]])/g, '$1')
      .replace(/(["}\]\de])\s*\n\s*(?=["{[\d-])/g, '$1,'),
  );
}

interface Record_ {
  continent?: { code?: string };
  country?: { iso_code?: string };
  subdivisions?: { iso_code?: string }[];
  autonomous_system_number?: number;
}

/**
 * mmdblookup on each address in both databases: one shell runs them all (a spawn per lookup from the test process
 * costs more than the lookups).
 */
async function mmdblookupAll(
  addresses: readonly Uint8Array[],
): Promise<[Record_ | null, Record_ | null][]> {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-mmdb-'));
  const list = join(dir, 'addresses');
  await writeFile(list, addresses.map((a) => `${addressText(a)}\n`).join(''));
  const out = join(dir, 'records');
  const script =
    'while read ip; do for f in "$1" "$2"; do mmdblookup --file "$f" --ip "$ip" 2>&1; echo "%%"; done; done' +
    ' < "$3" > "$4"';
  const r = await run('sh', ['-c', script, 'sh', paths.city!, paths.asn!, list, out], 300_000);
  const parts = (await readFile(out, 'utf8')).split('%%\n').slice(0, -1);
  await rm(dir, { recursive: true, force: true });
  if (parts.length !== addresses.length * 2)
    throw new Error(`mmdblookup: ${parts.length} answers: ${r.stderr}`);
  const record = (text: string): Record_ | null =>
    /Could not find an entry/.test(text) ? null : (mmdbJson(text) as Record_);
  return addresses.map((_, i) => [record(parts[2 * i]!), record(parts[2 * i + 1]!)]);
}

function geoOf(r: Record_ | null): string | undefined {
  const parts = [r?.continent?.code, r?.country?.iso_code, r?.subdivisions?.[0]?.iso_code];
  if (!parts[0]) return undefined;
  return parts.filter((p) => p !== undefined).join('-');
}

/** What the compiler reads at an address: the raw search tree and gslb's own reader of the data section. */
function treeFacts(db: Mmdb, address: Uint8Array) {
  const t = db.tree;
  let node = address.length === 4 ? t.ipv4Start : t.root;
  for (let depth = 0; depth < address.length * 8 && node < t.nodeCount; depth++)
    node = t.child(node, (address[depth >> 3]! >> (7 - (depth & 7))) & 1);
  return t.facts(t.factId(node));
}

test('facts: gslb equals mmdblookup for 5,000 IPv4 and 1,000 IPv6 addresses', async (t) => {
  requireTool('mmdblookup');
  t.timeout(120_000);
  const [city, asn] = geo.databases;
  const all = addresses();
  const looked = await mmdblookupAll(all);
  let known = 0;
  for (const [i, address] of all.entries()) {
    const [c, a] = looked[i]!;
    const facts: ClientFacts = geo.lookup(address);
    const label = addressText(address);
    t.is(facts.geo, geoOf(c), `${label} geo`);
    t.is(facts.asn, a?.autonomous_system_number, `${label} asn`);
    t.is(treeFacts(city!, address).geo, geoOf(c), `${label} geo (tree)`);
    t.is(treeFacts(asn!, address).asn, a?.autonomous_system_number, `${label} asn (tree)`);
    if (c) known++;
  }
  t.true(known > 3_000, `${known} of ${all.length} addresses are in GeoLite2-City`);
});

test('every address gets the pool of the first rule its facts match, over the widest correct block', (t) => {
  t.timeout(120_000);
  let checked = 0;
  let widened = 0;
  for (const [i, address] of addresses().entries()) {
    const found = tree.find(address);
    const pool = tree.outcomes[found >> 8];
    const scope = found & 255;
    const facts = geo.lookup(address);
    const want = record.rules.find((r) => matchRule(r, address, () => facts).matched)?.pool;
    t.is(pool, want, addressText(address));
    if (scope < Math.max(facts.geoScope, facts.networkScope)) widened++;
    if (i % 10 !== 0) continue; // the block checks walk the databases: one address in ten
    const network = fromBig(
      toBig(address) & ~((1n << BigInt(address.length * 8 - scope)) - 1n),
      (4 * (address.length / 4)) as 4 | 16,
    );
    const inside = poolsIn(record, geo, network, scope, { stopAt: 2, budget: 20_000 });
    t.false(inside.pools.size > 1, `${addressText(network)}/${scope} is wider than is correct`);
    if (scope > 0) {
      const bits = BigInt(address.length * 8);
      const sibling = fromBig(
        toBig(network) ^ (1n << (bits - BigInt(scope))),
        address.length as 4 | 16,
      );
      const other = poolsIn(record, geo, sibling, scope, { stopAt: 2, budget: 20_000 });
      t.true(
        !other.complete || [...other.pools].some((p) => p !== pool),
        `${addressText(network)}/${scope} is narrower than the widest block`,
      );
    }
    if (inside.complete) checked++;
  }
  t.true(checked > 400, `${checked} blocks checked whole`);
  t.true(widened > 1_000, `${widened} scopes wider than the databases' blocks`);
});
