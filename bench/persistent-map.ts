// Why src/core/persistent-map.ts is hand-written: reads of a served zone's names (the query path) through it, through
// immutable.js's Map (the library that does persistent maps), and through a plain Map, with names built per query as
// the server builds them; and the cost of one update (a new version with one name changed) of each.
// Run: node --import=tsx bench/persistent-map.ts
import { Map as ImmutableMap } from 'immutable';
import { LayeredMap, PersistentMap } from '../src/core/index.ts';

const N = 100_000;
const names = Array.from({ length: N }, (_, i) => `host${i}.example.com.`);
const plain = new Map(names.map((n, i) => [n, i]));
const persistent = PersistentMap.from(names.map((n, i): [string, number] => [n, i]));
const layered = LayeredMap.over(plain).with(
  names.slice(0, 10_000).map((n, i): [string, number] => [n, -i]),
); // 10,000 names updated
const immutable = ImmutableMap(names.map((n, i): [string, number] => [n, i]));
const fresh = (): string[] => names.map((n) => ` ${n}`.slice(1)); // a new string per query, as parsed from a datagram

function perRead(read: (name: string) => number | undefined): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const keys = fresh();
    const started = performance.now();
    let found = 0;
    for (const k of keys) if (read(k) !== undefined) found++;
    if (found !== N) throw new Error('lost a name');
    best = Math.min(best, ((performance.now() - started) * 1e6) / N);
  }
  return best;
}

function perUpdate(update: (i: number) => unknown): number {
  const started = performance.now();
  for (let i = 0; i < 10_000; i++) update(i);
  return ((performance.now() - started) * 1e3) / 10_000;
}

console.log(`read, ns per name (best of 5 rounds over ${N} names):`);
console.log(`  Map              ${perRead((k) => plain.get(k)).toFixed(0)}`);
console.log(`  PersistentMap    ${perRead((k) => persistent.get(k)).toFixed(0)}`);
console.log(
  `  LayeredMap       ${perRead((k) => layered.get(k)).toFixed(0)}  (a Map with 10,000 names changed over it)`,
);
console.log(`  immutable.js Map ${perRead((k) => immutable.get(k)).toFixed(0)}`);
console.log('one name changed, µs per new version:');
console.log(
  `  copy of the Map  ${perUpdate((i) => i < 100 && new Map(plain).set(names[i]!, -1)).toFixed(1)}  (100 copies only)`,
);
console.log(`  PersistentMap    ${perUpdate((i) => persistent.set(names[i]!, -1)).toFixed(1)}`);
console.log(`  immutable.js Map ${perUpdate((i) => immutable.set(names[i]!, -1)).toFixed(1)}`);
