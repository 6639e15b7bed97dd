// The dynamic decision as tables: client → rule, pool, fallback path, picks, TTL and ECS scope, with
// injected randomness.
import test from 'ava';
import { addressBytes, formatRR, typeCode } from '../../src/core/index.ts';
import { loadGeoDatabase } from '../../src/geo/index.ts';
import { type Answer, type Chooser, type HealthView, resolve } from '../../src/resolve/index.ts';
import { chooserOf, healthOf, snapshotOf } from '../helpers/snapshot.ts';

const NETWORKS = `
- {cidr: 172.16.1.0/24, geo: AS-CN-BJ, asn: 4134, isp: China Telecom}
- {cidr: 172.16.2.0/24, geo: AS-CN-SH, asn: 4837, isp: China Unicom}
- {cidr: 172.16.3.0/24, geo: EU-DE-BE}
- {cidr: 172.16.4.0/24, geo: NA-US-CA}
- {cidr: 172.16.5.0/24, geo: NA-US-NY}
- {cidr: 172.16.6.0/24, geo: AS-JP, asn: 2516, isp: KDDI}
- {cidr: "2001:db8:100::/48", geo: EU-DE}
`;
const geo = loadGeoDatabase({
  networks: { path: 'networks.yaml', text: NETWORKS },
  databases: [],
}).geo;

const HEAD = `'':
  - {type: SOA, value: {mname: ns1.dyn.test., rname: h.dyn.test., refresh: 1, retry: 1, expire: 1, minimum: 30}}
  - {type: NS, values: [ns1.dyn.test.]}
ns1: {type: A, value: 192.0.2.53}
`;
const WWW = `www:
  type: A
  ttl: 60
  values: [192.0.2.10, 192.0.2.11]
  dynamic:
    pools:
      cn-telecom: {fallback: apac, values: [{value: 198.51.100.1, weight: 3}, {value: 198.51.100.2, weight: 1}]}
      apac: {fallback: na, values: [{value: 203.0.113.1}, {value: 203.0.113.2}]}
      eu: {fallback: na, values: [{value: 192.0.2.100, host: fra1.example.com}]}
      na: {values: [{value: 192.0.2.200}, {value: 192.0.2.201, status: down}]}
    rules:
      - {geos: [AS-CN], asns: [4134, 4812], pool: cn-telecom}
      - {geos: [AS], pool: apac}
      - {geos: [EU, NA-US-CA], pool: eu}
      - {subnets: [10.0.0.0/8], pool: eu}
      - {isps: [kddi], pool: apac}
      - {pool: na}
  ttl_degraded: 15
  healthcheck: {protocol: TCP, port: 80}
`;

function ask(
  zoneExtra: string,
  client: string,
  options: { health?: HealthView; chooser?: Chooser; ecsPrefix?: number; name?: string } = {},
): Answer {
  const snapshot = snapshotOf(
    { 'dyn.test.yaml': HEAD + zoneExtra },
    { geo, ...(options.health ? { health: options.health } : {}) },
  );
  const address = addressBytes(client)!;
  return resolve(
    { name: options.name ?? 'www.dyn.test.', type: typeCode('A')! },
    { address, prefix: options.ecsPrefix ?? address.length * 8 },
    snapshot,
    options.chooser ?? chooserOf([0]),
  );
}

function summary(a: Answer): {
  outcome: string | undefined;
  answer: string[];
  scope: number;
  rule: number | undefined;
} {
  if (a.kind === 'refused') throw new Error('refused');
  return {
    outcome: a.trace?.outcome,
    answer: a.answer.map((rr) => formatRR(rr).replace(/^\S+ /, '')),
    scope: a.scopePrefix,
    rule: a.trace?.rules.find((r) => r.matched)?.index,
  };
}

const down = (...addresses: string[]): HealthView =>
  healthOf(Object.fromEntries(addresses.map((x) => [x, false])));
const ALL_POOLS_DOWN = [
  '198.51.100.1',
  '198.51.100.2',
  '203.0.113.1',
  '203.0.113.2',
  '192.0.2.100',
  '192.0.2.200',
];

