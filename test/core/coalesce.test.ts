import test from 'ava';
import { coalescing } from '../../src/core/index.ts';

test('one run at a time; asks during a run make one more; a failure is reported, the next ask runs', async (t) => {
  let runs = 0;
  let release: () => void = () => undefined;
  const errors: unknown[] = [];
  let fail = false;
  const run = coalescing(
    async () => {
      runs++;
      await new Promise<void>((resolve) => (release = resolve));
      if (fail) throw new Error('boom');
    },
    (e) => errors.push(e),
  );
  const first = run();
  const second = run();
  void run();
  t.is(first, second, 'an ask during a run gets the run under way');
  t.is(runs, 1);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  t.is(runs, 2, 'the asks meanwhile made one more run, not two');
  release();
  await first;
  fail = true;
  const third = run();
  release();
  await third;
  t.is(errors.length, 1);
  t.is(runs, 3);
});
