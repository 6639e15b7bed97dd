// --workers N: worker processes share the listeners; the primary alone probes, writes and serves the API; every
// worker follows each change within 100 ms, and reloads; UPDATE through a worker; /metrics adds the workers up; a
// dead worker is replaced.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { type Backend, startBackends } from '../helpers/backend.ts';
import { dig } from '../helpers/dig.ts';
import { nsupdate } from '../helpers/nsupdate.ts';
import { type ServerProcess, spawnServer } from '../helpers/process.ts';
import { buildQuery, udpExchange } from '../helpers/wire.ts';
import { checkedZone } from '../helpers/zones.ts';

const TOKEN = 'workers-token-0123456789';
const SECRET = Buffer.from('workers-test-secret-0123456789ab').toString('base64');
const INTERVAL_S = 1;

const zone = (port: number): string =>
  checkedZone('workers.test', port, 2, `interval: ${INTERVAL_S}s, timeout: 500ms`);

let server: ServerProcess;
let backends: Backend[];
let dir: string;

test.before(async () => {
  backends = await startBackends(2);
  dir = await mkdtemp(join(tmpdir(), 'gslb-workers-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', 'workers.test.yaml'), zone(backends[0]!.port));
  await writeFile(
    join(dir, 'gslb.yaml'),
    `tsig_keys:\n  - {name: ops-key, algorithm: hmac-sha256, secret: "${SECRET}"}\n`,
  );
  server = await spawnServer(
    [
      '--workers',
      '2',
      '--config',
      join(dir, 'gslb.yaml'),
      '--zones',
      join(dir, 'zones'),
      '--geoip',
      join(dir, 'none'),
      '--db',
      join(dir, 'state.sqlite'),
    ],
    { GSLB_API_TOKEN: TOKEN },
  );
  await server.waitForLog(/2 DNS worker process\(es\) serving/);
});

