// Command line: argv → serve | check. Parsing and printing only; the work is in app.ts and the rooms.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type AppOptions,
  describeAddress,
  explainQuery,
  isWorker,
  loadZoneDir,
  runWorker,
  startApp,
  startCluster,
  stderrLogger,
} from './app.ts';
import {
  DEFAULT_SETTINGS,
  MAX_WORKERS,
  parseListenAddress,
  parseSettings,
  type Settings,
} from './config/index.ts';
import {
  addressBytes,
  errorMessage,
  formatDiagnostic,
  hasErrors,
  parseCidr,
  typeCode,
} from './core/index.ts';

const USAGE = `usage:
  gslb serve [--config FILE] [--zones DIR] [--geoip DIR] [--db FILE]
             [--dns-listen ADDR:PORT]... [--api-listen ADDR:PORT] [--redirect-listen ADDR:PORT] [--workers N]
  gslb check [--zones DIR]
  gslb explain NAME [TYPE] --client IP [--ecs CIDR] [--zones DIR] [--geoip DIR] [--server URL]
  gslb status [--server URL]        (default http://127.0.0.1:8053)
  gslb geoip IP [--geoip DIR]`;

const OPTIONS = {
  config: { type: 'string' },
  zones: { type: 'string' },
  geoip: { type: 'string' },
  db: { type: 'string' },
  'dns-listen': { type: 'string', multiple: true },
  'api-listen': { type: 'string' },
  'redirect-listen': { type: 'string' },
  client: { type: 'string' },
  ecs: { type: 'string' },
  server: { type: 'string' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`gslb: ${errorMessage(e)}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const settings = await readSettings(values);
  if (!settings) return 1;
  switch (command) {
    case 'check':
      return check(settings.zones, settings.maxZoneFileBytes);
    case 'serve':
      return serve(settings);
    case 'explain':
      return values.server
        ? explainRemote(values.server, positionals.slice(1), values.client, values.ecs)
        : explain(settings, positionals.slice(1), values.client, values.ecs);
    case 'status':
      return status(values.server ?? 'http://127.0.0.1:8053');
    case 'geoip':
      return geoip(settings, positionals[1]);
    default:
      process.stderr.write(`gslb: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

type Flags = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof OPTIONS)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

/** Defaults, then the config file, then flags; undefined (after printing why) when any is wrong. */
async function readSettings(flags: Flags): Promise<Settings | undefined> {
  let settings = DEFAULT_SETTINGS;
  if (flags.config) {
    const parsed = parseSettings(await readFile(flags.config, 'utf8'), flags.config);
    parsed.diagnostics.forEach((d) => process.stderr.write(`${formatDiagnostic(d)}\n`));
    if (hasErrors(parsed.diagnostics)) return undefined;
    settings = parsed.settings;
  }
  const listen = (flag: string, text: string): { host: string; port: number } | undefined => {
    const a = parseListenAddress(text);
    if (!a.ok) process.stderr.write(`gslb: --${flag}: ${a.error}\n`);
    return a.ok ? a.value : undefined;
  };
  const dnsListen = flags['dns-listen']?.map((t) => listen('dns-listen', t));
  const apiListen =
    flags['api-listen'] === undefined
      ? settings.apiListen
      : listen('api-listen', flags['api-listen']);
  const redirectListen =
    flags['redirect-listen'] === undefined
      ? settings.redirectListen
      : listen('redirect-listen', flags['redirect-listen']);
  const workers = flags.workers === undefined ? settings.workers : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    process.stderr.write(
      `gslb: --workers: ${flags.workers} is not a whole number from 1 to ${MAX_WORKERS}\n`,
    );
    return undefined;
  }
  if (dnsListen?.includes(undefined) || !apiListen || !redirectListen) return undefined;
  return {
    ...settings,
    zones: flags.zones ?? settings.zones,
    geoip: flags.geoip ?? settings.geoip,
    db: flags.db ?? settings.db,
    dnsListen: (dnsListen as { host: string; port: number }[] | undefined) ?? settings.dnsListen,
    apiListen,
    redirectListen,
    apiToken: process.env['GSLB_API_TOKEN'] ?? settings.apiToken,
    workers,
  };
}

