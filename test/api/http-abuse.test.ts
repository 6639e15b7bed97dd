// Hostile HTTP against both listeners of a real server process (API and redirect tier): bad request targets, bad
// percent-encoding, huge declared and chunked bodies, seeded random request lines and headers. The process stays
// up and keeps answering DNS; every answer is a 4xx or a normal one, never a 5xx; logs stay a few lines long.
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig } from '../helpers/dig.ts';
import { DRILL_ZONE } from '../helpers/drill.ts';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { mulberry32 } from '../helpers/random.ts';
import { buildUpdate, udpExchange } from '../helpers/wire.ts';

const TOKEN = 'http-abuse-token';
let server: ServerProcess;

test.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-http-abuse-'));
  await writeFile(join(dir, 'drill.test.yaml'), DRILL_ZONE);
  server = await spawnServer(
    ['--zones', dir, '--geoip', join(dir, 'none'), '--db', join(dir, 'state.sqlite')],
    { GSLB_API_TOKEN: TOKEN },
  );
});
test.after.always(() => server?.stop());

/** Sends raw bytes and reads until the peer closes or `timeoutMs` passes; the status code, if a response came. */
function rawHttp(
  port: number,
  request: string | Buffer,
  timeoutMs = 3000,
): Promise<{ status: number | undefined; text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, text, ms: Date.now() - started });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
      if (
        end >= 0 &&
        !text.startsWith('HTTP/1.1 100') &&
        (length === null || text.length >= end + 4 + Number(length[1]))
      )
        done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(request);
  });
}

async function alive(t: import('ava').ExecutionContext, after: string): Promise<void> {
  t.is(server.child.exitCode, null, `the process is running after ${after}`);
  const r = await dig(server.port, ['www.drill.test.', 'A', '-b', '127.10.0.1']);
  t.is(r.status, 'NOERROR', `DNS answers after ${after}`);
}

const BAD_TARGETS = [
  '//[',
  'http://[::1',
  '//x:99999',
  'http://a:b@[',
  '*',
  'x',
  '/%zz',
  '/api/v1/zones/%zz',
  '/api/v1/zones/%E0%A4%A/records/a/A/members/1',
];

