// How long a /metrics scrape holds the event loop, on a large zone (bench/big-zone.ts): the longest stretch between
// two turns, measured by a timer that should fire every millisecond while the scrape runs.
// Run: node --import=tsx bench/big-zone.ts /tmp/big/big.test.yaml && node --import=tsx bench/scrape-cost.ts /tmp/big
import { loadData } from '../src/app/data.ts';
import { serverMetrics } from '../src/app/metrics.ts';
import { snapshotOf } from '../src/app/state.ts';
import { EMPTY_LIVE } from '../src/state/index.ts';

const dir = process.argv[2] ?? '/tmp/big';
const { data } = await loadData(dir, undefined);
if (!data) throw new Error(`no zones in ${dir}`);
const snapshot = snapshotOf(data, EMPTY_LIVE);
const metrics = serverMetrics(() => snapshot);
await new Promise((r) => setTimeout(r, 3000)); // the collections loading asked for are over
for (let round = 0; round < 3; round++) {
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  const { body } = await metrics.text();
  clearInterval(timer);
  longest = Math.max(longest, performance.now() - last);
  const series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;
  console.log(
    `scrape ${(performance.now() - started).toFixed(0)} ms, ${series} series, longest stretch without a turn ${longest.toFixed(1)} ms`,
  );
}
