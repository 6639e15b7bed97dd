// The quorum rule by table: which members a set of observations takes out or brings back.
import test from 'ava';
import { downQuorum, type HealthTarget, quorumTransitions } from '../../src/health/index.ts';

test('how many live nodes must see a member down', (t) => {
  const cases: [setting: string, live: number, needed: number | undefined][] = [
    ['majority', 0, undefined],
    ['majority', 1, 1],
    ['majority', 2, 2],
    ['majority', 3, 2],
    ['majority', 4, 3],
    ['majority', 5, 3],
    ['all', 3, 3],
    ['all', 1, 1],
    ['2', 3, 2],
    ['2', 2, 2],
    ['2', 1, undefined], // too few live nodes to decide: the last decision stands
  ];
  for (const [setting, live, needed] of cases)
    t.is(downQuorum(setting, live), needed, `${setting} of ${live}`);
});

const target = (address: string, initiallyUp = true): HealthTarget => ({
  key: `HTTP|${address}|80|svc|/`,
  interval: '1s',
  intervalMs: 1000,
  spec: {
    protocol: 'HTTP',
    address,
    port: 80,
    host: 'svc',
    path: '/',
    expect: [200, 399],
    timeoutMs: 500,
    tlsVerify: false,
  },
  subscribers: [
    { zone: 'q.test.', name: 'svc.q.test.', type: 1, ttl: 5, rise: 1, fall: 1, initiallyUp },
  ],
});

test('members leave when a quorum of the live nodes sees them down, and come back when not', (t) => {
  const targets = [target('192.0.2.1'), target('192.0.2.2'), target('192.0.2.3', false)];
  const key = (a: string) => `svc.q.test.|1|${a}`;
  const seen = (byNode: Record<string, Record<string, boolean>>, nodes = Object.keys(byNode)) => ({
    nodes: new Set(nodes),
    byNode: new Map(
      Object.entries(byNode).map(([n, m]) => [
        n,
        new Map(Object.entries(m).map(([a, up]) => [key(a), up])),
      ]),
    ),
  });
  const decide = (
    s: ReturnType<typeof seen>,
    setting = 'majority',
    current = new Map<string, boolean>(),
  ) =>
    quorumTransitions(targets, s, setting, (record, address) => current.get(`${record}|${address}`))
      .map((tr) => `${tr.address} ${tr.up ? 'up' : 'down'}`)
      .sort();
  // .1 down at one node of three: stays. .2 down at two: leaves. .3 starts down, two see it up: back.
  const three = seen({
    a: { '192.0.2.1': false, '192.0.2.2': false, '192.0.2.3': true },
    b: { '192.0.2.1': true, '192.0.2.2': false, '192.0.2.3': true },
    c: { '192.0.2.1': true, '192.0.2.2': true },
  });
  t.deepEqual(decide(three), ['192.0.2.2 down', '192.0.2.3 up']);
  t.deepEqual(decide(three, 'all'), ['192.0.2.3 up']);
  t.deepEqual(decide(three, '1'), ['192.0.2.1 down', '192.0.2.2 down', '192.0.2.3 up']);
  // A node that is not live does not count, whatever it said; one that said nothing does not see it down.
  t.deepEqual(decide(seen({ a: { '192.0.2.2': false }, b: { '192.0.2.2': false } }, ['a', 'c'])), [
    '192.0.2.3 up',
  ]);
  // Already decided: nothing to do.
  const current = new Map([
    [key('192.0.2.2'), false],
    [key('192.0.2.3'), true],
  ]);
  t.deepEqual(decide(three, 'majority', current), []);
  // Too few live nodes for "2": no decision at all.
  t.deepEqual(decide(seen({ a: { '192.0.2.1': false } }), '2'), []);
});
