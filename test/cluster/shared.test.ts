// The shared state in this process (where its code is measured): two in-process servers on one etcd prefix, with
// a real etcd member; the keys' encoding; what etcd values gslb did not write do to a node.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  keysOfLive,
  liveFromKeys,
  parseZoneKey,
  SharedState,
  zoneKey,
} from '../../src/cluster/index.ts';
import { MAX_WAITING_WRITES } from '../../src/app/state.ts';
import { Rcode } from '../../src/core/index.ts';
import { decodeMessage } from '../../src/dns/index.ts';
import { dig } from '../helpers/dig.ts';
import { type EtcdCluster, startEtcd } from '../helpers/etcd.ts';
import { serviceZone } from '../helpers/zones.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { run } from '../helpers/tools.ts';
import { rrOf, signedUpdate } from '../helpers/wire.ts';

const TOKEN = 'shared-token-0123456789';
const SECRET = Buffer.from('shared-test-secret-0123456789abc').toString('base64');
const KEY = {
  name: 'ops-key.',
  algorithm: 'hmac-sha256' as const,
  secret: Buffer.from(SECRET, 'base64'),
};
const ZONE = serviceZone('s.test', 2, 7);

let etcd: EtcdCluster;
let dir: string;

test.before(async () => {
  etcd = await startEtcd(1);
  dir = await mkdtemp(join(tmpdir(), 'gslb-shared-'));
});

test.after.always(async () => {
  await etcd?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function node(
  name: string,
  prefix: string,
  db = join(dir, `${prefix}${name}.sqlite`),
): Promise<TestServer> {
  return startTestServer(
    { 's.test.yaml': ZONE },
    {
      http: true,
      apiToken: TOKEN,
      dbPath: db,
      tsigKeys: [{ name: 'ops-key.', algorithm: 'hmac-sha256', secret: SECRET, zones: undefined }],
      cluster: {
        node: name,
        etcd: {
          endpoints: etcd.endpoints,
          prefix: `${prefix}/`,
          username: undefined,
          password: undefined,
          maxTxnOps: 32,
          tls: undefined,
        },
        healthQuorum: 'majority',
      },
    },
  );
}

async function addresses(s: TestServer, name: string): Promise<string[]> {
  return (await dig(s.port, [name, 'A'])).answer.map((l) => l.split(/\s+/).pop()!).sort();
}

async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until;) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

const add = (name: string, address: string, id: number): Buffer =>
  signedUpdate('s.test.', [rrOf(`${name}.s.test. 60 IN A ${address}`)], KEY, { id });

test.serial(
  'two nodes in this process: updates and overrides at either are in both; conflicts are planned again',
  async (t) => {
    const [a, b] = [await node('a', 'p1'), await node('b', 'p1')];
    try {
      // Ten updates at each at once: every one acknowledged, one serial each, the same state at both.
      const serialOf = (s: TestServer) => Number(s.app.live().serials.get('s.test.'));
      const start = serialOf(a);
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).app.update(add(`u${i}`, `192.0.2.${i + 1}`, i), '127.0.0.1'),
        ),
      );
      const rcodes = replies.map((r) => decodeMessage(r.reply).rcode);
      t.true(
        rcodes.every((c) => c === Rcode.NOERROR),
        `${JSON.stringify(rcodes)}\n${[...a.logs, ...b.logs].join('\n')}`,
      );
      t.true(
        await within(
          2000,
          async () =>
            (await addresses(b, 'u19.s.test.')).length === 1 &&
            (await addresses(a, 'u18.s.test.')).length === 1,
        ),
      );
      t.true(await within(2000, () => serialOf(a) === serialOf(b)));
      t.is(serialOf(a) - start, 20, 'one serial per update');
      // An override at b is in a's answers.
      const res = await fetch(`${b.api}/api/v1/zones/s.test./records/svc/A/members/127.0.0.3`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'down' }),
      });
      t.is(res.status, 200);
      t.true(
        await within(1000, async () => (await addresses(a, 'svc.s.test.')).join() === '127.0.0.2'),
      );
      // What a node reports of the cluster, in JSON and in /metrics.
      const report = (await (await fetch(`${a.api}/api/v1/cluster`)).json()) as {
        nodes: { node: string }[];
      };
      t.deepEqual(report.nodes.map((n) => n.node).sort(), ['a', 'b']);
      t.like(await (await fetch(`${a.api}/healthz`)).json(), {
        status: 'ok',
        cluster: { node: 'a', etcd_up: true },
      });
      t.true(
        await within(3000, async () =>
          /^gslb_cluster_nodes_up 2$/m.test(await (await fetch(`${a.api}/metrics`)).text()),
        ),
      );
      // Journal entries from b are in a's journal.
      t.true(await within(1000, () => a.app.journal(0, 1000).some((j) => j.source === 'api')));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test.serial(
  'etcd gone: writes refused at once, answers unchanged, a restart serves the saved state; back: caught up',
  async (t) => {
    const db = join(dir, 'p2-a.sqlite');
    let a = await node('a', 'p2', db);
    try {
      t.is(
        decodeMessage((await a.app.update(add('before', '192.0.2.70', 1), '127.0.0.1')).reply)
          .rcode,
        Rcode.NOERROR,
      );
      await new Promise((resolve) => setTimeout(resolve, 1200)); // saved a second after the change
      await etcd.members[0]!.kill();
      t.true(
        await within(3000, async () => {
          const health = (await (await fetch(`${a.api}/healthz`)).json()) as { status: string };
          return health.status === 'degraded';
        }),
      );
      const refused = await a.app.update(add('during', '192.0.2.71', 2), '127.0.0.1');
      t.is(decodeMessage(refused.reply).rcode, Rcode.SERVFAIL);
      const api = await fetch(`${a.api}/api/v1/zones/s.test./records/svc/A/members/127.0.0.3`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'down' }),
      });
      t.is(api.status, 503);
      t.is(api.headers.get('retry-after'), '5');
      t.deepEqual(await addresses(a, 'before.s.test.'), ['192.0.2.70']);
      const cluster = (await (await fetch(`${a.api}/api/v1/cluster`)).json()) as {
        etcdUp: boolean;
        nodes: unknown;
      };
      t.like(cluster, { etcdUp: false, nodes: undefined });
      await a.close();
      a = await node('a', 'p2', db);
      t.true(
        a.logs.some((l) => /etcd does not answer; serving the state saved here/.test(l)),
        a.logs.join('\n'),
      );
      t.deepEqual(await addresses(a, 'before.s.test.'), ['192.0.2.70']);
      etcd.members[0]!.start();
      await etcd.healthy();
      t.true(
        await within(
          10_000,
          async () =>
            decodeMessage((await a.app.update(add('after', '192.0.2.72', 3), '127.0.0.1')).reply)
              .rcode === Rcode.NOERROR,
        ),
      );
      t.deepEqual(await addresses(a, 'after.s.test.'), ['192.0.2.72']);
    } finally {
      await a.close();
    }
  },
);

