// `npm start` from the repository serves the sample zones (here on a free port instead of 5353); the UDP
// socket's buffer.
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig } from '../helpers/dig.ts';
import { startTestServer } from '../helpers/server.ts';

test('npm start serves the sample zones with AA answers', async (t) => {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const child: ChildProcess = spawn(
    'npm',
    [
      'start',
      '--silent',
      '--',
      '--dns-listen',
      '127.0.0.1:0',
      '--api-listen',
      '127.0.0.1:0',
      '--redirect-listen',
      '127.0.0.1:0',
      '--db',
      join(tmpdir(), `gslb-start-${process.pid}.sqlite`),
    ],
    { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let log = '';
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start did not listen:\n${log}`)),
        20_000,
      );
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        log += chunk;
        const m = /dns listening on 127\.0\.0\.1:(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    t.regex(log, /loaded 2 zone\(s\) from \.\/zones/);
    const r = await dig(port, ['www.example.com.', 'A']);
    t.true(r.flags.has('aa'));
    t.deepEqual(
      new Set(r.answer),
      new Set(['www.example.com. 60 IN A 192.0.2.10', 'www.example.com. 60 IN A 192.0.2.11']),
    );
  } finally {
    // npm runs gslb as a child: stop the process group npm leads (started here, detached).
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  }
});

test('the UDP socket asks for a 4 MiB receive buffer and warns when the kernel grants less than 1 MiB', async (t) => {
  const server = await startTestServer({});
  try {
    const granted = server.app.dns[0]!.udpReceiveBuffer;
    // Linux doubles what is asked for, up to twice net.core.rmem_max.
    const rmemMax = Number((await readFile('/proc/sys/net/core/rmem_max', 'utf8')).trim());
    t.is(granted, Math.min(4 * 1024 * 1024, rmemMax) * 2);
    const warned = server.logs.some((l) =>
      /warn: the UDP receive buffer on 127\.0\.0\.1:\d+ is \d+ bytes/.test(l),
    );
    t.is(warned, granted < 1024 * 1024);
  } finally {
    await server.close();
  }
});
