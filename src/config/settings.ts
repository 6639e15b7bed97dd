// Server settings: defaults, the optional config file (SPEC §2), then command-line flags on top.
import { isIP } from 'node:net';
import { type Diagnostic } from '../core/index.ts';
import { type Collector, parseYaml, readInteger, readMapping, readString, seqItems } from '../zone/index.ts';

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
  /** DNS worker processes sharing the listeners (1: the one process serves everything). */
  readonly workers: number;
}

export const DEFAULT_SETTINGS: Settings = {
  zones: './zones', geoip: './geoip', db: './data/gslb.sqlite',
  dnsListen: [{ host: '127.0.0.1', port: 5353 }],
  apiListen: { host: '127.0.0.1', port: 8053 },
  redirectListen: { host: '127.0.0.1', port: 8080 },
  apiToken: undefined, trustedProxies: [], tsigKeys: [],
  tcpIdleTimeoutMs: 10_000, tcpMaxConnections: 256, workers: 1,
};

export const MAX_WORKERS = 64;

/** "127.0.0.1:53", "[::1]:53" → host and port; a string says what is wrong. */
export function parseListenAddress(text: string): ListenAddress | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || port > 65535) return `"${text}" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)`;
  if (!isIP(host)) return `"${host}" is not an IP address`;
  if (isIP(host) === 6 && m[1] === undefined) return `IPv6 address "${host}" must be written in brackets: [${host}]:${port}`;
  return { host, port };
}

const KEYS = ['zones', 'geoip', 'db', 'dns_listen', 'api_listen', 'redirect_listen', 'api_token', 'trusted_proxies', 'tsig_keys', 'tcp_idle_timeout_ms', 'tcp_max_connections', 'workers'];

/** Reads a config file's text on top of `base`; every problem is collected with its position. */
export function parseSettings(text: string, file: string, base: Settings = DEFAULT_SETTINGS): { settings: Settings; diagnostics: readonly Diagnostic[] } {
  const { root, collector: c } = parseYaml(text, file);
  const keys = root === undefined || root === null ? undefined : readMapping(c, root, KEYS, 'the config file');
  if (!keys) return { settings: base, diagnostics: c.diagnostics };
  const out: { -readonly [K in keyof Settings]: Settings[K] } = { ...base };
  for (const [key, pair] of keys) {
    const node = pair.value;
    switch (key) {
      case 'zones': case 'geoip': case 'db':
        out[key] = readString(c, node, key) ?? base[key];
        break;
      case 'api_token':
        out.apiToken = readString(c, node, key);
        break;
      case 'dns_listen': {
        const items = seqItems(node) ?? [node];
        out.dnsListen = items.map((n) => readListen(c, n)).filter((a): a is ListenAddress => a !== undefined);
        break;
      }
      case 'api_listen':
        out.apiListen = readListen(c, node) ?? base.apiListen;
        break;
      case 'redirect_listen':
        out.redirectListen = readListen(c, node) ?? base.redirectListen;
        break;
      case 'trusted_proxies':
        out.trustedProxies = (seqItems(node) ?? []).map((n) => readString(c, n, 'trusted_proxies entry') ?? '');
        break;
      case 'tsig_keys':
        out.tsigKeys = (seqItems(node) ?? []).map((n) => readTsigKey(c, n)).filter((k): k is TsigKeyConfig => k !== undefined);
        break;
      case 'tcp_idle_timeout_ms':
        out.tcpIdleTimeoutMs = readInteger(c, node, 100, 3_600_000, key, 'CONFIG') ?? base.tcpIdleTimeoutMs;
        break;
      case 'tcp_max_connections':
        out.tcpMaxConnections = readInteger(c, node, 1, 100_000, key, 'CONFIG') ?? base.tcpMaxConnections;
        break;
      case 'workers':
        out.workers = readInteger(c, node, 1, MAX_WORKERS, key, 'CONFIG') ?? base.workers;
        break;
    }
  }
  return { settings: out, diagnostics: c.sorted() };
}

function readListen(c: Collector, node: unknown): ListenAddress | undefined {
  const text = readString(c, node, 'listen address');
  if (text === undefined) return undefined;
  const parsed = parseListenAddress(text);
  if (typeof parsed === 'string') c.report(node, 'CONFIG', parsed);
  return typeof parsed === 'string' ? undefined : parsed;
}

const ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha1'] as const;

function readTsigKey(c: Collector, node: unknown): TsigKeyConfig | undefined {
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
    c.report(keys?.get('algorithm')?.value, 'CONFIG', `algorithm "${algorithm}" is not one of ${ALGORITHMS.join(', ')}`);
    return undefined;
  }
  if (secret !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(secret)) {
    c.report(keys?.get('secret')?.value, 'CONFIG', 'secret must be base64');
    return undefined;
  }
  const zonesNode = keys?.get('zones')?.value;
  const zones = zonesNode === undefined ? undefined : (seqItems(zonesNode) ?? []).map((n) => (readString(c, n, 'zone') ?? '').toLowerCase());
  if (name === undefined || algorithm === undefined || secret === undefined) return undefined;
  return { name: name.toLowerCase().replace(/\.?$/, '.'), algorithm: algorithm as TsigKeyConfig['algorithm'], secret, zones };
}
