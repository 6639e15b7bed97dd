// A gslb server started in-process on 127.0.0.1 port 0, with zone files written to a temporary directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppOptions, type Logger, type RunningApp, startApp } from '../../src/app.ts';

export interface TestServer {
  readonly app: RunningApp;
  readonly port: number;
  readonly dir: string;
  readonly logs: string[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly tcpIdleTimeoutMs?: number;
  readonly tcpMaxConnections?: number;
  readonly watchZones?: boolean;
  readonly listen?: readonly { host: string; port: number }[];
  /** A GeoIP directory; default none. */
  readonly geoipDir?: string;
  readonly tsigKeys?: AppOptions['tsigKeys'];
  /** Defaults to a file in the test's temporary directory. */
  readonly dbPath?: string;
}

export async function startTestServer(files: Record<string, string>, options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-test-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(`info: ${m}`), warn: (m) => logs.push(`warn: ${m}`), error: (m) => logs.push(`error: ${m}`) };
  const app = await startApp({
    zonesDir: dir, geoipDir: options.geoipDir, dbPath: options.dbPath ?? join(dir, 'state', 'gslb.sqlite'), tsigKeys: options.tsigKeys ?? [], dnsListen: options.listen ?? [{ host: '127.0.0.1', port: 0 }], tcpIdleTimeoutMs: options.tcpIdleTimeoutMs ?? 5000,
    tcpMaxConnections: options.tcpMaxConnections ?? 64, watchZones: options.watchZones ?? false, log,
  });
  return {
    app, port: app.dns[0]!.port, dir, logs,
    close: async () => {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
