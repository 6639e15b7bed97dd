// Picking methods: exact picks for given random sequences, long-run weight shares, and consistent hashing.
import test from 'ava';
import {
  type Candidate,
  pickRendezvous,
  pickRoundRobin,
  pickWeighted,
} from '../../src/resolve/index.ts';
import { chooserOf } from '../helpers/snapshot.ts';

const four: Candidate[] = [1, 2, 3, 4].map((w) => ({ address: `192.0.2.${w}`, weight: w }));

test('weighted: exact picks for a given random sequence (cumulative weights 1, 3, 6, 10 of 10)', (t) => {
  const picks = [0.0, 0.09, 0.1, 0.29, 0.3, 0.59, 0.6, 0.99].map(
    (r) => pickWeighted(four, 1, chooserOf([r]))[0]!.address,
  );
  t.deepEqual(picks, [
    '192.0.2.1',
    '192.0.2.1',
    '192.0.2.2',
    '192.0.2.2',
    '192.0.2.3',
    '192.0.2.3',
    '192.0.2.4',
    '192.0.2.4',
  ]);
});

test('weighted without replacement: two distinct members', (t) => {
  const two = pickWeighted(four, 2, chooserOf([0.99, 0.99])).map((c) => c.address);
  t.deepEqual(two, ['192.0.2.4', '192.0.2.3']);
  t.is(pickWeighted(four, 9, chooserOf(3)).length, 4, 'never more than there are');
});

test('weights 1:2:3:4 over 40,000 seeded picks: each share within ±1 percentage point', (t) => {
  const chooser = chooserOf(424242);
  const counts = new Map<string, number>();
  for (let i = 0; i < 40_000; i++) {
    const a = pickWeighted(four, 1, chooser)[0]!.address;
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  for (const c of four) {
    const share = (100 * (counts.get(c.address) ?? 0)) / 40_000;
    t.true(
      Math.abs(share - c.weight * 10) <= 1,
      `${c.address}: ${share.toFixed(2)}% for weight ${c.weight}`,
    );
  }
});

test("smooth round robin spreads a member's turns instead of bunching them", (t) => {
  const seq = Array.from({ length: 10 }, (_, k) => pickRoundRobin(four, 1, k)[0]!.weight).join('');
  t.is(seq, '4324134234'); // worked by hand: nginx's algorithm, ties to the first
  t.deepEqual([...seq].sort().join(''), '1223334444');
});

function subnet(i: number): Uint8Array {
  return Uint8Array.from([10, (i >> 8) & 0xff, i & 0xff, 0]);
}

test(
  'consistent hash: 1,000 subnets over 5 members; removing one moves only its own subnets; shares ' +
    'follow weights ±5 points',
  (t) => {
    const five: Candidate[] = [1, 2, 3, 4, 5].map((w) => ({ address: `192.0.2.${w}`, weight: w }));
    const before = Array.from(
      { length: 1000 },
      (_, i) => pickRendezvous(five, 1, subnet(i))[0]!.address,
    );
    for (const c of five) {
      const share = (100 * before.filter((a) => a === c.address).length) / 1000;
      t.true(
        Math.abs(share - (100 * c.weight) / 15) <= 5,
        `${c.address}: ${share}% for weight ${c.weight}/15`,
      );
    }
    const removed = '192.0.2.3';
    const after = Array.from(
      { length: 1000 },
      (_, i) =>
        pickRendezvous(
          five.filter((c) => c.address !== removed),
          1,
          subnet(i),
        )[0]!.address,
    );
    const moved = before
      .map((a, i) => (a !== after[i] ? a : undefined))
      .filter((a) => a !== undefined);
    t.true(moved.length > 0);
    t.deepEqual(new Set(moved), new Set([removed]), 'only subnets of the removed member moved');
    t.is(moved.length, before.filter((a) => a === removed).length, 'and all of them did');
  },
);

test('consistent hash with two answers: the pair is stable and distinct', (t) => {
  const pair = pickRendezvous(four, 2, subnet(7)).map((c) => c.address);
  t.is(new Set(pair).size, 2);
  t.deepEqual(
    pickRendezvous([...four].reverse(), 2, subnet(7)).map((c) => c.address),
    pair,
    'member order does not matter',
  );
});
