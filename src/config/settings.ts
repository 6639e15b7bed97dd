// Server settings, one row per option: the config file key, the flag and variable that override it, its kind
// (type and range) and its default. The config reader, the flags, the usage text and the defaults all come from
// the rows below; the app receives the `Settings` they fill.
import type { Diagnostic, Result } from '../core/index.ts';
import { ok, fail } from '../core/index.ts';
import { parseYaml } from '../yaml/index.ts';
import {
  boolean,
  cidrs,
  endpoints,
  optionalGroup,
  quorum,
  sourceAddresses,
  defaults,
  group,
  integer,
  listen,
  listenList,
  option,
  type Option,
  optionalText,
  readTable,
  rowsOf,
  secret16,
  shortText,
  type Table,
  text,
  tsigKeys,
} from './fields.ts';
import { hostname } from 'node:os';
import type {
  ClusterSettings,
  CookieSettings,
  EtcdSettings,
  EtcdTlsSettings,
  IdentitySettings,
  RateLimitSettings,
  Settings,
} from './types.ts';

export const MAX_WORKERS = 64;

const RATE_LIMIT: Table<RateLimitSettings> = {
  responsesPerSecond: option('responses_per_second', 200, integer(0, 1_000_000)),
  slip: option('slip', 2, integer(0, 10)),
  windowSeconds: option('window', 15, integer(1, 3600)),
  ipv4Prefix: option('ipv4_prefix', 24, integer(8, 32)),
  ipv6Prefix: option('ipv6_prefix', 56, integer(16, 128)),
  exempt: option('exempt', ['127.0.0.0/8', '::1/128'], cidrs),
};

const COOKIES: Table<CookieSettings> = {
  secret: option('secret', undefined, secret16),
  require: option('require', false, boolean),
};

const IDENTITY: Table<IdentitySettings> = {
  nsid: option('nsid', undefined, shortText),
  version: option('version', undefined, shortText),
};

const ETCD_TLS: Table<EtcdTlsSettings> = {
  ca: option('ca', undefined, { ...optionalText, placeholder: 'FILE' }),
  cert: option('cert', undefined, { ...optionalText, placeholder: 'FILE' }),
  key: option('key', undefined, { ...optionalText, placeholder: 'FILE' }),
};

const ETCD: Table<EtcdSettings> = {
  endpoints: option('endpoints', ['http://127.0.0.1:2379'], endpoints),
  prefix: option('prefix', 'gslb/', text),
  username: option('username', undefined, optionalText),
  password: option('password', undefined, optionalText),
  maxTxnOps: option('max_txn_ops', 128, integer(16, 1_000_000)),
  tls: option('tls', undefined, optionalGroup(ETCD_TLS, defaults(ETCD_TLS))),
};

const CLUSTER: Table<ClusterSettings> = {
  node: option('node', hostname(), text),
  etcd: option('etcd', defaults(ETCD), group(ETCD)),
  healthQuorum: option('health_quorum', 'majority', quorum),
};