test.after.always(async () => {
  await server?.stop();
  await Promise.all((backends ?? []).map((b) => b.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The PIDs of the primary's children (its workers), from /proc. */
async function workerPids(): Promise<number[]> {
  const pid = server.child.pid!;
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** `total` queries, `parallel` at a time, each from its own socket; the answers' A addresses as sorted text. */
async function burst(name: string, total: number, parallel: number): Promise<string[]> {
  return (await timedBurst(name, total, parallel)).map((r) => r.answer);
}

/** As burst, with the time (Date.now()) each query was sent. */
async function timedBurst(
  name: string,
  total: number,
  parallel: number,
): Promise<{ sent: number; answer: string }[]> {
  const out: { sent: number; answer: string }[] = [];
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < total) {
      next++;
      const sent = Date.now();
      const reply = await udpExchange(
        server.port,
        buildQuery(name, 'A', { id: next & 0xffff }),
        2000,
      );
      out.push({ sent, answer: reply ? addressesOf(reply) : 'timeout' });
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  return out;
}

function addressesOf(reply: Buffer): string {
  // Answers here are A records at the end of the message: read them from the answer count.
  const answers = reply.readUInt16BE(6);
  const found: string[] = [];
  for (let i = 0, at = reply.length - answers * 16; i < answers; i++, at += 16)
    found.push([...reply.subarray(at + 12, at + 16)].join('.'));
  return found.sort().join(',');
}

test.serial(
  'the primary starts two workers; both take queries from the shared socket',
  async (t) => {
    const pids = await workerPids();
    t.is(pids.length, 2, 'two worker processes');
    const before = await Promise.all(pids.map(cpuTicks));
    const answers = await burst('svc.workers.test.', 20_000, 64);
    t.is(answers.filter((a) => a === 'timeout').length, 0);
    const after = await Promise.all(pids.map(cpuTicks));
    t.true(
      after.every((ticks, i) => ticks > before[i]!),
      `both workers used CPU: ${before.join(',')} → ${after.join(',')}`,
    );
  },
);

test.serial(
  'health probes run in the primary only: one probe per member per interval, not one per worker',
  async (t) => {
    const start = backends.map((b) => b.requests);
    await new Promise((r) => setTimeout(r, 4_000));
    const probes = backends.map((b, i) => b.requests - start[i]!);
    // Four seconds at a 1 s interval (with jitter): about four probes per member; with two workers probing, eight.
    t.true(
      probes.every((n) => n >= 2 && n <= 6),
      `probes per member in 4 s: ${probes.join(', ')}`,
    );
  },
);

test.serial('a change reaches every worker within 100 ms of its acknowledgement', async (t) => {
  const put = (status: string) =>
    fetch(
      `http://127.0.0.1:${server.apiPort}/api/v1/zones/workers.test/records/svc/A/members/127.0.0.3`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status, reason: 'workers test' }),
      },
    );
  for (const [status, expected] of [
    ['down', '127.0.0.2'],
    ['obey', '127.0.0.2,127.0.0.3'],
  ] as const) {
    t.is((await put(status)).status, 200);
    const acknowledged = Date.now();
    let lastStale = -1;
    let late = 0;
    // Queries from many sockets spread over both workers for 300 ms: the latest query a worker answered the old way,
    // by when it was sent.
    while (Date.now() - acknowledged < 300) {
      for (const r of await timedBurst('svc.workers.test.', 64, 32)) {
        if (r.answer !== expected) lastStale = Math.max(lastStale, r.sent - acknowledged);
        if (r.sent - acknowledged >= 100) late++;
      }
    }
    t.true(late > 100, `${late} queries sent 100 ms or more after the acknowledgement`);
    t.true(
      lastStale < 100,
      `${status}: a query sent ${lastStale} ms after the acknowledgement got the old answer`,
    );
  }
});

test.serial(
  'UPDATE through a worker: committed by the primary, then every worker answers with it',
  async (t) => {
    const r = await nsupdate(
      ['-y', `hmac-sha256:ops-key:${SECRET}`],
      `server 127.0.0.1 ${server.port}\nzone workers.test.\nupdate add new.workers.test. 60 A 192.0.2.77\nsend\n`,
    );
    t.is(r.code, 0, r.output);
    const answers = await burst('new.workers.test.', 200, 32);
    t.deepEqual([...new Set(answers)], ['192.0.2.77']);
    const unsigned = await nsupdate(
      [],
      `server 127.0.0.1 ${server.port}\nzone workers.test.\nupdate add bad.workers.test. 60 A 192.0.2.78\nsend\n`,
    );
    t.not(unsigned.code, 0);
    t.is((await dig(server.port, ['bad.workers.test.', 'A'])).status, 'NXDOMAIN');
  },
);

test.serial('/metrics on the primary adds up the queries every worker answered', async (t) => {
  const scrape = async (): Promise<number> => {
    const families = parsePrometheusTextFormat(
      await (await fetch(`http://127.0.0.1:${server.apiPort}/metrics`)).text(),
    );
    const queries = families.find((f) => f.name === 'gslb_queries_total');
    return (queries?.metrics ?? [])
      .filter((m) => m.labels?.['zone'] === 'workers.test.')
      .reduce((n, m) => n + Number(m.value), 0);
  };
  const before = await scrape();
  await burst('ns1.workers.test.', 3_000, 32);
  t.is(await scrape(), before + 3_000);
});

test.serial('a reload of the zone files reaches every worker', async (t) => {
  const file = join(dir, 'zones', 'workers.test.yaml');
  // the directory watch reloads
  await writeFile(file, `${await readFile(file, 'utf8')}added: {type: A, value: 192.0.2.88}\n`);
  await server.waitForLog(/info: reloaded 1 zone\(s\)/);
  let answers: string[] = [];
  for (
    let i = 0;
    i < 20 && !(answers.length > 0 && answers.every((a) => a === '192.0.2.88'));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 100));
    answers = await burst('added.workers.test.', 200, 32);
  }
  t.deepEqual([...new Set(answers)], ['192.0.2.88']);
  // The health-checked record and the state kept over the files (the nsupdate above) come through the reload too.
  t.deepEqual([...new Set(await burst('new.workers.test.', 100, 16))], ['192.0.2.77']);
});

test.serial(
  'bad request targets on the API stop neither the primary nor its workers',
  async (t) => {
    const before = await workerPids();
    for (const target of ['//[', 'http://[::1', '//x:99999', 'http://a:b@[']) {
      const status = await new Promise<number>((resolve) => {
        const socket = net.connect({ port: server.apiPort, host: '127.0.0.1' }, () =>
          socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])));
        socket.on('error', () => resolve(0));
      });
      t.true(status >= 400 && status < 500, `${target}: ${status}`);
    }
    t.is(server.child.exitCode, null);
    t.deepEqual(await workerPids(), before, 'the same workers');
    t.true((await burst('svc.workers.test.', 50, 5)).every((a) => a !== 'timeout'));
  },
);

test.serial('a worker that dies is replaced, and the others answer meanwhile', async (t) => {
  const [victim, survivor] = await workerPids();
  process.kill(victim!, 'SIGKILL');
  const answers = await burst('ns1.workers.test.', 500, 8);
  t.is(answers.filter((a) => a === 'timeout').length, 0, 'the surviving worker answered');
  let pids: number[] = [];
  for (let i = 0; i < 40 && (pids.length < 2 || pids.includes(victim!)); i++) {
    await new Promise((r) => setTimeout(r, 250));
    pids = await workerPids();
  }
  t.is(pids.length, 2);
  t.true(pids.includes(survivor!) && !pids.includes(victim!));
  await server.waitForLog(/DNS worker \d+ exited \(SIGKILL\); starting another/);
});
