// Server settings: defaults, the optional config file (SPEC §2), then command-line flags on top.
import { isIP } from 'node:net';
import { type Diagnostic, fail, ok, parseCidr, type Result } from '../core/index.ts';
import {
  type Collector,
  parseYaml,
  readInteger,
  readMapping,
  readString,
  scalarValue,
  seqItems,
  type YamlNode,
} from '../yaml/index.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface TsigKeyConfig {
  readonly name: string;
  readonly algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1';
  readonly secret: string;
  readonly zones: readonly string[] | undefined; // undefined: every zone
}

export interface Settings {
  readonly zones: string;
  readonly geoip: string;
  readonly db: string;
  readonly dnsListen: readonly ListenAddress[];
  readonly apiListen: ListenAddress;
  readonly redirectListen: ListenAddress;
  readonly apiToken: string | undefined;
  readonly trustedProxies: readonly string[];
  readonly tsigKeys: readonly TsigKeyConfig[];
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  readonly tcpMaxPerClient: number;
  /** DNS worker processes sharing the listeners (1: the one process serves everything). */
  readonly workers: number;
  readonly rateLimit: RateLimitSettings;
  readonly cookies: CookieSettings;
  readonly identity: IdentitySettings;
  /** A zone file larger than this is rejected before it is read. */
  readonly maxZoneFileBytes: number;
  /** API request bodies larger than this are refused (413). */
  readonly apiMaxBodyBytes: number;
}

/** Response rate limiting (SPEC §10): responses per second per source prefix and response class. */
export interface RateLimitSettings {
  /** 0: off. */
  readonly responsesPerSecond: number;
  /** Every `slip`-th limited response is sent empty with TC=1, the others dropped; 0: all dropped. */
  readonly slip: number;
  readonly windowSeconds: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  /** Sources never limited (CIDR text); counted all the same. */
  readonly exempt: readonly string[];
}

/** DNS Cookies (RFC 7873, server cookies per RFC 9018). */
export interface CookieSettings {
  /** 16 bytes as 32 hex digits, shared by the nodes of a cluster; undefined: random per start. */
  readonly secret: string | undefined;
  /** UDP queries with a client cookie but no valid server cookie get BADCOOKIE (and a cookie) instead of an answer. */
  readonly require: boolean;
}

/** NSID (RFC 5001), CH TXT id.server / hostname.bind and version.bind; each answered only when set. */
export interface IdentitySettings {
  readonly nsid: string | undefined;
  readonly version: string | undefined;
}

export const DEFAULT_SETTINGS: Settings = {
  zones: './zones',
  geoip: './geoip',
  db: './data/gslb.sqlite',
  dnsListen: [{ host: '127.0.0.1', port: 5353 }],
  apiListen: { host: '127.0.0.1', port: 8053 },
  redirectListen: { host: '127.0.0.1', port: 8080 },
  apiToken: undefined,
  trustedProxies: [],
  tsigKeys: [],
  tcpIdleTimeoutMs: 10_000,
  tcpMaxConnections: 256,
  tcpMaxPerClient: 16,
  workers: 1,
  rateLimit: {
    responsesPerSecond: 200,
    slip: 2,
    windowSeconds: 15,
    ipv4Prefix: 24,
    ipv6Prefix: 56,
    exempt: ['127.0.0.0/8', '::1/128'],
  },
  cookies: { secret: undefined, require: false },
  identity: { nsid: undefined, version: undefined },
  maxZoneFileBytes: 64 * 1024 * 1024,
  apiMaxBodyBytes: 64 * 1024,
};

export const MAX_WORKERS = 64;

/** "127.0.0.1:53", "[::1]:53" → host and port; a string says what is wrong. */
export function parseListenAddress(text: string): Result<ListenAddress> {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || port > 65535)
    return fail(`"${text}" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)`);
  if (!isIP(host)) return fail(`"${host}" is not an IP address`);
  if (isIP(host) === 6 && m[1] === undefined)
    return fail(`IPv6 address "${host}" must be written in brackets: [${host}]:${port}`);
  return ok({ host, port });
}

const KEYS = [
  'zones',
  'geoip',
  'db',
  'dns_listen',
  'api_listen',
  'redirect_listen',
  'api_token',
  'trusted_proxies',
  'tsig_keys',
  'tcp_idle_timeout_ms',
  'tcp_max_connections',
  'tcp_max_per_client',
  'workers',
  'rate_limit',
  'cookies',
  'identity',
  'max_zone_file_bytes',
  'api_max_body_bytes',
];