test.serial(
  'etcd stalls: writes beyond the waiting limit are refused at once; nothing is queued for later',
  async (t) => {
    const a = await node('a', 'p4');
    try {
      etcd.members[0]!.pause();
      const started = Date.now();
      const over: number[] = [];
      const replies = await Promise.all(
        Array.from({ length: MAX_WAITING_WRITES + 100 }, (_, i) =>
          a.app.update(add(`q${i}`, '192.0.2.90', i), '127.0.0.1').then((r) => {
            if (Date.now() - started < 500) over.push(i);
            return decodeMessage(r.reply).rcode;
          }),
        ),
      );
      t.true(replies.every((c) => c === Rcode.SERVFAIL));
      t.true(over.length >= 100, `${over.length} refused at once`);
      t.true(Date.now() - started < 10_000, 'the queue drains once etcd is seen down');
      etcd.members[0]!.resume();
      await etcd.healthy();
      t.true(
        await within(10_000, async () => {
          const r = await a.app.update(add('thawed', '192.0.2.91', 9999), '127.0.0.1');
          return decodeMessage(r.reply).rcode === Rcode.NOERROR;
        }),
      );
      t.deepEqual(await addresses(a, 'q0.s.test.'), []);
    } finally {
      etcd.members[0]!.resume();
      await a.close();
    }
  },
);

test.serial('values gslb did not write are skipped, and the node goes on', async (t) => {
  const a = await node('a', 'p3');
  try {
    const put = (key: string, value: string) =>
      run('etcdctl', [`--endpoints=${etcd.endpoints[0]}`, 'put', `p3/${key}`, value]);
    await put(zoneKey.overlay('s.test.', 'x.s.test.|1'), 'not json');
    await put(zoneKey.member('s.test.', 'svc.s.test.|1', '127.0.0.3'), '{');
    await put('z/%zz/o/a', '1');
    await put('j/other/1', 'not json');
    t.true(
      await within(2000, () =>
        a.logs.some((l) => /does not hold what gslb writes there; skipped/.test(l)),
      ),
    );
    t.true(a.logs.some((l) => /journal entry .* is not JSON; skipped/.test(l)));
    t.is(
      decodeMessage((await a.app.update(add('fine', '192.0.2.80', 1), '127.0.0.1')).reply).rcode,
      Rcode.NOERROR,
    );
    t.deepEqual(await addresses(a, 'svc.s.test.'), ['127.0.0.2', '127.0.0.3']);
  } finally {
    await a.close();
  }
});

