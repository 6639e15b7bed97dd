// A gslb server started in-process on 127.0.0.1 port 0, with zone files written to a temporary directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, type RunningApp, startApp } from '../../src/app.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/index.ts';

export interface TestServer {
  readonly app: RunningApp;
  readonly port: number;
  /** http://127.0.0.1:PORT of the API, when started with `http`. */
  readonly api: string;
  readonly redirectPort: number;
  readonly dir: string;
  readonly logs: string[];
  close(keepDir?: boolean): Promise<void>;
}

export interface TestServerOptions {
  readonly tcpIdleTimeoutMs?: number;
  readonly tcpMaxConnections?: number;
  readonly tcpMaxPerClient?: number;
  readonly watchZones?: boolean;
  readonly listen?: readonly { host: string; port: number }[];
  /** A GeoIP directory; default none. */
  readonly geoipDir?: string;
  /** The compile_rules setting (default true). */
  readonly compileRules?: boolean;
  readonly tsigKeys?: Settings['tsigKeys'];
  /** Start the API and redirect tier on 127.0.0.1 port 0. */
  readonly http?: boolean;
  readonly apiToken?: string;
  readonly trustedProxies?: readonly string[];
  /** Reuse a directory (and its state) from an earlier server. */
  readonly dir?: string;
  /** Defaults to a file in the test's temporary directory. */
  readonly dbPath?: string;
  /** Cluster mode: the shared state in etcd. */
  readonly cluster?: Settings['cluster'];
}

export async function startTestServer(
  files: Record<string, string>,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'gslb-test-')));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const logs: string[] = [];
  const log: Logger = {
    info: (m) => logs.push(`info: ${m}`),
    warn: (m) => logs.push(`warn: ${m}`),
    error: (m) => logs.push(`error: ${m}`),
  };
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    apiListen: options.http ? { host: '127.0.0.1', port: 0 } : undefined,
    redirectListen: options.http ? { host: '127.0.0.1', port: 0 } : undefined,
    apiToken: options.apiToken,
    trustedProxies: options.trustedProxies ?? [],
    zones: dir,
    geoip: options.geoipDir,
    compileRules: options.compileRules ?? true,
    db: options.dbPath ?? join(dir, 'state', 'gslb.sqlite'),
    tsigKeys: options.tsigKeys ?? [],
    dnsListen: options.listen ?? [{ host: '127.0.0.1', port: 0 }],
    tcpIdleTimeoutMs: options.tcpIdleTimeoutMs ?? 5000,
    tcpMaxConnections: options.tcpMaxConnections ?? 64,
    tcpMaxPerClient: options.tcpMaxPerClient ?? DEFAULT_SETTINGS.tcpMaxPerClient,
    cluster: options.cluster,
  };
  const app = await startApp({ settings, watchZones: options.watchZones ?? false, log });
  return {
    app,
    port: app.dns[0]!.port,
    dir,
    logs,
    api: `http://127.0.0.1:${app.api?.port ?? 0}`,
    redirectPort: app.redirect?.port ?? 0,
    close: async (keepDir = false) => {
      await app.close();
      if (!keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