/** Reads a config file's text on top of `base`; every problem is collected with its position. */
export function parseSettings(
  text: string,
  file: string,
  base: Settings = DEFAULT_SETTINGS,
): { settings: Settings; diagnostics: readonly Diagnostic[] } {
  const { root, collector: c } = parseYaml(text, file);
  const keys =
    root === undefined || root === null ? undefined : readMapping(c, root, KEYS, 'the config file');
  if (!keys) return { settings: base, diagnostics: c.diagnostics };
  const out: { -readonly [K in keyof Settings]: Settings[K] } = { ...base };
  for (const [key, pair] of keys) {
    const node = pair.value;
    switch (key) {
      case 'zones':
      case 'geoip':
      case 'db':
        out[key] = readString(c, node, key) ?? base[key];
        break;
      case 'api_token':
        out.apiToken = readString(c, node, key);
        break;
      case 'dns_listen': {
        const items = seqItems(node) ?? [node];
        out.dnsListen = items
          .map((n) => readListen(c, n))
          .filter((a): a is ListenAddress => a !== undefined);
        break;
      }
      case 'api_listen':
        out.apiListen = readListen(c, node) ?? base.apiListen;
        break;
      case 'redirect_listen':
        out.redirectListen = readListen(c, node) ?? base.redirectListen;
        break;
      case 'trusted_proxies':
        out.trustedProxies = readCidrs(c, node, key);
        break;
      case 'tsig_keys':
        out.tsigKeys = (seqItems(node) ?? [])
          .map((n) => readTsigKey(c, n))
          .filter((k): k is TsigKeyConfig => k !== undefined);
        break;
      case 'tcp_idle_timeout_ms':
        out.tcpIdleTimeoutMs =
          readInteger(c, node, 100, 3_600_000, key, 'CONFIG') ?? base.tcpIdleTimeoutMs;
        break;
      case 'tcp_max_connections':
        out.tcpMaxConnections =
          readInteger(c, node, 1, 100_000, key, 'CONFIG') ?? base.tcpMaxConnections;
        break;
      case 'tcp_max_per_client':
        out.tcpMaxPerClient =
          readInteger(c, node, 1, 100_000, key, 'CONFIG') ?? base.tcpMaxPerClient;
        break;
      case 'workers':
        out.workers = readInteger(c, node, 1, MAX_WORKERS, key, 'CONFIG') ?? base.workers;
        break;
      case 'rate_limit':
        out.rateLimit = readRateLimit(c, node, base.rateLimit);
        break;
      case 'cookies':
        out.cookies = readCookies(c, node, base.cookies);
        break;
      case 'identity':
        out.identity = readIdentity(c, node, base.identity);
        break;
      case 'max_zone_file_bytes':
        out.maxZoneFileBytes =
          readInteger(c, node, 1024, 2 ** 31, key, 'CONFIG') ?? base.maxZoneFileBytes;
        break;
      case 'api_max_body_bytes':
        out.apiMaxBodyBytes =
          readInteger(c, node, 1024, 64 * 1024 * 1024, key, 'CONFIG') ?? base.apiMaxBodyBytes;
        break;
    }
  }
  return { settings: out, diagnostics: c.sorted() };
}

/** A list of CIDRs, each checked where it is written. */
function readCidrs(c: Collector, node: YamlNode | undefined, what: string): string[] {
  const items = seqItems(node);
  if (!items) {
    c.report(node, 'CONFIG', `${what} must be a list of CIDRs`);
    return [];
  }
  return items.flatMap((n) => {
    const text = readString(c, n, `${what} entry`);
    const parsed = text === undefined ? undefined : parseCidr(text);
    if (parsed && !parsed.ok) c.report(n, 'CONFIG', `${what}: ${parsed.error}`);
    return text !== undefined && parsed?.ok ? [text] : [];
  });
}

