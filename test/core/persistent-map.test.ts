// PersistentMap and LayeredMap against a plain Map driven by the same seeded operations: every version reads as its
// model did when it was made, old versions untouched by later changes.
import test from 'ava';
import { LayeredMap, PersistentMap } from '../../src/core/index.ts';
import { mulberry32 } from '../helpers/random.ts';

type Op = [string, number | undefined];

function randomOps(seed: number, count: number, keys: number): Op[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(rand() * 8) }, (): Op => {
      const key = `k${Math.floor(rand() * keys)}.example.`;
      return [key, rand() < 0.3 ? undefined : Math.floor(rand() * 1000)];
    }),
  );
}

const sorted = (m: ReadonlyMap<string, number>): [string, number][] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function apply(model: Map<string, number>, ops: Op[]): Map<string, number> {
  const next = new Map(model);
  for (const [k, v] of ops) {
    if (v === undefined) next.delete(k);
    else next.set(k, v);
  }
  return next;
}

test(
  'PersistentMap: each version equals its model, through growth past many buckets; old versions never ' +
    'change',
  (t) => {
    let map = PersistentMap.empty<number>();
    let model = new Map<string, number>();
    const versions: [PersistentMap<number>, Map<string, number>][] = [];
    for (const ops of randomOps(1, 3000, 20_000)) {
      map = map.with(ops);
      model = apply(model, ops);
      versions.push([map, model]);
    }
    const bulk = PersistentMap.from(
      Array.from({ length: 30_000 }, (_, i): [string, number] => [`b${i}`, i]),
    );
    t.is(bulk.size, 30_000);
    t.is(bulk.get('b29999'), 29_999);
    for (const [m, expected] of versions.filter(
      (_, i) => i % 100 === 0 || i === versions.length - 1,
    )) {
      t.is(m.size, expected.size);
      t.deepEqual(sorted(m), sorted(expected));
      for (const [k, v] of expected) t.is(m.get(k), v);
      t.false(m.has('absent'));
    }
    t.is(map.delete('absent'), map, 'deleting nothing is the same map');
  },
);

test(
  'LayeredMap: changes over a base read as the model; removing a base key hides it, re-adding shows ' +
    'the new value',
  (t) => {
    const base = new Map(
      Array.from({ length: 5000 }, (_, i): [string, number] => [`k${i}.example.`, -i]),
    );
    let layered = LayeredMap.over<number>(base);
    let model = new Map(base);
    for (const ops of randomOps(2, 2000, 8000)) {
      layered = layered.with(ops);
      model = apply(model, ops);
    }
    t.is(layered.size, model.size);
    t.deepEqual(sorted(layered), sorted(model));
    for (let i = 0; i < 8000; i++) t.is(layered.get(`k${i}.example.`), model.get(`k${i}.example.`));
    t.is(base.size, 5000, 'the base is never changed');
    t.is(LayeredMap.over(layered), layered, 'a layered map is its own base');
    const removed = LayeredMap.over<number>(base).with([
      ['k1.example.', undefined],
      ['k1.example.', 7],
      ['k2.example.', undefined],
    ]);
    t.is(removed.get('k1.example.'), 7);
    t.false(removed.has('k2.example.'));
    t.is(removed.size, 4999);
  },
);
