// A real etcd cluster on 127.0.0.1 (Debian's etcd-server): members on ports of their own and data in a temporary
// directory, each stopped and started again by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, run } from './tools.ts';

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  /** Ends the member (SIGKILL: it cannot leave cleanly) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts the member again on its data directory. */
  start(): void;
  /** Freezes the member (SIGSTOP): it keeps its sockets and answers nothing; `resume` thaws it (SIGCONT). */
  pause(): void;
  resume(): void;
  readonly running: boolean;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly endpoints: readonly string[];
  /** Resolves once the cluster has a leader and answers (rejects after `timeoutMs`). */
  healthy(timeoutMs?: number): Promise<void>;
  /** The member that leads now. */
  leader(): Promise<EtcdMember | undefined>;
  close(): Promise<void>;
}

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** PEM files for an etcd that serves its clients over TLS and asks them for a certificate (see tls.ts). */
export interface EtcdTls {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export async function startEtcd(size = 3, tls?: EtcdTls): Promise<EtcdCluster> {
  const etcd = requireTool('etcd');
  requireTool('etcdctl');
  const dir = await mkdtemp(join(tmpdir(), 'gslb-etcd-'));
  const ports: { client: number; peer: number }[] = [];
  for (let i = 0; i < size; i++)
    ports.push({ client: await freeTcpPort(), peer: await freeTcpPort() });
  const names = ports.map((_, i) => `m${i + 1}`);
  const initial = ports.map((p, i) => `${names[i]}=http://127.0.0.1:${p.peer}`).join(',');
  const token = `gslb-test-${process.pid}-${Date.now()}`;
  const members = ports.map((p, i) => {
    const name = names[i]!;
    const clientUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${p.client}`;
    let child: ChildProcess | undefined;
    const args = [
      `--name=${name}`,
      `--data-dir=${join(dir, name)}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${p.peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${p.peer}`,
      `--initial-cluster=${initial}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${token}`,
      '--heartbeat-interval=50',
      '--election-timeout=500',
      '--log-level=error',
      '--logger=zap',
      ...(tls
        ? [
            `--cert-file=${tls.serverCert}`,
            `--key-file=${tls.serverKey}`,
            `--trusted-ca-file=${tls.ca}`,
            '--client-cert-auth',
          ]
        : []),
    ];
    const member: EtcdMember = {
      name,
      clientUrl,
      get running() {
        return child !== undefined && child.exitCode === null && child.signalCode === null;
      },
      start() {
        if (member.running) return;
        child = spawn(etcd, args, { stdio: 'ignore' });
      },
      pause() {
        if (member.running) process.kill(child!.pid!, 'SIGSTOP');
      },
      resume() {
        if (member.running) process.kill(child!.pid!, 'SIGCONT');
      },
      async kill() {
        const c = child;
        if (!c || c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((resolve) => c.once('exit', resolve));
        process.kill(c.pid, 'SIGKILL'); // a frozen member dies as well

        await exited;
      },
    };
    return member;
  });
  members.forEach((m) => m.start());
  const endpoints = members.map((m) => m.clientUrl);
  const tlsFlags = tls
    ? [`--cacert=${tls.ca}`, `--cert=${tls.clientCert}`, `--key=${tls.clientKey}`]
    : [];
  const status = async (): Promise<{ endpoint: string; leader: string; id: string }[]> => {
    const r = await run('etcdctl', [
      `--endpoints=${members
        .filter((m) => m.running)
        .map((m) => m.clientUrl)
        .join(',')}`,
      '--command-timeout=1s',
      ...tlsFlags,
      'endpoint',
      'status',
      '-w',
      'json',
    ]);
    if (r.code !== 0) return [];
    try {
      return (
        JSON.parse(r.stdout) as {
          Endpoint: string;
          Status: { leader: string | number; header: { member_id: string | number } };
        }[]
      ).map((s) => ({
        endpoint: s.Endpoint,
        leader: String(s.Status.leader),
        id: String(s.Status.header.member_id),
      }));
    } catch {
      return [];
    }
  };
  const cluster: EtcdCluster = {
    members,
    endpoints,
    async healthy(timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const r = await run('etcdctl', [
          `--endpoints=${endpoints[0]}`,
          '--command-timeout=1s',
          ...tlsFlags,
          'put',
          'gslb-test/ping',
          '1',
        ]);
        if (r.code === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`etcd on ${endpoints.join(', ')} not healthy in ${timeoutMs} ms`);
    },
    async leader() {
      const all = await status();
      const lead = all.find((s) => s.leader === s.id);
      return members.find((m) => m.clientUrl === lead?.endpoint);
    },
    async close() {
      await Promise.all(members.map((m) => m.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.healthy();
  } catch (e) {
    await cluster.close();
    throw e;
  }
  return cluster;
}