test.serial(
  'bad request targets and percent-encoding are 400s (or 404s), on both listeners, and nothing stops',
  async (t) => {
    for (const port of [server.apiPort, server.redirectPort]) {
      for (const target of BAD_TARGETS) {
        for (const method of ['GET', 'PUT']) {
          const r = await rawHttp(
            port,
            `${method} ${target} HTTP/1.1\r\nHost: www.drill.test\r\nAuthorization: Bearer ${TOKEN}\r\n` +
              `Content-Length: 2\r\n\r\n{}`,
          );
          t.true(
            r.status !== undefined && r.status >= 400 && r.status < 500,
            `${method} ${target} on ${port}: ${r.status}`,
          );
        }
      }
      await alive(t, `bad targets on port ${port}`);
    }
    t.is(
      (
        await rawHttp(
          server.apiPort,
          'GET /api/v1/zones/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        )
      ).status,
      400,
    );
    t.is(
      (
        await rawHttp(
          server.apiPort,
          'GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        )
      ).status,
      200,
      'absolute form is a request like another',
    );
  },
);

test.serial(
  'a huge declared body is refused with 413 before it is sent; a chunked one is cut off at the limit',
  async (t) => {
    const declared = await rawHttp(
      server.apiPort,
      `PUT /api/v1/zones/drill.test/records/www/A/members/192.0.2.100 HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Bearer ${TOKEN}\r\nContent-Length: 1073741824\r\n\r\n`,
    );
    t.is(declared.status, 413);
    t.true(declared.ms < 1000, `answered in ${declared.ms} ms without reading the body`);
    // A chunked body of 1 MiB: the answer is 413 and the connection is closed long before it is all sent.
    const sent = await new Promise<{ status: number | undefined; bytes: number }>((resolve) => {
      const socket = net.connect({ port: server.apiPort, host: '127.0.0.1' });
      let text = '';
      let bytes = 0;
      socket.on('data', (d) => (text += d.toString('latin1'))); // a client stops sending once answered, as curl does
      socket.on('error', () => undefined);
      socket.on('close', () =>
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), bytes }),
      );
      socket.write(
        `PUT /api/v1/zones/drill.test/records/www/A/members/192.0.2.100 HTTP/1.1\r\nHost: x\r\n` +
          `Authorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const chunk = `4000\r\n${'a'.repeat(0x4000)}\r\n`;
      const pump = (): void => {
        while (!socket.destroyed && text === '' && bytes < 1024 * 1024) {
          bytes += 0x4000;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    t.is(sent.status, 413, `after ${sent.bytes} bytes sent`);
    await alive(t, 'huge bodies');
  },
);

test.serial('seeded random request lines and headers: never a 5xx, never an exit', async (t) => {
  const rand = mulberry32(20261202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const noise = (n: number): string =>
    Array.from({ length: Math.floor(rand() * n) }, () =>
      String.fromCharCode(Math.floor(rand() * 256)),
    ).join('');
  const methods = [
    'GET',
    'HEAD',
    'PUT',
    'POST',
    'DELETE',
    'OPTIONS',
    'G\u0000T',
    'PATCH',
    noise(8),
  ];
  const targets = [
    ...BAD_TARGETS,
    '/healthz',
    '/metrics',
    '/api/v1/zones',
    '/api/v1/events?since=1e99',
    '/api/v1/resolve?name=www.drill.test&client=::ffff:1.2.3.4&ecs=1.2.3.0/99',
    '/api/v1/zones/drill.test/records/@/A/pools/eu',
    `/${noise(40)}`,
    `/${'a/'.repeat(500)}`,
  ];
  const headers = [
    'Host: www.drill.test',
    `Host: ${noise(20)}`,
    'Host: [::1]:80',
    'Content-Length: -1',
    'Content-Length: 1e3',
    'Content-Length: 5, 6',
    'Transfer-Encoding: chunked',
    `X-Forwarded-For: ${noise(30)}`,
    `Authorization: Bearer ${TOKEN}`,
    `Authorization: ${noise(20)}`,
    'Expect: 100-continue',
    `${noise(10)}: ${noise(10)}`,
  ];
  const statuses = new Map<number | undefined, number>();
  for (let i = 0; i < 300; i++) {
    const lines = [
      `${pick(methods)} ${pick(targets)} HTTP/1.${pick(['0', '1', '9'])}`,
      ...Array.from({ length: Math.floor(rand() * 5) }, () => pick(headers)),
    ];
    const body =
      rand() < 0.5 ? '' : pick(['{"status":"down"}', noise(100), '0\r\n\r\n', '{"status":', '[]']);
    const port = rand() < 0.5 ? server.apiPort : server.redirectPort;
    const r = await rawHttp(
      port,
      Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1'),
      1000,
    );
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (r.status !== undefined && r.status >= 500)
      t.fail(`${r.status} for ${JSON.stringify(lines)}: ${r.text.slice(0, 300)}`);
  }
  t.log(Object.fromEntries(statuses));
  await alive(t, 'the random requests');
  const bugs = server.stderr.filter((l) => /request failed|API .*Error/.test(l));
  t.deepEqual(bugs, [], 'no request reached a bug');
});

test.serial('a flood of unsigned updates logs a few lines a minute, not one each', async (t) => {
  const before = server.stderr.length;
  for (let i = 0; i < 2000; i++) await udpExchange(server.port, buildUpdate('drill.test.', i), 500);
  const lines = server.stderr.slice(before).filter((l) => l.includes('update'));
  t.true(lines.length <= 10, `${lines.length} lines for 2,000 unsigned updates`);
  await alive(t, 'the update flood');
});
