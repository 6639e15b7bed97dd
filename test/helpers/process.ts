// gslb as a separate process (the real CLI), on port 0; the port is read from its log. Stopped by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly apiPort: number;
  readonly redirectPort: number;
  readonly stderr: string[];
  /** Resolves when a log line matching `pattern` appears (or rejects after `timeoutMs`). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export const CLI = fileURLToPath(new URL('../../bin/gslb.js', import.meta.url));

/** `entry`: the script to run, the gslb command by default (another one: a bundle built by a test). */
export async function spawnServer(
  args: readonly string[],
  env: Record<string, string> = {},
  entry = CLI,
): Promise<ServerProcess> {
  // The flags and environment of bin/gslb.js's first line, which spawning node directly does not read.
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=2',
      '--expose-gc',
      entry,
      'serve',
      '--dns-listen',
      '127.0.0.1:0',
      '--api-listen',
      '127.0.0.1:0',
      '--redirect-listen',
      '127.0.0.1:0',
      ...args,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072', ...process.env, ...env },
    },
  );
  const stderr: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      stderr.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const waitForLog = (pattern: RegExp, timeoutMs = 10_000): Promise<string> => {
    const seen = stderr.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no log line matching ${pattern} in ${timeoutMs} ms:\n${stderr.join('\n')}`),
          ),
        timeoutMs,
      );
      waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      child.once('exit', (code) =>
        reject(new Error(`gslb exited (${code}):\n${stderr.join('\n')}`)),
      );
    });
  };
  const line = await waitForLog(/dns listening on 127\.0\.0\.1:\d+/);
  const port = Number(/:(\d+) /.exec(line)![1]);
  const apiPort = Number(
    /api listening on 127\.0\.0\.1:(\d+)/.exec(await waitForLog(/api listening on/))![1],
  );
  const redirectPort = Number(
    /redirect tier listening on 127\.0\.0\.1:(\d+)/.exec(
      await waitForLog(/redirect tier listening on/),
    )![1],
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    await exited;
  };
  return { child, port, apiPort, redirectPort, stderr, waitForLog, stop };
}
