// Command line: argv → serve | check. Parsing and printing only; the work is in app.ts and the rooms.
import { readFile } from 'node:fs/promises';
import type { MemberRow, ResolveView } from './api/index.ts';
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
  applyFlags,
  DEFAULT_SETTINGS,
  parseSettings,
  type Settings,
  settingFlags,
  settingFlagsUsage,
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
${wrap(`  gslb serve [--config FILE] ${settingFlagsUsage()}`, '             ')}
  gslb check [--zones DIR]
  gslb explain NAME [TYPE] --client IP [--ecs CIDR] [--zones DIR] [--geoip DIR] [--server URL]
  gslb status [--server URL]        (default http://127.0.0.1:8053)
  gslb geoip IP [--geoip DIR]`;

/** The flags of the commands; the settings' flags come from the settings table. */
const OPTIONS = {
  ...settingFlags(),
  config: { type: 'string' },
  client: { type: 'string' },
  ecs: { type: 'string' },
  server: { type: 'string' },
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

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** Defaults, then the config file, then flags and GSLB_API_TOKEN; undefined (after printing why) when any is wrong. */
async function readSettings(values: Values): Promise<Settings | undefined> {
  let settings = DEFAULT_SETTINGS;
  if (values.config) {
    const parsed = parseSettings(await readFile(values.config, 'utf8'), values.config);
    parsed.diagnostics.forEach((d) => process.stderr.write(`${formatDiagnostic(d)}\n`));
    if (hasErrors(parsed.diagnostics)) return undefined;
    settings = parsed.settings;
  }
  const flagged = applyFlags(settings, values, process.env);
  if (!flagged.ok) flagged.error.forEach((line) => process.stderr.write(`gslb: ${line}\n`));
  return flagged.ok ? flagged.value : undefined;
}

/** `text` broken before 110 columns, at spaces, continued after `indent`. */
function wrap(text: string, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/(?<=\S) (?=\[)/)) {
    if (line && line.length + word.length + 1 > 110) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
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
  const r = await getJson<ResolveView>(server, `/api/v1/resolve?${query.toString()}`);
  if (!r) return 1;
  process.stdout.write(`${r.text}\n`);
  return 0;
}

/**
 * Every pool member of a running server: configured status, override, health, effective state; in cluster mode
 * then etcd as that node sees it and every node.
 */
async function status(server: string): Promise<number> {
  const r = await getJson<{ members: MemberRow[] }>(server, '/api/v1/members');
  if (!r) return 1;
  const columns: [title: string, cell: (m: MemberRow) => unknown][] = [
    ['NAME', (m) => m.name],
    ['TYPE', (m) => m.type],
    ['POOL', (m) => m.pool],
    ['POOL_OVERRIDE', (m) => m.pool_override ?? '-'],
    ['MEMBER', (m) => m.value],
    ['WEIGHT', (m) => m.weight],
    ['STATUS', (m) => m.status],
    ['OVERRIDE', (m) => m.override ?? '-'],
    ['HEALTH', (m) => (m.in_service ? m.health : 'deleted')],
    ['EFFECTIVE', (m) => m.effective],
    ['LATENCY_MS', (m) => m.latency_ms ?? '-'],
  ];
  printTable(
    columns.map(([title]) => title),
    r.members.map((m) => columns.map(([, cell]) => String(cell(m)))),
  );
  const cluster = await getJson<ClusterBody>(server, '/api/v1/cluster');
  if (!cluster) return 1;
  if (!cluster.clustered) return 0;
  const etcd = cluster.etcdUp ? 'up' : `down (${cluster.lastError ?? 'no answer'})`;
  process.stdout.write(
    `\ncluster: this is ${cluster.node}; etcd ${etcd}; applied revision ${cluster.appliedRevision}; ` +
      `health decided by ${cluster.healthDecider ?? 'no node'}\n`,
  );
  if (!cluster.nodes) return 0;
  printTable(
    ['NODE', 'APPLIED_REVISION', 'SEEN', 'DIFFERING_FILES', 'SEES_DOWN'],
    cluster.nodes.map((n) => [
      n.node,
      String(n.appliedRevision),
      n.seenAt ?? '-',
      n.differs.join(',') || '-',
      n.seesDown.join(', ') || '-',
    ]),
  );
  return 0;
}

interface ClusterBody {
  readonly clustered: boolean;
  readonly node?: string;
  readonly etcdUp?: boolean;
  readonly appliedRevision?: number;
  readonly lastError?: string;
  readonly healthDecider?: string | null;
  readonly nodes?: {
    node: string;
    appliedRevision: number;
    seenAt: string | null;
    differs: string[];
    seesDown: string[];
  }[];
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) {
    const line = row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    process.stdout.write(`${line.trimEnd()}\n`);
  }
}

/** A JSON body from a running server's API, or undefined after saying why there is none. */
async function getJson<T>(server: string, path: string): Promise<T | undefined> {
  let response: Response;
  try {
    response = await fetch(new URL(path, server));
  } catch (e) {
    process.stderr.write(`gslb: cannot reach ${server}: ${errorMessage(e)}\n`);
    return undefined;
  }
  const body = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) {
    const message = body.error?.message ?? '';
    process.stderr.write(`gslb: ${server} answered ${response.status}: ${message}\n`);
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
  const options: AppOptions = { settings, watchZones: true, log: stderrLogger };
  if (settings.workers > 1 && isWorker()) return serveAsWorker(options);
  const app = settings.workers > 1 ? await startCluster(options) : await startApp(options);
  process.on('SIGHUP', () => void app.reload());
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  return 0;
}

/**
 * A DNS worker: the primary stops it (SIGTERM, or by going away); Ctrl-C in a terminal reaches the primary too. A
 * worker that can no longer follow the primary's state exits, and the primary starts another.
 */
async function serveAsWorker(options: AppOptions): Promise<number> {
  const worker = await runWorker(options);
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  const stopped = new Promise<'stop'>((resolve) => process.once('SIGTERM', () => resolve('stop')));
  if ((await Promise.race([stopped, worker.lost])) !== 'stop') process.exit(1);
  await worker.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`gslb: ${errorMessage(e)}\n`);
    process.exitCode = 1;
  },
);