test('keys: what keysOfLive writes, liveFromKeys reads back; names with "/" and "%" do not collide', (t) => {
  t.deepEqual(parseZoneKey(zoneKey.member('a/b.', 'x/y.a/b.|1', '192.0.2.1')), {
    kind: 'member',
    zone: 'a/b.',
    record: 'x/y.a/b.|1',
    address: '192.0.2.1',
  });
  t.deepEqual(parseZoneKey(zoneKey.override('z.', 'w.z.|28', 'pool', 'eu/1')), {
    kind: 'override',
    zone: 'z.',
    record: 'w.z.|28',
    target: 'pool',
    key: 'eu/1',
  });
  for (const bad of ['z/', 'z/%zz/serial', 'q/z./serial', 'z/z./v/r/neither/k', 'z/z./o/a/b'])
    t.is(parseZoneKey(bad), undefined, bad);
  const entries: [string, string][] = [
    [zoneKey.serial('z.'), '9'],
    [
      zoneKey.overlay('z.', 'a.z.|1'),
      JSON.stringify({ ttl: 60, base: null, records: [{ type: 'A', address: '192.0.2.1' }] }),
    ],
    [
      zoneKey.overlay('z.', 'b.z.|99'),
      JSON.stringify({
        ttl: 5,
        base: '[]',
        records: [{ type: 'UNKNOWN', code: 99, data: 'abcd' }],
      }),
    ],
    [
      zoneKey.member('z.', 'w.z.|1', '192.0.2.5'),
      JSON.stringify({ inService: false, health: true, healthSince: 3 }),
    ],
    [
      zoneKey.override('z.', 'w.z.|1', 'member', '192.0.2.5'),
      JSON.stringify({ status: 'down', reason: 'r', at: 4 }),
    ],
    [
      zoneKey.override('z.', 'w.z.|1', 'pool', 'eu'),
      JSON.stringify({ status: 'up', reason: null, at: 5 }),
    ],
  ];
  const live = liveFromKeys(entries);
  t.is(live.serials.get('z.'), 9);
  t.deepEqual(live.overlays.get('z.')!.get('b.z.|99')!.records[0]!.data, {
    type: 'UNKNOWN',
    code: 99,
    data: Buffer.from('abcd', 'hex'),
  });
  const again = keysOfLive(live).sort();
  t.deepEqual(liveFromKeys(again).members.get('w.z.|1')?.get('192.0.2.5'), {
    inService: false,
    health: true,
    healthSince: 3,
  });
  t.is(again.length, entries.length);
  t.deepEqual(
    liveFromKeys([
      ...entries,
      [zoneKey.serial('y.'), 'x'],
      [zoneKey.overlay('z.', 'c.z.|1'), '{'],
    ]).overlays.get('z.')!.size,
    2,
  );
});

/** A SharedState of its own on `prefix`, started on an empty state. */
async function sharedNode(name: string, prefix: string): Promise<SharedState> {
  const shared = await SharedState.create(
    { endpoints: etcd.endpoints, prefix, username: undefined, password: undefined },
    name,
    {
      apply: () => undefined,
      replace: () => undefined,
      info: () => undefined,
      warn: () => undefined,
    },
    () => ({}),
  );
  await shared.start(liveFromKeys([]));
  return shared;
}