/** Every server setting, in the order the config file's keys are listed. */
export const SETTINGS: Table<Settings> = {
  zones: option('zones', './zones', { ...text, placeholder: 'DIR' }, { flag: 'zones' }),
  geoip: option('geoip', './geoip', { ...optionalText, placeholder: 'DIR' }, { flag: 'geoip' }),
  db: option('db', './data/gslb.sqlite', { ...text, placeholder: 'FILE' }, { flag: 'db' }),
  dnsListen: option('dns_listen', [{ host: '127.0.0.1', port: 5353 }], listenList, {
    flag: 'dns-listen',
  }),
  apiListen: option('api_listen', { host: '127.0.0.1', port: 8053 }, listen, {
    flag: 'api-listen',
  }),
  redirectListen: option('redirect_listen', { host: '127.0.0.1', port: 8080 }, listen, {
    flag: 'redirect-listen',
  }),
  apiToken: option('api_token', undefined, optionalText, { env: 'GSLB_API_TOKEN' }),
  trustedProxies: option('trusted_proxies', [], cidrs),
  tsigKeys: option('tsig_keys', [], tsigKeys),
  tcpIdleTimeoutMs: option('tcp_idle_timeout_ms', 10_000, integer(100, 3_600_000)),
  tcpMaxConnections: option('tcp_max_connections', 256, integer(1, 100_000)),
  tcpMaxPerClient: option('tcp_max_per_client', 16, integer(1, 100_000)),
  workers: option('workers', 1, integer(1, MAX_WORKERS), { flag: 'workers' }),
  rateLimit: option('rate_limit', defaults(RATE_LIMIT), group(RATE_LIMIT)),
  cookies: option('cookies', defaults(COOKIES), group(COOKIES)),
  identity: option('identity', defaults(IDENTITY), group(IDENTITY)),
  maxZoneFileBytes: option('max_zone_file_bytes', 64 * 1024 * 1024, integer(1024, 2 ** 31)),
  compileRules: option('compile_rules', true, boolean),
  apiMaxBodyBytes: option('api_max_body_bytes', 64 * 1024, integer(1024, 64 * 1024 * 1024)),
  cluster: option('cluster', undefined, optionalGroup(CLUSTER, defaults(CLUSTER))),
  probeSource: option('probe_source', [], sourceAddresses),
};

export const DEFAULT_SETTINGS: Settings = defaults(SETTINGS);

/** Reads a config file's text on top of `base`; every problem is collected with its position. */
export function parseSettings(
  source: string,
  file: string,
  base: Settings = DEFAULT_SETTINGS,
): { settings: Settings; diagnostics: readonly Diagnostic[] } {
  const { root, collector } = parseYaml(source, file);
  if (root === undefined || root === null)
    return { settings: base, diagnostics: collector.sorted() };
  const settings = readTable(collector, root, SETTINGS, base, 'the config file');
  return { settings, diagnostics: collector.sorted() };
}

type Row = readonly [field: string, row: Option<unknown>];

function flagRows(): Row[] {
  return rowsOf(SETTINGS).filter(([, row]) => row.flag !== undefined);
}

/** The settings' flags, for `util.parseArgs`. */
export function settingFlags(): Record<string, { type: 'string'; multiple: boolean }> {
  const flags: Record<string, { type: 'string'; multiple: boolean }> = {};
  for (const [, row] of flagRows())
    flags[row.flag!] = { type: 'string', multiple: row.repeatable === true };
  return flags;
}

/** "[--zones DIR] [--dns-listen ADDR:PORT]..." for the usage text. */
export function settingFlagsUsage(): string {
  return flagRows()
    .map(([, row]) => `[--${row.flag} ${row.placeholder ?? 'VALUE'}]${row.repeatable ? '...' : ''}`)
    .join(' ');
}

/**
 * The flags given (parseArgs values) and the environment on top of `settings`; what is wrong with any flag, one
 * line each ("--workers: ...").
 */
export function applyFlags(
  settings: Settings,
  values: Readonly<Record<string, string | readonly string[] | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): Result<Settings, string[]> {
  const out: Record<string, unknown> = { ...settings };
  const problems: string[] = [];
  for (const [field, row] of rowsOf(SETTINGS)) {
    const given = row.flag === undefined ? undefined : values[row.flag];
    if (typeof given === 'string' || Array.isArray(given)) {
      const texts: readonly string[] = typeof given === 'string' ? [given] : given;
      const parsed = row.parse?.(texts) ?? fail(`cannot be given as a flag`);
      if (parsed.ok) out[field] = parsed.value;
      else problems.push(`--${row.flag}: ${parsed.error}`);
    }
    const fromEnv = row.env === undefined ? undefined : env[row.env];
    if (fromEnv !== undefined) {
      const parsed = row.parse?.([fromEnv]) ?? fail(`cannot be given in the environment`);
      if (parsed.ok) out[field] = parsed.value;
      else problems.push(`${row.env}: ${parsed.error}`);
    }
  }
  return problems.length > 0 ? fail(problems) : ok(out as unknown as Settings);
}
