// Decision trees over the sample GeoIP data: every leaf holds one outcome over its whole block (checked by brute force,
// block by block with the per-client decision) and is the widest such block (its sibling reaches another pool).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadGeoDir } from '../../src/app.ts';
import { addressBytes } from '../../src/core/index.ts';
import { compileRules, compileRulesNow, type DecisionTree } from '../../src/resolve/tree.ts';
import type { DynamicRecord } from '../../src/zone/index.ts';
import { bruteOutcome, fromBig, poolsIn, toBig } from '../helpers/brute.ts';
import { snapshotOf } from '../helpers/snapshot.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const SAMPLE = readFileSync(new URL('../../zones/example.com.yaml', import.meta.url), 'utf8');

function appRecord(): DynamicRecord {
  const s = snapshotOf({ 'example.com.yaml': SAMPLE });
  return s.zones.zones.get('example.com.')!.nodes.get('app.example.com.')!.rrsets.get(1)!.dynamic!;
}

function sibling(network: Uint8Array, prefix: number): Uint8Array {
  const bits = BigInt(network.length * 8);
  return fromBig(toBig(network) ^ (1n << (bits - BigInt(prefix))), network.length as 4 | 16);
}

test('every leaf is one outcome over its block, and the widest: its sibling reaches another pool', async (t) => {
  const { geo } = await loadGeoDir(GEOIP);
  const record = appRecord();
  const tree: DecisionTree = await compileRules(record.rules, geo);
  let leaves = 0;
  for (const [, network, prefix, outcome] of tree.leaves()) {
    leaves++;
    const pool = tree.outcomes[outcome];
    const inside = poolsIn(record, geo, network, prefix);
    t.true(inside.complete);
    t.deepEqual([...inside.pools], [pool], `${network.join('.')}/${prefix}`);
    if (prefix === 0) continue;
    const other = poolsIn(record, geo, sibling(network, prefix), prefix, { stopAt: 2 });
    t.true(
      [...other.pools].some((p) => p !== pool),
      `${network.join('.')}/${prefix} could be wider`,
    );
  }
  t.true(leaves > 20, `${leaves} leaves`);
});

test('a lookup walks to the leaf of its address: outcome and scope for hand-picked clients', async (t) => {
  const { geo } = await loadGeoDir(GEOIP);
  const record = appRecord();
  const tree = await compileRules(record.rules, geo);
  const rows: [string, string | undefined, number][] = [
    ['127.1.0.1', 'cn-telecom', 16], // AS4134 Beijing; 127.0/16 (unknown) → na
    ['127.2.0.1', 'apac', 15], // Unicom and Mobile (127.2/16, 127.3/16)
    ['127.10.0.1', 'eu', 15], // Germany and Great Britain
    ['10.1.2.3', 'eu', 8], // the rule subnet; 10.20/16 (networks.yaml, EU-DE) is eu too
    ['127.0.0.7', 'na', 16],
    ['2001:db8:1234:5600::', 'apac', 48],
  ];
  for (const [address, pool, scope] of rows) {
    const bytes = addressBytes(address)!;
    const found = tree.find(bytes);
    t.is(tree.outcomes[found >> 8], pool, address);
    t.is(found & 255, scope, address);
    t.is(bruteOutcome(record, geo, bytes).pool, pool, `${address} per client`);
  }
});

test('rules on subnets alone compile at once; a record without rules is one leaf', (t) => {
  const record = appRecord();
  const subnetsOnly = record.rules.filter((r) => r.geos.length === 0 && r.asns.length === 0);
  const tree = compileRulesNow(subnetsOnly, undefined);
  t.is(tree.outcomes[tree.find(addressBytes('10.9.9.9')!) >> 8], 'eu');
  t.is(tree.find(addressBytes('10.9.9.9')!) & 255, 8);
  t.is(tree.outcomes[tree.find(addressBytes('11.0.0.1')!) >> 8], 'na');
  t.is(tree.find(addressBytes('11.0.0.1')!) & 255, 8); // 11/8 borders 10/8
  const none = compileRulesNow([], undefined);
  t.is(none.size, 0);
  t.is(none.find(addressBytes('192.0.2.1')!), 0); // outcome 0 (no rule), scope 0
});
