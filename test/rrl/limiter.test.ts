// The rate limiter as a table of cases, with the clock as a parameter: the rate per source prefix and response
// class, the slip ratio, the window of debt, exempt sources counted but sent, and a flood of other pairs that cannot
// push a limited one out of the table.
import test from 'ava';
import { parseCidr, type Cidr } from '../../src/core/index.ts';
import {
  classHash,
  RateLimiter,
  type RateLimitOptions,
  type Verdict,
} from '../../src/rrl/index.ts';
import { value } from '../helpers/results.ts';

const cidr = (text: string): Cidr => value(parseCidr(text));
const options = (extra: Partial<RateLimitOptions> = {}): RateLimitOptions => ({
  responsesPerSecond: 10,
  slip: 2,
  windowSeconds: 5,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  exempt: [],
  ...extra,
});
const A = classHash('answer www.example. 16');
const B = classHash('answer other.example. 16');

function tally(verdicts: Verdict[]): Record<string, number> {
  return verdicts.reduce<Record<string, number>>((n, v) => ((n[v] = (n[v] ?? 0) + 1), n), {});
}

test('a source gets the rate per second and class; the rest alternate slip and drop (slip 2)', (t) => {
  const rrl = new RateLimiter(options());
  const first = Array.from({ length: 30 }, () => rrl.check('192.0.2.1', A, 1000));
  t.deepEqual(tally(first), { send: 10, drop: 10, slip: 10 });
  t.deepEqual(first.slice(10, 14), ['drop', 'slip', 'drop', 'slip']);
  t.is(rrl.check('192.0.2.1', B, 1000), 'send', 'another class has its own credit');
  t.is(rrl.check('198.51.100.1', A, 1000), 'send', 'another prefix has its own credit');
  t.is(rrl.check('192.0.2.200', A, 1000), 'drop', 'the same /24 shares one');
});

test('a limited source stays limited while it sends over the rate, and its debt lasts at most the window', (t) => {
  const rrl = new RateLimiter(options({ slip: 0 }));
  // 4× the rate for 20 s
  for (let s = 0; s < 20; s++) for (let i = 0; i < 40; i++) rrl.check('192.0.2.1', A, 2000 + s);
  t.is(rrl.check('192.0.2.1', A, 2020), 'drop');
  // Silent for 4 s: a debt of up to 5 s × 10 is not repaid yet; after 6 s it is.
  t.is(rrl.check('192.0.2.1', A, 2024), 'drop');
  t.is(rrl.check('192.0.2.1', A, 2031), 'send');
});

test('IPv6 sources share a /56; IPv4-mapped addresses count as IPv4', (t) => {
  const rrl = new RateLimiter(options({ responsesPerSecond: 1, slip: 0 }));
  t.is(rrl.check('2001:db8:1:100::1', A, 5), 'send');
  t.is(rrl.check('2001:db8:1:1ff::9', A, 5), 'drop', 'same /56');
  t.is(rrl.check('2001:db8:1:200::1', A, 5), 'send', 'the next /56');
  t.is(rrl.check('192.0.2.1', A, 5), 'send');
  t.is(rrl.check('::ffff:192.0.2.7', A, 5), 'drop', 'the mapped form of the same /24');
});

test('exempt sources are counted (exempt when over) but always sent; rate 0 limits nothing', (t) => {
  const rrl = new RateLimiter(options({ exempt: [cidr('127.0.0.0/8'), cidr('::1/128')] }));
  const verdicts = Array.from({ length: 20 }, () => rrl.check('127.0.0.1', A, 10));
  t.deepEqual(tally(verdicts), { send: 10, exempt: 10 });
  t.is(tally(Array.from({ length: 20 }, () => rrl.check('::1', A, 10)))['exempt'], 10);
  const off = new RateLimiter(options({ responsesPerSecond: 0 }));
  t.deepEqual(tally(Array.from({ length: 1000 }, () => off.check('192.0.2.1', A, 10))), {
    send: 1000,
  });
});

test('a flood of other pairs does not evict the limited one: it stays limited', (t) => {
  const rrl = new RateLimiter(options({ slip: 0 }));
  for (let i = 0; i < 30; i++) rrl.check('192.0.2.1', A, 100);
  for (let i = 0; i < 300_000; i++) {
    rrl.check(`10.${(i >> 8) & 255}.${i & 255}.1`, classHash(`nxdomain z${i}.`), 100); // 300,000 distinct pairs
    if (i % 1000 === 0)
      t.not(rrl.check('192.0.2.1', A, 100), 'send', `still limited after ${i} other pairs`);
  }
});
