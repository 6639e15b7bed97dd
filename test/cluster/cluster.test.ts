// Cluster mode (SPEC §8) with real parts: a 3-member etcd cluster and 3 gslb processes on 127.0.0.1, each with its
// own copy of the zone files and its own SQLite file. A change sent to one node is in every node's answers; changes
// to one zone are serialized (one serial each, the same everywhere); without etcd quorum answers go on and writes
// are refused, and they work again when it returns.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { dig } from '../helpers/dig.ts';
import { type EtcdCluster, startEtcd } from '../helpers/etcd.ts';
import { nsupdate } from '../helpers/nsupdate.ts';
import { CLI, type ServerProcess, spawnServer } from '../helpers/process.ts';
import { run } from '../helpers/tools.ts';
import { serviceZone } from '../helpers/zones.ts';

const TOKEN = 'cluster-token-0123456789';
const SECRET = Buffer.from('cluster-test-secret-0123456789ab').toString('base64');
const ZONE = serviceZone('c.test', 2, 100);

let etcd: EtcdCluster;
let dir: string;
const nodes: ServerProcess[] = [];

/** The flags of a node whose files are in `home`. */
function nodeArgs(home: string, config = 'gslb.yaml', db = 'state.sqlite'): string[] {
  return [
    ...['--config', join(home, config), '--zones', join(home, 'zones')],
    ...['--geoip', join(home, 'none'), '--db', join(home, db)],
  ];
}

async function startNode(i: number, extra: readonly string[] = []): Promise<ServerProcess> {
  const home = join(dir, `ns${i}`);
  await mkdir(join(home, 'zones'), { recursive: true });
  await writeFile(join(home, 'zones', 'c.test.yaml'), ZONE);
  await writeFile(
    join(home, 'gslb.yaml'),
    `tsig_keys:
  - {name: ops-key, algorithm: hmac-sha256, secret: "${SECRET}"}
cluster:
  node: ns${i}
  etcd:
    endpoints: [${etcd.endpoints.join(', ')}]
    prefix: gslb-test/
`,
  );
  const node = await spawnServer([...nodeArgs(home), ...extra], { GSLB_API_TOKEN: TOKEN });
  await node.waitForLog(/cluster: node ns\d follows etcd/);
  return node;
}

test.before(async () => {
  etcd = await startEtcd(3);
  dir = await mkdtemp(join(tmpdir(), 'gslb-cluster-'));
  for (let i = 1; i <= 3; i++) nodes.push(await startNode(i));
});

test.after.always(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await etcd?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function addresses(node: ServerProcess, name: string): Promise<string[]> {
  const r = await dig(node.port, [name, 'A']);
  return r.answer.map((l) => l.split(/\s+/).pop()!).sort();
}

async function serial(node: ServerProcess): Promise<number> {
  const r = await dig(node.port, ['c.test.', 'SOA']);
  return Number(r.answer[0]?.split(/\s+/)[6]);
}

/** Polls `check` every 20 ms until it holds; the milliseconds it took, or undefined after `timeoutMs`. */
async function within(
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

function override(node: ServerProcess, member: string, status: string): Promise<Response> {
  return fetch(
    `http://127.0.0.1:${node.apiPort}/api/v1/zones/c.test./records/svc/A/members/${member}`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status, reason: 'cluster test' }),
    },
  );
}

test.serial(
  'an API override sent to node 1 is in the answers of nodes 2 and 3 within 1 s',
  async (t) => {
    for (const n of nodes)
      t.deepEqual(await addresses(n, 'svc.c.test.'), ['127.0.0.2', '127.0.0.3']);
    const before = await serial(nodes[0]!);
    const res = await override(nodes[0]!, '127.0.0.3', 'down');
    t.is(res.status, 200, await res.text());
    // The reply came after the commit: node 1 answers with the change at once.
    t.deepEqual(await addresses(nodes[0]!, 'svc.c.test.'), ['127.0.0.2']);
    for (const n of nodes.slice(1)) {
      const ms = await within(
        1000,
        async () => (await addresses(n, 'svc.c.test.')).join() === '127.0.0.2',
      );
      t.true(ms !== undefined, `node on ${n.port} did not follow within 1 s`);
    }
    const serials = await Promise.all(nodes.map(serial));
    t.true(
      serials.every((s) => s === serials[0] && s > before),
      JSON.stringify(serials),
    );
    t.is((await override(nodes[1]!, '127.0.0.3', 'obey')).status, 200);
  },
);

