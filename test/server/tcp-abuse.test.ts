// TCP under attack, against a real server process (RFC 7766 §6.2): a slowloris that trickles bytes into frames it
// never finishes, a table full of idle connections, clients that pipeline queries and never read. New TCP clients
// are answered throughout, trickling does not keep a connection open, and memory stays bounded.
import test from 'ava';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage } from '../../src/dns/index.ts';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { buildQuery, frame, tcpConnect, waitFor } from '../helpers/wire.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

const IDLE_MS = 1500;
const TXT_VALUES = Array.from({ length: 8 }, (_, i) => `"${String(i).repeat(200)}"`);
const BIG_TXT = `amplify: {type: TXT, values: [${TXT_VALUES.join(', ')}]}\n`;

async function start(): Promise<ServerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-tcp-abuse-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', 'example.test.yaml'), STATIC_ZONE + BIG_TXT);
  await writeFile(
    join(dir, 'gslb.yaml'),
    `tcp_idle_timeout_ms: ${IDLE_MS}\ntcp_max_connections: 256\ntcp_max_per_client: 16\n`,
  );
  return spawnServer([
    '--config',
    join(dir, 'gslb.yaml'),
    '--zones',
    join(dir, 'zones'),
    '--geoip',
    join(dir, 'none'),
    '--db',
    join(dir, 'state.sqlite'),
  ]);
}

/** Source addresses for attackers: many, so that the per-client cap is not what saves the server. */
const attacker = (i: number): string => `127.0.${10 + (i % 40)}.${1 + Math.floor(i / 40)}`;

/** A new connection from a fresh source with one query: answered within `ms`? */
async function newClientAnswered(port: number, source: string, ms = 1000): Promise<boolean> {
  const c = await tcpConnect(port, '127.0.0.1', source).catch(() => undefined);
  if (!c) return false;
  c.socket.write(frame(buildQuery('www.example.test.', 'A')));
  const ok = await waitFor(() => c.replies.length === 1, ms);
  c.socket.destroy();
  return ok && decodeMessage(c.replies[0]!).answer.length === 2;
}

async function rssKb(pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
}

test(
  'slowloris: 300 connections trickling into 64 KB frames are closed on time, and new clients are ' +
    'answered throughout',
  async (t) => {
    const server = await start();
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const c = await tcpConnect(server.port, '127.0.0.1', attacker(i));
        c.socket.write(Buffer.from([0xff, 0xff]));
        sockets.push(c.socket);
      }
      const opened = Date.now();
      const trickle = setInterval(
        () => sockets.forEach((s) => !s.destroyed && s.write(Buffer.from([0x41]))),
        300,
      );
      let answered = 0;
      let asked = 0;
      while (Date.now() - opened < 3 * IDLE_MS) {
        asked++;
        if (await newClientAnswered(server.port, `127.1.0.${asked}`)) answered++;
        await new Promise((r) => setTimeout(r, 200));
      }
      clearInterval(trickle);
      t.is(
        answered,
        asked,
        `${answered} of ${asked} new TCP clients answered during the slowloris`,
      );
      t.true(
        await waitFor(() => sockets.every((s) => s.destroyed), IDLE_MS + 2000),
        'every trickling connection was closed, bytes or not',
      );
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.stop();
    }
  },
);

test('a table full of idle connections (1,200 opened) still admits and answers new clients', async (t) => {
  const server = await start();
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 1200; i++) {
      const c = await tcpConnect(server.port, '127.0.0.1', attacker(i)).catch(() => undefined);
      if (c) sockets.push(c.socket);
      void c?.closed.then(() => c.socket.destroy());
    }
    let answered = 0;
    for (let i = 0; i < 12; i++)
      if (await newClientAnswered(server.port, `127.2.0.${i + 1}`)) answered++;
    t.is(answered, 12, 'every new client was answered while idle ones filled the table');
  } finally {
    sockets.forEach((s) => s.destroy());
    await server.stop();
  }
});

test(
  '250 connections pipelining queries and never reading cost kilobytes each, and the memory comes ' +
    'back',
  async (t) => {
    const server = await start();
    const pid = server.child.pid!;
    const sockets: net.Socket[] = [];
    try {
      const burst = Buffer.concat(
        Array.from({ length: 300 }, (_, i) =>
          frame(buildQuery('amplify.example.test.', 'TXT', { id: i })),
        ),
      );
      const warm = await tcpConnect(server.port, '127.0.0.1', '127.3.0.1'); // the code paths run once before measuring
      warm.socket.write(burst);
      t.true(await waitFor(() => warm.replies.length === 300, 5000));
      warm.socket.destroy();
      const before = await rssKb(pid);
      for (let i = 0; i < 250; i++) {
        const c = await tcpConnect(server.port, '127.0.0.1', attacker(i));
        c.socket.pause(); // never reads: replies back up in the server, then in the kernel
        c.socket.write(burst);
        sockets.push(c.socket);
      }
      await new Promise((r) => setTimeout(r, 1000));
      const during = await rssKb(pid);
      t.true(
        await newClientAnswered(server.port, '127.3.0.2'),
        'others are answered while they do not read',
      );
      t.true(
        during - before < 40 * 1024,
        `RSS ${before} → ${during} KB with 250 non-reading connections`,
      );
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => setTimeout(r, 1500));
      const after = await rssKb(pid);
      t.log(
        `RSS before ${before} KB, during ${during} KB (${((during - before) / 250).toFixed(0)} KB per ` +
          `connection), after ${after} KB`,
      );
      t.true(after - before < 20 * 1024, `RSS back to ${after} KB (from ${before} KB)`);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.stop();
    }
  },
);
