// Health decided by a quorum of vantage points (SPEC §8), with real parts: a 3-member etcd cluster, 3 gslb
// processes probing from their own source addresses (probe_source 127.0.0.11, .12, .13) and 3 real HTTP backends
// on 127.0.0.2, .3, .4 that refuse chosen sources, as a firewall in front of one site would.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { type Backend, startBackends } from '../helpers/backend.ts';
import { dig } from '../helpers/dig.ts';
import { type EtcdCluster, startEtcd } from '../helpers/etcd.ts';
import { type ServerProcess, spawnServer } from '../helpers/process.ts';
import { checkedZone } from '../helpers/zones.ts';

const source = (i: number): string => `127.0.0.${10 + i}`;

let etcd: EtcdCluster;
let dir: string;
let backends: Backend[];
const nodes = new Map<number, ServerProcess>();

async function startNode(i: number): Promise<ServerProcess> {
  const home = join(dir, `ns${i}`);
  await mkdir(join(home, 'zones'), { recursive: true });
  const check = 'host: svc.q.test, interval: 1s, timeout: 400ms, rise: 1, fall: 1';
  await writeFile(
    join(home, 'zones', 'q.test.yaml'),
    checkedZone('q.test', backends[0]!.port, 3, check),
  );
  await writeFile(
    join(home, 'gslb.yaml'),
    `probe_source: ${source(i)}
cluster:
  node: ns${i}
  health_quorum: majority
  etcd:
    endpoints: [${etcd.endpoints.join(', ')}]
    prefix: gslb-quorum/
`,
  );
  const node = await spawnServer([
    ...['--config', join(home, 'gslb.yaml'), '--zones', join(home, 'zones')],
    ...['--geoip', join(home, 'none'), '--db', join(home, 'state.sqlite')],
  ]);
  await node.waitForLog(/cluster: node ns\d follows etcd/);
  nodes.set(i, node);
  return node;
}

test.before(async () => {
  [etcd, backends] = await Promise.all([startEtcd(3), startBackends(3)]);
  dir = await mkdtemp(join(tmpdir(), 'gslb-quorum-'));
});

test.after.always(async () => {
  await Promise.all([...nodes.values()].map((n) => n.stop()));
  await Promise.all((backends ?? []).map((b) => b.stop()));
  await etcd?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function answers(node: ServerProcess): Promise<string> {
  const r = await dig(node.port, ['svc.q.test.', 'A']);
  return r.answer
    .map((l) => l.split(/\s+/).pop()!)
    .sort()
    .join(' ');
}

async function serial(node: ServerProcess): Promise<number> {
  return Number((await dig(node.port, ['q.test.', 'SOA'])).answer[0]?.split(/\s+/)[6]);
}

interface ClusterBody {
  healthDecider: string | null;
  nodes: { node: string; seesDown: string[] }[];
}

async function cluster(node: ServerProcess): Promise<ClusterBody> {
  return (await (
    await fetch(`http://127.0.0.1:${node.apiPort}/api/v1/cluster`)
  ).json()) as ClusterBody;
}

/** Polls every 100 ms until every node in `of` answers `expected`; false after `timeoutMs`. */
async function allAnswer(
  of: readonly ServerProcess[],
  expected: string,
  timeoutMs: number,
): Promise<boolean> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const now = await Promise.all(of.map(answers));
    if (now.every((a) => a === expected)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

test.serial(
  'a member one vantage point cannot reach stays; one that two of three cannot reach leaves every node',
  async (t) => {
    // ns3 first, so that it holds the decider key: the test below kills the decider.
    await startNode(3);
    let decider: string | null = null;
    for (let i = 0; i < 30 && decider === null; i++) {
      decider = (await cluster(nodes.get(3)!)).healthDecider;
      if (decider === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.is(decider, 'ns3');
    await Promise.all([startNode(1), startNode(2)]);
    const all = [...nodes.values()];
    t.true(await allAnswer(all, '127.0.0.2 127.0.0.3 127.0.0.4', 5000), 'all members up at first');
    backends[0]!.refuse.add(source(1)); // 127.0.0.2: only ns1 cannot reach it
    backends[1]!.refuse.add(source(1)); // 127.0.0.3: ns1 and ns2 cannot
    backends[1]!.refuse.add(source(2));
    t.true(
      await allAnswer(all, '127.0.0.2 127.0.0.4', 8000),
      JSON.stringify(await Promise.all(all.map(answers))),
    );
    // Every node publishes what it sees: ns1 sees both down, ns2 one, ns3 none (each target probed on its own
    // jittered schedule, so ns1's second verdict may come a little after the first decision).
    const expected = {
      ns1: 'svc.q.test. A 127.0.0.2, svc.q.test. A 127.0.0.3',
      ns2: 'svc.q.test. A 127.0.0.3',
      ns3: '',
    };
    let down: Record<string, string> = {};
    for (let i = 0; i < 30; i++) {
      const seen = await cluster(nodes.get(2)!);
      down = Object.fromEntries(seen.nodes.map((n) => [n.node, n.seesDown.join(', ')]));
      if (JSON.stringify(down) === JSON.stringify(expected)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.deepEqual(down, expected);
    // And it stays so: the member only ns1 cannot reach is never taken out.
    for (let i = 0; i < 10; i++) {
      t.deepEqual(await Promise.all(all.map(answers)), Array(3).fill('127.0.0.2 127.0.0.4'));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  },
);

test.serial(
  'the decider SIGKILLed: its observations expire, another node decides with the two left; restarted, it agrees',
  async (t) => {
    const victim = nodes.get(3)!;
    process.kill(victim.child.pid!, 'SIGKILL');
    await new Promise((resolve) => victim.child.once('exit', resolve));
    nodes.delete(3);
    const left = [nodes.get(1)!, nodes.get(2)!];
    // Its lease (5 s) takes its node key, its observations and the decider key with it.
    let view: ClusterBody | undefined;
    const start = Date.now();
    while (Date.now() - start < 12_000) {
      view = await cluster(left[0]!);
      if (view.healthDecider && view.healthDecider !== 'ns3' && view.nodes.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    t.true(view?.healthDecider === 'ns1' || view?.healthDecider === 'ns2', JSON.stringify(view));
    t.deepEqual(view?.nodes.map((n) => n.node).sort(), ['ns1', 'ns2']);
    // 127.0.0.4 now unreachable from both live nodes: 2 of 2 is a majority, and the new decider acts on it.
    backends[2]!.refuse.add(source(1));
    backends[2]!.refuse.add(source(2));
    t.true(
      await allAnswer(left, '127.0.0.2', 8000),
      JSON.stringify(await Promise.all(left.map(answers))),
    );
    // ns3 comes back: it sees 127.0.0.3 and .4 up, but 2 of 3 still see them down.
    const back = await startNode(3);
    t.true(await allAnswer([back], '127.0.0.2', 3000), await answers(back));
    await new Promise((resolve) => setTimeout(resolve, 2500)); // its probes have run
    const all = [...nodes.values()];
    t.deepEqual(await Promise.all(all.map(answers)), Array(3).fill('127.0.0.2'));
    const serials = await Promise.all(all.map(serial));
    t.true(
      serials.every((s) => s === serials[0]),
      JSON.stringify(serials),
    );
    // Reachable again from two nodes: back in every node's answers.
    backends[1]!.refuse.delete(source(2));
    t.true(
      await allAnswer(all, '127.0.0.2 127.0.0.3', 8000),
      JSON.stringify(await Promise.all(all.map(answers))),
    );
  },
);
