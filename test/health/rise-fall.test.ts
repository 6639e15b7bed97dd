// Rise and fall as a table: probe results in, verdicts out, no timers and no sockets.
import test from 'ava';
import { initialStreak, nextStreak } from '../../src/health/index.ts';

/** `results`: + a passed probe, - a failed one; the verdict after each, as u (up) or d (down). */
const CASES: readonly [
  start: 'u' | 'd',
  rise: number,
  fall: number,
  results: string,
  verdicts: string,
][] = [
  ['u', 2, 3, '---', 'uud'],
  ['u', 2, 3, '--+--', 'uuuuu'], // a success breaks the run of failures
  ['u', 2, 3, '---+-', 'uuddd'],
  ['d', 2, 3, '++', 'du'],
  ['d', 2, 3, '+-+', 'ddd'],
  ['d', 1, 1, '+-+-', 'udud'],
  ['d', 3, 1, '+++-++++', 'dduddduu'],
  ['u', 1, 2, '-+-+--++', 'uuuuuduu'],
];

for (const [start, rise, fall, results, verdicts] of CASES) {
  test(`from ${start === 'u' ? 'up' : 'down'}, rise ${rise}, fall ${fall}: ${results} → ${verdicts}`, (t) => {
    let streak = initialStreak(start === 'u');
    let seen = '';
    for (const r of results) {
      streak = nextStreak(streak, r === '+', rise, fall);
      seen += streak.up ? 'u' : 'd';
    }
    t.is(seen, verdicts);
  });
}

test('the run keeps counting past a flip: one failure after rising does not take a member down again', (t) => {
  let streak = initialStreak(false);
  for (let i = 0; i < 5; i++) streak = nextStreak(streak, true, 2, 2);
  t.deepEqual(streak, { up: true, ok: 5, fail: 0 });
  streak = nextStreak(streak, false, 2, 2);
  t.deepEqual(streak, { up: true, ok: 0, fail: 1 });
});
