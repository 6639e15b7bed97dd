// Running real programs from tests; a missing one fails with the package to install, never skips.
import { execFile, spawnSync } from 'node:child_process';

const PACKAGES: Record<string, string> = {
  dig: 'bind9-dnsutils',
  nsupdate: 'bind9-dnsutils',
  kdig: 'knot-dnsutils',
  nsd: 'nsd',
  dnsperf: 'dnsperf',
  mmdblookup: 'mmdb-bin',
  unbound: 'unbound',
  etcd: 'etcd-server',
  etcdctl: 'etcd-client',
};

export function requireTool(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    throw new Error(
      `${name} is not installed: apt-get install -y ${PACKAGES[name] ?? name} (.ci/run does this)`,
    );
  return found;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  command: string,
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
