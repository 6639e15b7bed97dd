// Lines about unauthenticated peers: a few per kind and source prefix each period, the rest summarized at its end;
// the table of counts is bounded however many sources there are.
import test from 'ava';
import { LimitedLog, type Logger, sourcePrefix } from '../../src/app/log.ts';

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: {
      info: (m) => lines.push(`info: ${m}`),
      warn: (m) => lines.push(`warn: ${m}`),
      error: (m) => lines.push(`error: ${m}`),
    },
  };
}

test('five lines a minute per kind and /24, then one summary line per prefix', (t) => {
  const { log, lines } = capture();
  let now = 0;
  const limited = new LimitedLog(log, { now: () => now });
  for (let i = 0; i < 1000; i++)
    limited.write(
      'warn',
      'unsigned update',
      `192.0.2.${i % 200}`,
      `update from 192.0.2.${i % 200}`,
    );
  for (let i = 0; i < 3; i++)
    limited.write('warn', 'unsigned update', '2001:db8:1:2::5', 'from v6');
  limited.write('error', 'request failed', '192.0.2.1', 'a bug');
  t.is(lines.length, 5 + 3 + 1);
  now = 60_000;
  limited.write('warn', 'unsigned update', '192.0.2.9', 'a new minute');
  t.true(
    lines.includes(
      'warn: 995 more like this from 192.0.2.0/24 in the last minute: unsigned update',
    ),
    lines.join('\n'),
  );
  t.is(lines.at(-1), 'warn: a new minute');
  limited.close();
});

test("past the table's bound, new sources share one entry", (t) => {
  const { log, lines } = capture();
  const limited = new LimitedLog(log, { now: () => 0, maxKeys: 10 });
  for (let i = 0; i < 5000; i++)
    limited.write('warn', 'bad TSIG', `10.${(i >> 8) & 255}.${i & 255}.1`, `from ${i}`);
  t.is(lines.length, 10 + 5, 'a line from each of ten prefixes, then five for "other sources"');
  limited.flush();
  t.true(lines.some((l) => l.includes('more like this from other sources')));
  limited.close();
});

test('source prefixes', (t) => {
  t.is(sourcePrefix('192.0.2.77'), '192.0.2.0/24');
  t.is(sourcePrefix('::ffff:192.0.2.77'), '192.0.2.0/24');
  t.is(sourcePrefix('2001:db8:1:2ff::5'), '2001:db8:1:200::/56');
  t.is(sourcePrefix('health monitor'), 'health monitor');
});
