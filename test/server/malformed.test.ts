// Malformed input over real sockets: the corpus over UDP, TCP garbage and half-open frames, then 100,000 random
// datagrams; the server never crashes, never stalls, and answers correctly afterwards.
import test from 'ava';
import dgram from 'node:dgram';
import { decodeMessage } from '../../src/dns/index.ts';
import { CORPUS } from '../helpers/corpus.ts';
import { dig } from '../helpers/dig.ts';
import { mulberry32, randomDatagram } from '../helpers/random.ts';
import { spawnServer } from '../helpers/process.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { buildQuery, frame, tcpConnect, udpExchange, waitFor } from '../helpers/wire.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

let server: TestServer;

test.before(async () => {
  server = await startTestServer({ 'example.test.yaml': STATIC_ZONE }, { tcpIdleTimeoutMs: 1000 });
});
test.after.always(() => server?.close());

async function assertHealthy(t: import('ava').ExecutionContext): Promise<void> {
  const r = await dig(server.port, ['www.example.test.', 'A']);
  t.is(r.status, 'NOERROR');
  t.is(r.answer.length, 2);
  t.deepEqual(
    server.logs.filter((l) => l.startsWith('error:')),
    [],
    'no query made the pipeline throw',
  );
}

test.serial('every corpus case over UDP gets its reply or is dropped', async (t) => {
  for (const c of CORPUS) {
    const reply = await udpExchange(server.port, c.bytes, c.expect === 'drop' ? 200 : 2000);
    if (c.expect === 'drop') t.is(reply, undefined, c.name);
    else t.is(reply && decodeMessage(reply).rcode, c.expect, c.name);
  }
  await assertHealthy(t);
});

test.serial('TCP garbage, zero-length frames and connections closed mid-frame', async (t) => {
  const rand = mulberry32(7);
  for (let i = 0; i < 50; i++) {
    const conn = await tcpConnect(server.port);
    const junk = Buffer.from(
      Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)),
    );
    conn.socket.write(i % 3 === 0 ? frame(junk) : junk);
    if (i % 5 === 0) conn.socket.write(Buffer.from([0, 0])); // a zero-length frame
    conn.socket.end();
  }
  const half = await tcpConnect(server.port);
  half.socket.write(frame(buildQuery('www.example.test.', 'A')).subarray(0, 10));
  half.socket.end(); // half-close with a frame outstanding
  const good = await tcpConnect(server.port);
  good.socket.write(
    Buffer.concat([
      frame(Buffer.from([1, 2, 3])),
      frame(buildQuery('www.example.test.', 'A', { id: 9 })),
    ]),
  );
  t.true(
    await waitFor(() => good.replies.length === 1, 3000),
    'a good query after a runt frame on the same connection is answered',
  );
  t.is(decodeMessage(good.replies[0]!).id, 9);
  good.socket.destroy();
  await assertHealthy(t);
});

test.serial(
  '100,000 random datagrams over UDP to a server process: it never crashes or stalls',
  async (t) => {
    const proc = await spawnServer(['--zones', server.dir]);
    try {
      const rand = mulberry32(1121);
      const seeds = [
        ...CORPUS.map((c) => c.bytes).filter((b) => b.length >= 12),
        buildQuery('www.example.test.', 'A'),
      ];
      const socket = dgram.createSocket('udp4');
      let replies = 0;
      socket.on('message', () => replies++);
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const deadline = Date.now() + 90_000;
      let sent = 0;
      let probes = 0;
      while (sent < 100_000 && Date.now() < deadline) {
        for (let i = 0; i < 100; i++, sent++)
          socket.send(randomDatagram(rand, seeds), proc.port, '127.0.0.1');
        // A real query behind each batch of 100 (which fits the socket's receive buffer), retried as a resolver would:
        // three unanswered tries in a row mean the server has stalled.
        let probe: Buffer | undefined;
        for (let attempt = 0; attempt < 3 && !probe; attempt++) {
          probe = await udpExchange(
            proc.port,
            buildQuery('www.example.test.', 'A', { id: probes }),
            1000,
          );
        }
        if (!probe || decodeMessage(probe).answer.length !== 2) {
          t.fail(`probe ${probes} after ${sent} datagrams was not answered correctly`);
          break;
        }
        probes++;
      }
      socket.close();
      t.is(sent, 100_000, 'all datagrams sent within the time bound');
      t.true(replies > 20_000, `${replies} replies to random datagrams`);
      t.is(probes, 1000);
      t.is(proc.child.exitCode, null, 'the server process is still running');
      const r = await dig(proc.port, ['alias.example.test.', 'A']);
      t.is(r.answer.length, 4);
      t.deepEqual(
        proc.stderr.filter((l) => l.includes('failed')),
        [],
        'no query made the pipeline throw',
      );
    } finally {
      await proc.stop();
    }
  },
);