test.serial(
  'observations are published under the node lease and go with it; the decider key fences health writes',
  async (t) => {
    const prefix = 'p-quorum/';
    const a = await sharedNode('a', prefix);
    const b = await sharedNode('b', prefix);
    const { Etcd3 } = await import('etcd3');
    const raw = new Etcd3({ hosts: [...etcd.endpoints] });
    try {
      t.true(await within(3000, () => a.peers().nodes.size === 2 && b.peers().nodes.size === 2));
      t.is(a.peers().decider, 'a', 'the first node takes the decider key');
      t.true(a.peers().deciding);
      t.false(b.peers().deciding);
      // What a sees, in b's mirror; a change of it too.
      await a.publish(
        new Map([
          ['svc.s.test.|1|192.0.2.1', false],
          ['svc.s.test.|1|192.0.2.2', true],
        ]),
      );
      t.true(
        await within(
          2000,
          () => b.peers().byNode.get('a')?.get('svc.s.test.|1|192.0.2.1') === false,
        ),
      );
      await a.publish(new Map([['svc.s.test.|1|192.0.2.1', true]]));
      t.true(
        await within(
          2000,
          () =>
            b.peers().byNode.get('a')?.get('svc.s.test.|1|192.0.2.1') === true &&
            !b.peers().byNode.get('a')?.has('svc.s.test.|1|192.0.2.2'),
        ),
      );
      // b may not write a fenced (health) change; a may.
      const delta = (serial: number) => ({
        origin: 's.test.',
        serial,
        overlays: [],
        members: [],
        overrides: [],
      });
      const refused = await b.commit(delta(2), [], b.zoneRevisionOf('s.test.'), true);
      t.false(refused.ok);
      const written = await a.commit(delta(2), [], a.zoneRevisionOf('s.test.'), true);
      t.true(written.ok, JSON.stringify(written));
      // The key taken from a (as its lease would be, had it been paused past it), and held by another: a node that
      // has not seen that yet, its mirror saying it still decides, is refused by etcd itself.
      const key = `${prefix}d/decider`;
      await raw.delete().key(key);
      await raw.put(key).value('elsewhere');
      t.true(await within(2000, () => a.peers().decider === 'elsewhere'));
      const paused = a as unknown as { decider: { node: string; createRevision: number } };
      const own = (a as unknown as { ownDeciderRevision: number }).ownDeciderRevision;
      paused.decider = { node: 'a', createRevision: own };
      t.true(a.peers().deciding, 'the stale mirror says a decides');
      const fenced = await a.commit(delta(3), [], a.zoneRevisionOf('s.test.'), true);
      t.false(fenced.ok, 'etcd refused the fenced write');
      t.is((await raw.get(`${prefix}z/s.test./serial`).string()) ?? '', '2');
      // a goes (its lease revoked at close): its node key and observations leave b's mirror.
      await raw.delete().key(key);
      await a.close();
      t.true(await within(3000, () => !b.peers().nodes.has('a') && !b.peers().byNode.has('a')));
      // With the key free, b takes it at its next probe.
      t.true(await within(3000, () => b.peers().deciding));
    } finally {
      raw.close();
      await a.close().catch(() => undefined);
      await b.close();
    }
  },
);

test.serial(
  'a change with more writes than etcd takes in one transaction is refused with what to raise',
  async (t) => {
    const a = await node('a', 'p-txn');
    try {
      // 40 names: 40 RRset keys, the serial, the journal and the request id, over max_txn_ops 32.
      const big = signedUpdate(
        's.test.',
        Array.from({ length: 40 }, (_, i) => rrOf(`t${i}.s.test. 60 IN A 192.0.2.${i + 1}`)),
        KEY,
        { id: 77 },
      );
      const r = await a.app.update(big, '127.0.0.1');
      t.is(decodeMessage(r.reply).rcode, Rcode.SERVFAIL);
      t.true(
        a.logs.some((l) =>
          /more than etcd takes in one transaction \(32: raise etcd's --max-txn-ops/.test(l),
        ),
        a.logs.join('\n'),
      );
      t.is((await addresses(a, 't0.s.test.')).length, 0);
      // Ten names fit.
      const small = signedUpdate(
        's.test.',
        Array.from({ length: 10 }, (_, i) => rrOf(`f${i}.s.test. 60 IN A 192.0.2.${i + 1}`)),
        KEY,
        { id: 78 },
      );
      t.is(decodeMessage((await a.app.update(small, '127.0.0.1')).reply).rcode, Rcode.NOERROR);
    } finally {
      await a.close();
    }
  },
);

test.serial(
  'a single node that joins while etcd is down imports its state once etcd answers, not an empty one',
  async (t) => {
    const db = join(dir, 'late.sqlite');
    const alone = await startTestServer(
      { 's.test.yaml': ZONE },
      {
        dbPath: db,
        tsigKeys: [
          { name: 'ops-key.', algorithm: 'hmac-sha256', secret: SECRET, zones: undefined },
        ],
      },
    );
    t.is(decodeMessage((await alone.app.update(add('mine', '192.0.2.90', 1))).reply).rcode, 0);
    await alone.close();
    await etcd.members[0]!.kill();
    const a = await node('a', 'p-late', db);
    try {
      t.deepEqual(await addresses(a, 'mine.s.test.'), ['192.0.2.90']);
      etcd.members[0]!.start();
      await etcd.healthy();
      const { Etcd3 } = await import('etcd3');
      const raw = new Etcd3({ hosts: [...etcd.endpoints] });
      try {
        t.true(
          await within(
            10_000,
            async () => (await raw.get('p-late/meta/created').string()) !== null,
          ),
        );
        t.true((await raw.getAll().prefix('p-late/z/').keys()).some((k) => k.includes('mine')));
      } finally {
        raw.close();
      }
      t.deepEqual(await addresses(a, 'mine.s.test.'), ['192.0.2.90']);
      t.true(a.logs.some((l) => /imported this node's state into etcd/.test(l)));
    } finally {
      await a.close();
    }
  },
);