test.serial('nsupdate sent to node 2 is on every node, with the same SOA serial', async (t) => {
  const r = await nsupdate(
    ['-y', `hmac-sha256:ops-key:${SECRET}`],
    `server 127.0.0.1 ${nodes[1]!.port}\nzone c.test.\nupdate add new.c.test. 60 A 192.0.2.77\nsend\n`,
  );
  t.is(r.code, 0, r.output);
  t.deepEqual(await addresses(nodes[1]!, 'new.c.test.'), ['192.0.2.77']);
  for (const n of nodes) {
    const ms = await within(
      1000,
      async () => (await addresses(n, 'new.c.test.')).join() === '192.0.2.77',
    );
    t.true(ms !== undefined, `node on ${n.port} has no new.c.test.`);
  }
  const serials = await Promise.all(nodes.map(serial));
  t.true(
    serials.every((s) => s === serials[0]),
    JSON.stringify(serials),
  );
});

test.serial(
  '3 x 30 nsupdates at once at three nodes while the etcd leader dies: one serial each, one state everywhere',
  async (t) => {
    const start = await serial(nodes[0]!);
    const sends = nodes.flatMap((n, i) =>
      Array.from({ length: 30 }, (_, j) =>
        nsupdate(
          ['-y', `hmac-sha256:ops-key:${SECRET}`],
          `server 127.0.0.1 ${n.port}\nzone c.test.\nprereq nxrrset n${i}-${j}.c.test. A\n` +
            `update add n${i}-${j}.c.test. 60 A 198.51.100.${10 + i * 30 + j}\nsend\n`,
        ).then((r) => ({ name: `n${i}-${j}.c.test.`, ok: r.code === 0, output: r.output })),
      ),
    );
    // The same name from every node at once: exactly one of these may pass its prerequisite.
    const race = nodes.map((n, i) =>
      nsupdate(
        ['-y', `hmac-sha256:ops-key:${SECRET}`],
        `server 127.0.0.1 ${n.port}\nzone c.test.\nprereq nxdomain race.c.test.\n` +
          `update add race.c.test. 60 A 192.0.2.${200 + i}\nsend\n`,
      ).then((r) => ({ name: 'race.c.test.', ok: r.code === 0, output: r.output })),
    );
    // The etcd leader dies in the middle of it (and comes back after).
    await new Promise((resolve) => setTimeout(resolve, 150));
    const leader = await etcd.leader();
    await leader?.kill();
    const results = await Promise.all([...sends, ...race]);
    leader?.start();
    const acknowledged = results.filter((r) => r.ok);
    t.is(results.slice(-3).filter((r) => r.ok).length, 1, 'one racing update wins');
    await within(2000, async () => {
      const s = await Promise.all(nodes.map(serial));
      return s.every((x) => x === s[0]);
    });
    const serials = await Promise.all(nodes.map(serial));
    t.true(
      serials.every((s) => s === serials[0]),
      JSON.stringify(serials),
    );
    t.log(`serial ${start} -> ${serials[0]}, ${acknowledged.length} acknowledged`);
    const refused = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.output.trim()}`);
    t.is(
      serials[0]! - start,
      acknowledged.length,
      `one serial per acknowledged update; refused:\n${refused.join('\n')}`,
    );
    for (const n of nodes)
      for (const r of acknowledged)
        t.is((await addresses(n, r.name)).length, 1, `${r.name} on node ${n.port}`);
    t.is((await addresses(nodes[2]!, 'race.c.test.')).length, 1);
    // A refused update changed nothing.
    for (const n of nodes)
      for (const r of results.filter((x) => !x.ok && x.name !== 'race.c.test.'))
        t.deepEqual(await addresses(n, r.name), [], `${r.name} on node ${n.port}`);
    await etcd.healthy();
  },
);

test.serial(
  'GET /api/v1/cluster lists the nodes; a node whose zone file differs is named',
  async (t) => {
    const report = async () =>
      (await (await fetch(`http://127.0.0.1:${nodes[0]!.apiPort}/api/v1/cluster`)).json()) as {
        clustered: boolean;
        etcdUp: boolean;
        nodes: { node: string; differs: string[]; appliedRevision: number }[];
      };
    const first = await report();
    t.true(first.clustered && first.etcdUp);
    t.deepEqual(first.nodes.map((n) => n.node).sort(), ['ns1', 'ns2', 'ns3']);
    t.true(first.nodes.every((n) => n.differs.length === 0 && n.appliedRevision > 0));
    const shown = await run(process.execPath, [
      CLI,
      'status',
      '--server',
      `http://127.0.0.1:${nodes[1]!.apiPort}`,
    ]);
    t.is(shown.code, 0, shown.stderr);
    t.regex(
      shown.stdout,
      /^cluster: this is ns2; etcd up; applied revision \d+; health decided by ns\d$/m,
    );
    for (const name of ['ns1', 'ns2', 'ns3'])
      t.regex(shown.stdout, new RegExp(`^${name}\\s+\\d+\\s+\\S+\\s+-\\s+-$`, 'm'));
    const health = (await (
      await fetch(`http://127.0.0.1:${nodes[0]!.apiPort}/healthz`)
    ).json()) as {
      status: string;
      cluster: { etcd_up: boolean };
    };
    t.like(health, { status: 'ok', cluster: { etcd_up: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${nodes[0]!.apiPort}/metrics`)).text();
    t.regex(metrics, /^gslb_cluster_etcd_up 1$/m);
    t.regex(metrics, /^gslb_cluster_commit_seconds_count\{result="ok"\} [1-9]/m);
    // A comment changes the file, not its records: node 3 reloads it and is named as the one that differs.
    const file = join(dir, 'ns3', 'zones', 'c.test.yaml');
    await writeFile(file, `# edited on ns3\n${ZONE}`);
    const reloaded = await fetch(`http://127.0.0.1:${nodes[2]!.apiPort}/api/v1/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    t.is(reloaded.status, 200);
    const named = await within(4000, async () => {
      const r = await report();
      return r.nodes.find((n) => n.node === 'ns3')?.differs.join() === 'c.test.yaml';
    });
    t.true(named !== undefined, JSON.stringify(await report()));
    t.deepEqual(
      (await report()).nodes.filter((n) => n.differs.length > 0).map((n) => n.node),
      ['ns3'],
    );
    // The reload is in every node's journal, naming the node.
    for (const n of nodes) {
      const seen = await within(2000, async () => {
        const res = await fetch(`http://127.0.0.1:${n.apiPort}/api/v1/events?limit=5000`);
        const { events } = (await res.json()) as { events: { source: string; reason: string }[] };
        return events.some((e) => e.source === 'reload' && e.reason.endsWith('by node ns3'));
      });
      t.true(seen !== undefined, `node on ${n.port} has no reload entry`);
    }
  },
);