interface Row {
  readonly title: string;
  readonly client: string;
  readonly health?: HealthView;
  readonly random?: number[];
  readonly extra?: string;
  readonly expect: ReturnType<typeof summary>;
}

const rows: Row[] = [
  {
    title: 'China Telecom client: cn-telecom pool, first by weight',
    client: '172.16.1.7',
    random: [0.0],
    expect: { outcome: 'pool', answer: ['60 IN A 198.51.100.1'], scope: 24, rule: 0 },
  },
  {
    title: 'China Telecom client, random past 3/4: the weight-1 member',
    client: '172.16.1.7',
    random: [0.8],
    expect: { outcome: 'pool', answer: ['60 IN A 198.51.100.2'], scope: 24, rule: 0 },
  },
  {
    title: 'China Unicom client: in AS-CN but not AS4134/4812, so the AS rule',
    client: '172.16.2.9',
    expect: { outcome: 'pool', answer: ['60 IN A 203.0.113.1'], scope: 24, rule: 1 },
  },
  {
    title: 'EU client (EU-DE-BE in EU)',
    client: '172.16.3.1',
    expect: { outcome: 'pool', answer: ['60 IN A 192.0.2.100'], scope: 24, rule: 2 },
  },
  {
    title: 'California client (NA-US-CA)',
    client: '172.16.4.1',
    expect: { outcome: 'pool', answer: ['60 IN A 192.0.2.100'], scope: 24, rule: 2 },
  },
  {
    title: 'New York client: no geo rule, catch-all; the down-status member never answers',
    client: '172.16.5.1',
    random: [0.99],
    expect: { outcome: 'pool', answer: ['60 IN A 192.0.2.200'], scope: 24, rule: 5 },
  },
  {
    title: 'client in a rule subnet (10.0.0.0/8)',
    client: '10.9.9.9',
    expect: { outcome: 'pool', answer: ['60 IN A 192.0.2.100'], scope: 8, rule: 3 },
  },
  {
    title: 'client known only by ISP name (isps: kddi)',
    client: '172.16.6.1',
    expect: { outcome: 'pool', answer: ['60 IN A 203.0.113.1'], scope: 24, rule: 1 },
  },
  {
    title: 'unknown client: catch-all; scope covers the block where no rule could match',
    client: '192.0.2.55',
    expect: { outcome: 'pool', answer: ['60 IN A 192.0.2.200'], scope: 2, rule: 5 },
  },
  {
    title: 'cn-telecom down: fallback apac, degraded TTL',
    client: '172.16.1.7',
    health: down('198.51.100.1', '198.51.100.2'),
    expect: { outcome: 'fallback', answer: ['15 IN A 203.0.113.1'], scope: 24, rule: 0 },
  },
  {
    title: 'cn-telecom and apac down: fallback of the fallback (na)',
    client: '172.16.1.7',
    health: down('198.51.100.1', '198.51.100.2', '203.0.113.1', '203.0.113.2'),
    expect: { outcome: 'fallback', answer: ['15 IN A 192.0.2.200'], scope: 24, rule: 0 },
  },
  {
    title: 'one member down: the other answers, not degraded',
    client: '172.16.1.7',
    health: down('198.51.100.1'),
    random: [0.0],
    expect: { outcome: 'pool', answer: ['60 IN A 198.51.100.2'], scope: 24, rule: 0 },
  },
  {
    title: 'whole chain down: the default values, degraded',
    client: '172.16.1.7',
    health: down(...ALL_POOLS_DOWN),
    expect: { outcome: 'default values', answer: ['15 IN A 192.0.2.10'], scope: 24, rule: 0 },
  },
  {
    title: 'everything down, no redirect: fail open with every member of the first pool',
    client: '172.16.1.7',
    health: down(...ALL_POOLS_DOWN, '192.0.2.10', '192.0.2.11'),
    expect: {
      outcome: 'fail-open',
      answer: ['15 IN A 198.51.100.1', '15 IN A 198.51.100.2'],
      scope: 24,
      rule: 0,
    },
  },
  {
    title: 'everything down, redirect in fallback mode: the redirect addresses',
    client: '172.16.1.7',
    health: down(...ALL_POOLS_DOWN, '192.0.2.10', '192.0.2.11'),
    extra: '  redirect: {addresses: [192.0.2.80], fallback_url: "https://status.example.com/"}\n',
    expect: { outcome: 'redirect', answer: ['15 IN A 192.0.2.80'], scope: 24, rule: 0 },
  },
  {
    title: 'everything down, all_down: empty → NODATA',
    client: '172.16.1.7',
    health: down(...ALL_POOLS_DOWN, '192.0.2.10', '192.0.2.11'),
    extra: '  all_down: empty\n',
    expect: { outcome: 'empty', answer: [], scope: 24, rule: 0 },
  },
  {
    title:
      'redirect mode always: the redirect addresses for everyone, normal TTL, no client dependence',
    client: '172.16.1.7',
    extra: '  redirect: {addresses: [192.0.2.80], mode: always}\n',
    expect: { outcome: 'redirect', answer: ['60 IN A 192.0.2.80'], scope: 0, rule: undefined },
  },
];

