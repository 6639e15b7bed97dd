// octoDNS compatibility: the documented dynamic-record example and health check load unchanged.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { formatDiagnostic, RRType } from '../../src/core/index.ts';
import { parseZoneText } from '../../src/zone/index.ts';

const text = readFileSync(
  new URL('../fixtures/octodns/octodns.example.yaml', import.meta.url),
  'utf8',
);
const result = parseZoneText(text, 'octodns.example.yaml', 'octodns.example.', {
  defaultSerial: 1,
});

test("the annotated example loads; only the other provider's setting is noted", (t) => {
  t.truthy(result.zone, result.diagnostics.map(formatDiagnostic).join('\n'));
  t.deepEqual(
    result.diagnostics.map((d) => `${d.code} ${d.line}:${d.col}`),
    ['IGNORED_KEY 93:5'],
  );
});

test('pools, fallbacks, weights and rules come through as octoDNS defines them', (t) => {
  const d = result.zone!.nodes.get('test.octodns.example.')!.rrsets.get(RRType.A)!.dynamic!;
  t.deepEqual([...d.pools.keys()], ['apac', 'eu', 'na']);
  t.is(d.pools.get('apac')!.fallback, 'na');
  t.is(d.pools.get('na')!.fallback, undefined);
  t.deepEqual(
    d.pools.get('eu')!.members.map((m) => [m.address, m.weight, m.status]),
    [
      ['3.3.3.3', 2, 'obey'],
      ['4.4.4.4', 3, 'obey'],
    ],
  );
  t.deepEqual(
    d.rules.map((r) => [r.geos, r.pool]),
    [
      [['AF-ZA', 'AS', 'OC'], 'apac'],
      [['AF', 'EU'], 'eu'],
      [[], 'na'],
    ],
  );
  t.deepEqual(
    d.defaults.map((m) => m.address),
    ['3.3.3.3', '4.4.4.4', '5.5.5.5', '6.6.6.6', '7.7.7.7'],
  );
  t.is(d.ttl, 60);
  t.is(d.healthcheck, undefined, 'no health check configured: members count as up');
});

test('octodns.healthcheck supplies the health check; octoDNS defaults fill the rest', (t) => {
  const d = result.zone!.nodes.get('checked.octodns.example.')!.rrsets.get(RRType.A)!.dynamic!;
  t.like(d.healthcheck, {
    protocol: 'HTTPS',
    port: 443,
    path: '/dns-health-check',
    host: 'my-host-name',
    expect: [200, 399],
    rise: 2,
    fall: 3,
    initial: 'up',
  });
  t.deepEqual(
    d.pools.get('na')!.members.map((m) => m.status),
    ['down', 'up', 'obey'],
  );
});