test.serial(
  'without etcd quorum: answers go on, writes are refused within 6 s, and work again within 10 s of its return',
  async (t) => {
    const [a, b] = etcd.members.slice(1);
    await Promise.all([a!.kill(), b!.kill()]);
    const refusedAt = Date.now();
    let status = 0;
    await within(6000, async () => {
      status = (await override(nodes[0]!, '127.0.0.3', 'down')).status;
      return status === 503;
    });
    t.is(status, 503);
    t.true(Date.now() - refusedAt < 6000 + 2500);
    const r = await nsupdate(
      ['-y', `hmac-sha256:ops-key:${SECRET}`],
      `server 127.0.0.1 ${nodes[1]!.port}\nzone c.test.\nupdate add down.c.test. 60 A 192.0.2.99\nsend\n`,
    );
    t.not(r.code, 0, 'UPDATE refused');
    t.regex(r.output, /SERVFAIL/);
    for (const n of nodes)
      t.deepEqual(await addresses(n, 'svc.c.test.'), ['127.0.0.2', '127.0.0.3']);
    a!.start();
    b!.start();
    const back = await within(
      10_000,
      async () => (await override(nodes[2]!, '127.0.0.3', 'down')).status === 200,
    );
    t.true(back !== undefined, 'writes work again within 10 s');
    for (const n of nodes) {
      const ms = await within(
        2000,
        async () => (await addresses(n, 'svc.c.test.')).join() === '127.0.0.2',
      );
      t.true(ms !== undefined, `node on ${n.port} follows after the outage`);
    }
  },
);

test.serial('a node SIGKILLed while others write catches up when it starts again', async (t) => {
  const victim = nodes[1]!;
  process.kill(victim.child.pid!, 'SIGKILL');
  await new Promise((resolve) => victim.child.once('exit', resolve));
  for (let i = 0; i < 5; i++) {
    // Right after the etcd outage a node may still be reading the state again (writes refused meanwhile).
    let r = { code: -1, output: '' };
    await within(10_000, async () => {
      r = await nsupdate(
        ['-y', `hmac-sha256:ops-key:${SECRET}`],
        `server 127.0.0.1 ${nodes[0]!.port}\nzone c.test.\nupdate add k${i}.c.test. 60 A 192.0.2.${150 + i}\nsend\n`,
      );
      return r.code === 0;
    });
    t.is(r.code, 0, r.output);
  }
  nodes[1] = await startNode(2);
  for (let i = 0; i < 5; i++) t.is((await addresses(nodes[1], `k${i}.c.test.`)).length, 1);
  t.is(await serial(nodes[1]), await serial(nodes[0]!));
  // Its journal has the changes made while it was away, copied once.
  const res = await fetch(`http://127.0.0.1:${nodes[1].apiPort}/api/v1/events?limit=5000`);
  const { events } = (await res.json()) as { events: { name: string | null }[] };
  for (let i = 0; i < 5; i++)
    t.is(events.filter((e) => e.name === `k${i}.c.test.`).length, 1, `k${i}.c.test.`);
});

