// Updates cost what they change, against a real server process: one signed UPDATE of 4,000 records is answered in
// seconds while DNS keeps answering; 10,000 updates of five new names each take well under a minute, the last no
// slower than the first; an RRset grown one record at a time journals one record each time.
import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rcode } from '../../src/core/index.ts';
import { decodeMessage, type TsigKey } from '../../src/dns/index.ts';
import { dig } from '../helpers/dig.ts';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { buildQuery, frame, rrOf, signedUpdate, udpExchange } from '../helpers/wire.ts';
import { SAMPLE_ZONE } from '../helpers/zones.ts';

const KEY: TsigKey = {
  name: 'ops.',
  algorithm: 'hmac-sha256',
  secret: Buffer.from('a secret for the cost tests, 32b'),
};
let server: ServerProcess;
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gslb-update-cost-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', 'example.com.yaml'), SAMPLE_ZONE);
  await writeFile(
    join(dir, 'gslb.yaml'),
    `tsig_keys:\n  - {name: ops, algorithm: hmac-sha256, secret: "${KEY.secret.toString('base64')}"}\n`,
  );
  server = await spawnServer([
    '--config',
    join(dir, 'gslb.yaml'),
    '--zones',
    join(dir, 'zones'),
    '--db',
    join(dir, 'gslb.sqlite'),
  ]);
});
test.after.always(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Sends messages over one TCP connection, at most `window` unanswered; resolves with the rcodes in order. */
function pipeline(messages: readonly Buffer[], window = 32): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: server.port, host: '127.0.0.1' });
    const rcodes: number[] = [];
    let sent = 0;
    let pending = Buffer.alloc(0);
    const pump = (): void => {
      while (sent < messages.length && sent - rcodes.length < window)
        socket.write(frame(messages[sent++]!));
    };
    socket.on('connect', pump);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        rcodes.push(decodeMessage(pending.subarray(2, 2 + pending.readUInt16BE(0))).rcode);
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (rcodes.length === messages.length) {
        socket.destroy();
        resolve(rcodes);
      } else {
        pump();
      }
    });
  });
}

/** Probes DNS every 20 ms until `done` settles; the longest a probe waited. */
async function probeWhile(done: Promise<unknown>): Promise<{ longest: number; probes: number }> {
  let finished = false;
  void done.finally(() => (finished = true));
  let longest = 0;
  let probes = 0;
  while (!finished) {
    const sent = performance.now();
    await udpExchange(server.port, buildQuery('www.example.com.', 'A'), 2000);
    longest = Math.max(longest, performance.now() - sent);
    probes++;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { longest, probes };
}

test.serial(
  'one signed UPDATE adding 4,000 records to one name is answered within 3 s, and DNS waits no more than 500 ms',
  async (t) => {
    const records = Array.from({ length: 4000 }, (_, i) =>
      rrOf(`bulk.example.com. 60 IN A 10.9.${i >> 8}.${i & 255}`),
    );
    const message = signedUpdate('example.com.', records, KEY, { id: 7 });
    t.true(message.length > 60_000 && message.length <= 65_535, `${message.length} bytes`);
    const started = performance.now();
    const update = pipeline([message]);
    const [probe, [rcode]] = await Promise.all([probeWhile(update), update]);
    const ms = performance.now() - started;
    t.is(rcode, Rcode.NOERROR);
    t.true(ms < 3000, `answered after ${ms.toFixed(0)} ms`);
    t.true(probe.longest < 500, `a DNS probe waited ${probe.longest.toFixed(0)} ms`);
    t.log(
      `4,000-record update: ${ms.toFixed(0)} ms; ${probe.probes} probes meanwhile, the slowest ` +
        `${probe.longest.toFixed(0)} ms`,
    );
    const answer = await dig(server.port, ['bulk.example.com.', 'A', '+tcp']);
    t.is(answer.answer.length, 4000);
  },
);

test.serial(
  'an RRset grown one record at a time journals the record added, not the RRset',
  async (t) => {
    const ids = [];
    for (let i = 0; i < 300; i++) ids.push(i);
    const rcodes = await pipeline(
      ids.map((i) =>
        signedUpdate(
          'example.com.',
          [rrOf(`grow.example.com. 60 IN TXT "record ${i} of the growing set"`)],
          KEY,
          { id: 20_000 + i },
        ),
      ),
      1,
    );
    t.true(rcodes.every((r) => r === Rcode.NOERROR));
    const events = (await (
      await fetch(`http://127.0.0.1:${server.apiPort}/api/v1/events?since=0&limit=5000`)
    ).json()) as { events: { name: string; before: string | null; after: string | null }[] };
    const grow = events.events.filter((e) => e.name === 'grow.example.com.');
    t.is(grow.length, 300);
    t.true(
      grow.every((e) => e.before === null && e.after !== null && e.after.length < 80),
      JSON.stringify(grow.at(-1)),
    );
    t.is(grow.at(-1)!.after, '60 TXT "record 299 of the growing set"');
    t.is((await dig(server.port, ['grow.example.com.', 'TXT', '+tcp'])).answer.length, 300);
  },
);

test.serial(
  '10,000 updates of five new names each within 60 s; the last thousand no slower than the first',
  async (t) => {
    const messages = Array.from({ length: 10_000 }, (_, u) =>
      signedUpdate(
        'example.com.',
        Array.from({ length: 5 }, (_, n) =>
          rrOf(`n${u}-${n}.load.example.com. 60 IN A 10.${(u >> 8) & 255}.${u & 255}.${n}`),
        ),
        KEY,
        { id: u & 0xffff },
      ),
    );
    const timeOf = async (batch: readonly Buffer[]): Promise<number> => {
      const started = performance.now();
      const rcodes = await pipeline(batch);
      t.true(
        rcodes.every((r) => r === Rcode.NOERROR),
        `rcodes ${[...new Set(rcodes)].join(', ')}`,
      );
      return performance.now() - started;
    };
    const first = await timeOf(messages.slice(0, 1000));
    const middle = await timeOf(messages.slice(1000, 9000));
    const last = await timeOf(messages.slice(9000));
    const total = first + middle + last;
    t.log(
      `10,000 updates in ${(total / 1000).toFixed(1)} s: first 1,000 ${first.toFixed(0)} ms, last 1,000 ` +
        `${last.toFixed(0)} ms`,
    );
    t.true(total < 60_000, `${(total / 1000).toFixed(1)} s`);
    t.true(
      last < first * 2 + 500,
      `the last thousand took ${last.toFixed(0)} ms, the first ${first.toFixed(0)} ms`,
    );
    t.is((await dig(server.port, ['n9999-4.load.example.com.', 'A'])).answer.length, 1);
  },
);