function readRateLimit(
  c: Collector,
  node: YamlNode | undefined,
  base: RateLimitSettings,
): RateLimitSettings {
  const keys = readMapping(
    c,
    node,
    ['responses_per_second', 'slip', 'window', 'ipv4_prefix', 'ipv6_prefix', 'exempt'],
    'rate_limit',
  );
  const out: { -readonly [K in keyof RateLimitSettings]: RateLimitSettings[K] } = { ...base };
  for (const [key, { value }] of keys ?? []) {
    const int = (min: number, max: number): number | undefined =>
      readInteger(c, value, min, max, `rate_limit.${key}`, 'CONFIG');
    if (key === 'responses_per_second')
      out.responsesPerSecond = int(0, 1_000_000) ?? base.responsesPerSecond;
    else if (key === 'slip') out.slip = int(0, 10) ?? base.slip;
    else if (key === 'window') out.windowSeconds = int(1, 3600) ?? base.windowSeconds;
    else if (key === 'ipv4_prefix') out.ipv4Prefix = int(8, 32) ?? base.ipv4Prefix;
    else if (key === 'ipv6_prefix') out.ipv6Prefix = int(16, 128) ?? base.ipv6Prefix;
    else out.exempt = readCidrs(c, value, 'rate_limit.exempt');
  }
  return out;
}

function readCookies(
  c: Collector,
  node: YamlNode | undefined,
  base: CookieSettings,
): CookieSettings {
  const keys = readMapping(c, node, ['secret', 'require'], 'cookies');
  let { secret } = base;
  let required = base.require;
  const secretNode = keys?.get('secret')?.value;
  if (secretNode !== undefined) {
    const text = readString(c, secretNode, 'cookies.secret');
    if (text !== undefined && !/^[0-9a-fA-F]{32}$/.test(text))
      c.report(secretNode, 'CONFIG', 'cookies.secret must be 32 hex digits (16 bytes)');
    else secret = text?.toLowerCase();
  }
  const requireNode = keys?.get('require')?.value;
  if (requireNode !== undefined) {
    const v = scalarValue(requireNode);
    if (typeof v !== 'boolean')
      c.report(requireNode, 'CONFIG', 'cookies.require must be true or false');
    else required = v;
  }
  return { secret, require: required };
}

function readIdentity(
  c: Collector,
  node: YamlNode | undefined,
  base: IdentitySettings,
): IdentitySettings {
  const keys = readMapping(c, node, ['nsid', 'version'], 'identity');
  const text = (key: 'nsid' | 'version'): string | undefined => {
    const pair = keys?.get(key);
    if (!pair) return base[key];
    if (scalarValue(pair.value) === null) return undefined;
    const v = readString(c, pair.value, `identity.${key}`);
    if (v !== undefined && (v.length === 0 || Buffer.byteLength(v) > 255))
      c.report(pair.value, 'CONFIG', `identity.${key} must be 1 to 255 bytes`);
    return v !== undefined && v.length > 0 && Buffer.byteLength(v) <= 255 ? v : undefined;
  };
  return { nsid: text('nsid'), version: text('version') };
}

function readListen(c: Collector, node: YamlNode | undefined): ListenAddress | undefined {
  const text = readString(c, node, 'listen address');
  if (text === undefined) return undefined;
  const parsed = parseListenAddress(text);
  if (!parsed.ok) c.report(node, 'CONFIG', parsed.error);
  return parsed.ok ? parsed.value : undefined;
}

const ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha1'] as const;

function readTsigKey(c: Collector, node: YamlNode | undefined): TsigKeyConfig | undefined {
  const keys = readMapping(c, node, ['name', 'algorithm', 'secret', 'zones'], 'a TSIG key');
  const field = (k: string): string | undefined => {
    const pair = keys?.get(k);
    if (!pair) c.report(node, 'MISSING_KEY', `a TSIG key needs "${k}"`);
    return pair ? readString(c, pair.value, k) : undefined;
  };
  const name = field('name');
  const algorithm = field('algorithm');
  const secret = field('secret');
  if (algorithm !== undefined && !(ALGORITHMS as readonly string[]).includes(algorithm)) {
    c.report(
      keys?.get('algorithm')?.value,
      'CONFIG',
      `algorithm "${algorithm}" is not one of ${ALGORITHMS.join(', ')}`,
    );
    return undefined;
  }
  if (secret !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(secret)) {
    c.report(keys?.get('secret')?.value, 'CONFIG', 'secret must be base64');
    return undefined;
  }
  const zonesNode = keys?.get('zones')?.value;
  const zones =
    zonesNode === undefined
      ? undefined
      : (seqItems(zonesNode) ?? []).map((n) => (readString(c, n, 'zone') ?? '').toLowerCase());
  if (name === undefined || algorithm === undefined || secret === undefined) return undefined;
  return {
    name: name.toLowerCase().replace(/\.?$/, '.'),
    algorithm: algorithm as TsigKeyConfig['algorithm'],
    secret,
    zones,
  };
}