test.serial('a node started while etcd is down serves the state it saved', async (t) => {
  const expected = await serial(nodes[2]!);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the snapshot is saved a second after a change
  await nodes[2]!.stop();
  await Promise.all(etcd.members.map((m) => m.kill()));
  try {
    const home = join(dir, 'ns3');
    const node = await spawnServer(nodeArgs(home), { GSLB_API_TOKEN: TOKEN });
    nodes[2] = node;
    await node.waitForLog(/etcd does not answer; serving the state saved here/);
    t.is(await serial(node), expected);
    t.is((await addresses(node, 'k4.c.test.')).length, 1);
    t.deepEqual(await addresses(node, 'svc.c.test.'), ['127.0.0.2']);
  } finally {
    etcd.members.forEach((m) => m.start());
    await etcd.healthy();
  }
});

test.serial('a single node becomes the first node of a cluster with its state', async (t) => {
  const home = join(dir, 'single');
  await mkdir(join(home, 'zones'), { recursive: true });
  await writeFile(join(home, 'zones', 'c.test.yaml'), ZONE);
  const config = (clustered: boolean, node: string) =>
    `tsig_keys:\n  - {name: ops-key, algorithm: hmac-sha256, secret: "${SECRET}"}\n` +
    (clustered
      ? `cluster:\n  node: ${node}\n  etcd:\n    endpoints: [${etcd.endpoints.join(', ')}]\n    prefix: gslb-import/\n`
      : '');
  const args = (node: string) => nodeArgs(home, `${node}.yaml`, `${node}.sqlite`);
  await writeFile(join(home, 'alone.yaml'), config(false, 'alone'));
  const alone = await spawnServer(args('alone'), { GSLB_API_TOKEN: TOKEN });
  const r = await nsupdate(
    ['-y', `hmac-sha256:ops-key:${SECRET}`],
    `server 127.0.0.1 ${alone.port}\nzone c.test.\nupdate add kept.c.test. 60 A 192.0.2.201\nsend\n`,
  );
  t.is(r.code, 0, r.output);
  const aloneSerial = await serial(alone);
  await alone.stop();
  await writeFile(join(home, 'alone.yaml'), config(true, 'first'));
  await writeFile(join(home, 'other.yaml'), config(true, 'other'));
  const first = await spawnServer(args('alone'), { GSLB_API_TOKEN: TOKEN });
  const other = await spawnServer(args('other'), { GSLB_API_TOKEN: TOKEN });
  try {
    await first.waitForLog(/imported this node's state into etcd/);
    await other.waitForLog(/cluster: node other follows etcd/);
    for (const n of [first, other]) {
      t.deepEqual(await addresses(n, 'kept.c.test.'), ['192.0.2.201']);
      t.is(await serial(n), aloneSerial);
    }
  } finally {
    await Promise.all([first.stop(), other.stop()]);
  }
});

test.serial(
  'a node with DNS workers: its workers answer with changes made at other nodes',
  async (t) => {
    const withWorkers = await startNode(4, ['--workers', '2']);
    try {
      await withWorkers.waitForLog(/2 DNS worker process\(es\) serving/);
      await etcd.healthy();
      const want =
        (await addresses(nodes[0]!, 'svc.c.test.')).join() === '127.0.0.2' ? 'obey' : 'down';
      let res: Response | undefined;
      await within(
        10_000,
        async () => (res = await override(nodes[0]!, '127.0.0.3', want)).status === 200,
      );
      t.is(res?.status, 200);
      const expected = want === 'down' ? '127.0.0.2' : '127.0.0.2,127.0.0.3';
      // Every worker: a burst of queries, each from its own socket, spreads over them.
      const ms = await within(1000, async () => {
        const seen = await Promise.all(
          Array.from({ length: 16 }, () => addresses(withWorkers, 'svc.c.test.')),
        );
        return seen.every((a) => a.join() === expected);
      });
      t.true(ms !== undefined, 'the workers follow the change within 1 s');
    } finally {
      await withWorkers.stop();
    }
  },
);