for (const row of rows) {
  test(row.title, (t) => {
    const a = ask(WWW + (row.extra ?? ''), row.client, {
      ...(row.health ? { health: row.health } : {}),
      chooser: chooserOf(row.random ?? [0]),
    });
    t.deepEqual(summary(a), row.expect);
    if (row.expect.answer.length === 0) t.is(a.kind, 'nodata');
  });
}

test('ECS: an IPv6 /56 inside a custom /48 matches its geo; scope is the /48', (t) => {
  const a = ask(WWW, '2001:db8:100:ab00::', { ecsPrefix: 56 });
  t.like(summary(a), { outcome: 'pool', rule: 2, scope: 48 });
});

const POOL = (members: string, extra = '') => `www:
  type: A
  ttl: 60
  values: [192.0.2.10]
  dynamic:
    pools:
      p: {values: [${members}]}
    rules:
      - {pool: p}
  healthcheck: {protocol: TCP, port: 80}
${extra}`;

test('weight 0 drains: never picked while a weighted member is up, picked when none is', (t) => {
  const zone = POOL('{value: 192.0.2.1, weight: 0}, {value: 192.0.2.2, weight: 1}');
  for (const r of [0, 0.3, 0.6, 0.99])
    t.deepEqual(summary(ask(zone, '192.0.2.55', { chooser: chooserOf([r]) })).answer, [
      '60 IN A 192.0.2.2',
    ]);
  t.deepEqual(summary(ask(zone, '192.0.2.55', { health: down('192.0.2.2') })).answer, [
    '60 IN A 192.0.2.1',
  ]);
});

test('status up beats a failed check; status down beats a passing one; obey follows the check', (t) => {
  const zone = POOL(
    '{value: 192.0.2.1, status: up}, {value: 192.0.2.2, status: down}, {value: 192.0.2.3}',
    '  method: all\n',
  );
  const health = healthOf({ '192.0.2.1': false, '192.0.2.2': true, '192.0.2.3': true });
  t.deepEqual(summary(ask(zone, '192.0.2.55', { health })).answer, [
    '60 IN A 192.0.2.1',
    '60 IN A 192.0.2.3',
  ]);
  t.deepEqual(
    summary(ask(zone, '192.0.2.55', { health: healthOf({ '192.0.2.3': false }) })).answer,
    ['60 IN A 192.0.2.1'],
  );
});