async function check(zonesDir: string, maxZoneFileBytes: number): Promise<number> {
  const result = await loadZoneDir(zonesDir, { maxZoneFileBytes });
  for (const d of result.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
  if (!result.zoneSet) return 1;
  process.stdout.write(`${result.zoneSet.zones.size} zone(s) OK\n`);
  return 0;
}

async function explain(
  settings: Settings,
  args: string[],
  clientText: string | undefined,
  ecsText: string | undefined,
): Promise<number> {
  const [name, typeText = 'A'] = args;
  const type = typeCode(typeText);
  const client = clientText === undefined ? undefined : addressBytes(clientText);
  const ecs = ecsText === undefined ? undefined : parseCidr(ecsText);
  const problem = !name
    ? 'explain needs a NAME'
    : type === undefined
      ? `unknown type ${typeText}`
      : !client
        ? '--client IP is required (an IPv4 or IPv6 address)'
        : ecs && !ecs.ok
          ? `--ecs: ${ecs.error}`
          : undefined;
  if (problem || !name || type === undefined || !client || (ecs && !ecs.ok)) {
    process.stderr.write(`gslb: ${problem}\n${USAGE}\n`);
    return 2;
  }
  const result = await explainQuery(settings.zones, settings.geoip, {
    name,
    type,
    client,
    clientText: clientText!,
    ecs: ecs?.value,
    ecsText,
  });
  result.diagnostics.forEach((d) => process.stderr.write(`${formatDiagnostic(d)}\n`));
  if (result.text !== undefined) process.stdout.write(`${result.text}\n`);
  return result.text === undefined ? 1 : 0;
}

/** Asks a running server (its live health and overrides included) through GET /api/v1/resolve. */
async function explainRemote(
  server: string,
  args: string[],
  client: string | undefined,
  ecs: string | undefined,
): Promise<number> {
  const [name, type = 'A'] = args;
  if (!name || !client) {
    process.stderr.write(`gslb: explain needs NAME and --client IP\n${USAGE}\n`);
    return 2;
  }
  const query = new URLSearchParams({ name, type, client, ...(ecs ? { ecs } : {}) });
  const r = await getJson(server, `/api/v1/resolve?${query}`);
  if (!r) return 1;
  process.stdout.write(`${(r as { text: string }).text}\n`);
  return 0;
}

/** Every pool member of a running server: configured status, override, health, effective state. */
async function status(server: string): Promise<number> {
  const r = (await getJson(server, '/api/v1/members')) as
    { members: Record<string, unknown>[] } | undefined;
  if (!r) return 1;
  const rows = r.members.map((m) =>
    [
      m['name'],
      m['type'],
      m['pool'],
      m['pool_override'] ?? '-',
      m['value'],
      m['weight'],
      m['status'],
      m['override'] ?? '-',
      m['in_service'] ? m['health'] : 'deleted',
      m['effective'],
      m['latency_ms'] ?? '-',
    ].map(String),
  );
  const header = [
    'NAME',
    'TYPE',
    'POOL',
    'POOL_OVERRIDE',
    'MEMBER',
    'WEIGHT',
    'STATUS',
    'OVERRIDE',
    'HEALTH',
    'EFFECTIVE',
    'LATENCY_MS',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}

async function getJson(server: string, path: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, server));
  } catch (e) {
    process.stderr.write(`gslb: cannot reach ${server}: ${errorMessage(e)}\n`);
    return undefined;
  }
  const body = (await response.json()) as { error?: { message: string } };
  if (!response.ok) {
    process.stderr.write(
      `gslb: ${server} answered ${response.status}: ${body.error?.message ?? ''}\n`,
    );
    return undefined;
  }
  return body;
}

async function geoip(settings: Settings, ip: string | undefined): Promise<number> {
  const address = ip === undefined ? undefined : addressBytes(ip);
  if (!address || ip === undefined) {
    process.stderr.write(`gslb: geoip needs an IPv4 or IPv6 address\n${USAGE}\n`);
    return 2;
  }
  const result = await describeAddress(settings.geoip, ip, address);
  result.diagnostics.forEach((d) => process.stderr.write(`${formatDiagnostic(d)}\n`));
  if (result.text === undefined) process.stderr.write(`gslb: no GeoIP data in ${settings.geoip}\n`);
  else process.stdout.write(`${result.text}\n`);
  return result.text === undefined ? 1 : 0;
}

async function serve(settings: Settings): Promise<number> {
  const options: AppOptions = {
    apiListen: settings.apiListen,
    apiToken: settings.apiToken,
    redirectListen: settings.redirectListen,
    trustedProxies: settings.trustedProxies,
    zonesDir: settings.zones,
    geoipDir: settings.geoip,
    dbPath: settings.db,
    tsigKeys: settings.tsigKeys,
    dnsListen: settings.dnsListen,
    tcpIdleTimeoutMs: settings.tcpIdleTimeoutMs,
    tcpMaxConnections: settings.tcpMaxConnections,
    tcpMaxPerClient: settings.tcpMaxPerClient,
    maxZoneFileBytes: settings.maxZoneFileBytes,
    apiMaxBodyBytes: settings.apiMaxBodyBytes,
    rateLimit: settings.rateLimit,
    cookies: settings.cookies,
    identity: settings.identity,
    watchZones: true,
    log: stderrLogger,
  };
  if (settings.workers > 1 && isWorker()) {
    // A DNS worker: the primary stops it (SIGTERM, or by going away); Ctrl-C in a terminal reaches the primary too.
    const worker = await runWorker(options);
    process.on('SIGINT', () => undefined);
    process.on('SIGHUP', () => undefined);
    await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
    await worker.close();
    return 0;
  }
  const app =
    settings.workers > 1 ? await startCluster(options, settings.workers) : await startApp(options);
  process.on('SIGHUP', () => void app.reload());
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`gslb: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
