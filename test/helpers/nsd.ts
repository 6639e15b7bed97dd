// NSD (Debian package) started by a test on a free loopback port, serving RFC 1035 zone files; stopped by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig } from './dig.ts';
import { requireTool } from './tools.ts';

export interface Nsd {
  readonly port: number;
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Starts NSD; tries again on another port if the first one was taken meanwhile. */
export async function startNsd(zones: Record<string, string>): Promise<Nsd> {
  const failures: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startNsdOnce(zones);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  throw new Error(`nsd did not start:\n${failures.join('\n')}`);
}

async function startNsdOnce(zones: Record<string, string>): Promise<Nsd> {
  const bin = requireTool('nsd');
  const dir = await mkdtemp(join(tmpdir(), 'gslb-nsd-'));
  const port = await freeUdpPort();
  const zoneBlocks = Object.keys(zones)
    .map((origin) => `zone:\n    name: ${origin}\n    zonefile: ${origin}.zone\n`)
    .join('');
  await writeFile(
    join(dir, 'nsd.conf'),
    `server:
    ip-address: 127.0.0.1@${port}
    port: ${port}
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "${dir}"
    pidfile: "${dir}/nsd.pid"
    database: ""
    zonelistfile: "${dir}/zone.list"
    xfrdfile: "${dir}/xfrd.state"
    xfrdir: "${dir}"
    logfile: "${dir}/nsd.log"
    verbosity: 1
    minimal-responses: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
${zoneBlocks}`,
  );
  for (const [origin, text] of Object.entries(zones))
    await writeFile(join(dir, `${origin}.zone`), text);
  const child: ChildProcess = spawn(bin, ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const origin = Object.keys(zones)[0]!;
  for (let i = 0; i < 50; i++) {
    try {
      const r = await dig(port, [origin, 'SOA', '+time=1']);
      if (r.status === 'NOERROR') return { port, stop };
    } catch {
      // not answering yet
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = await readFile(join(dir, 'nsd.log'), 'utf8').catch(() => '(no log)');
  await stop();
  throw new Error(`nsd on port ${port} did not answer: ${log.trim()}`);
}