test('until the first check completes, healthcheck.initial decides (default up)', (t) => {
  const members = '{value: 192.0.2.1}, {value: 192.0.2.2}';
  t.is(summary(ask(POOL(members, '  method: all\n'), '192.0.2.55')).answer.length, 2);
  const initiallyDown = POOL(members, '  method: all\n').replace(
    '{protocol: TCP, port: 80}',
    '{protocol: TCP, port: 80, initial: down}',
  );
  t.deepEqual(
    summary(ask(initiallyDown, '192.0.2.55')).outcome,
    'fail-open',
    'nothing is up until checked',
  );
  t.deepEqual(
    summary(ask(initiallyDown, '192.0.2.55', { health: healthOf({ '192.0.2.2': true }) })).answer,
    ['60 IN A 192.0.2.2'],
  );
});

test('answers: N gives N distinct members; method all gives every up member', (t) => {
  const members =
    '{value: 192.0.2.1, weight: 1}, {value: 192.0.2.2, weight: 1}, {value: 192.0.2.3, weight: 1}';
  const two = summary(
    ask(POOL(members, '  answers: 2\n'), '192.0.2.55', { chooser: chooserOf([0.0, 0.0]) }),
  ).answer;
  t.deepEqual(two, ['60 IN A 192.0.2.1', '60 IN A 192.0.2.2']);
  const all = summary(
    ask(POOL(members, '  method: all\n'), '192.0.2.55', { health: down('192.0.2.2') }),
  ).answer;
  t.deepEqual(all, ['60 IN A 192.0.2.1', '60 IN A 192.0.2.3']);
});

test('weighted-rr is smooth weighted round robin: weights 5,1,1 give a a b a c a a', (t) => {
  const zone = POOL(
    '{value: 192.0.2.1, weight: 5}, {value: 192.0.2.2, weight: 1}, {value: 192.0.2.3, weight: 1}',
    '  method: weighted-rr\n',
  );
  const snapshot = snapshotOf({ 'dyn.test.yaml': HEAD + zone });
  const chooser = chooserOf([0]);
  const picks = Array.from({ length: 14 }, () => {
    const a = resolve(
      { name: 'www.dyn.test.', type: 1 },
      { address: addressBytes('192.0.2.55'), prefix: 32 },
      snapshot,
      chooser,
    );
    return a.kind === 'answer'
      ? a.answer[0]!.data.type === 'A' && a.answer[0]!.data.address.slice(-1)
      : '';
  });
  t.is(picks.join(''), '1121311'.repeat(2));
});

test('hash: the same client subnet always gets the same member; the scope is the hashed /24', (t) => {
  const zone = POOL(
    '{value: 192.0.2.1}, {value: 192.0.2.2}, {value: 192.0.2.3}',
    '  method: hash\n',
  );
  const first = summary(ask(zone, '198.51.100.7', { chooser: chooserOf([0.1]) }));
  for (const [client, r] of [
    ['198.51.100.200', 0.9],
    ['198.51.100.7', 0.5],
  ] as const) {
    t.deepEqual(summary(ask(zone, client, { chooser: chooserOf([r]) })).answer, first.answer);
  }
  t.is(first.scope, 24);
  t.is(
    summary(ask(zone, '2001:db8:1:2::1', { ecsPrefix: 64 })).scope,
    56,
    'IPv6 clients are hashed by /56',
  );
});

test('a record with a health check and no pools answers its healthy values', (t) => {
  const zone =
    `www:\n  type: A\n  ttl: 60\n  values: [192.0.2.1, 192.0.2.2]\n  method: all\n  ` +
    `healthcheck: {protocol: TCP, port: 80}\n`;
  t.deepEqual(summary(ask(zone, '192.0.2.55', { health: down('192.0.2.1') })), {
    outcome: 'default values',
    answer: ['60 IN A 192.0.2.2'],
    scope: 0,
    rule: undefined,
  });
});

test('a wildcard dynamic record answers with the query name', (t) => {
  const zone = POOL('{value: 192.0.2.1}').replace('www:', "'*.apps':");
  const a = ask(zone, '192.0.2.55', { name: 'x.apps.dyn.test.' });
  t.deepEqual(a.kind === 'answer' ? a.answer.map(formatRR) : [], [
    'x.apps.dyn.test. 60 IN A 192.0.2.1',
  ]);
});
