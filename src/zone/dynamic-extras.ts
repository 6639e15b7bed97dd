// The health check (gslb's `healthcheck`, octoDNS's `octodns.healthcheck`) and redirect settings of a dynamic record.
import { validate as validCron } from 'node-cron';
import { isIpOfType, type RR, RRClass, RRType } from '../core/index.ts';
import type { HealthcheckSpec, RedirectSpec } from './dynamic-model.ts';
import {
  type Collector,
  type Pair,
  readInteger,
  readMapping,
  readString,
  scalarValue,
  seqItems,
  type YamlNode,
} from '../yaml/index.ts';

const HEALTHCHECK_KEYS = [
  'protocol',
  'port',
  'path',
  'host',
  'expect',
  'interval',
  'timeout',
  'rise',
  'fall',
  'initial',
  'tls_verify',
];
const OCTODNS_PROVIDER_KEYS = ['ignored', 'excluded', 'included', 'lenient'];

/** Milliseconds of "500ms", "2s", "1m", "1h"; undefined when it is not a duration. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** octoDNS healthcheck first, gslb's `healthcheck` keys over it; octoDNS defaults: HTTPS, 443, /_dns, host = record name. */
export function parseHealthcheck(
  c: Collector,
  own: Pair | undefined,
  octodns: Pair | undefined,
  recordName: string,
): HealthcheckSpec | undefined {
  const octo = octodns
    ? readMapping(c, octodns.value, ['healthcheck', ...OCTODNS_PROVIDER_KEYS], '"octodns"', true)
    : undefined;
  for (const [key, pair] of octo ?? []) {
    if (key !== 'healthcheck')
      c.report(
        pair.key,
        'IGNORED_KEY',
        `octodns.${key} is a setting for octoDNS or another provider; gslb does not use it`,
        'warning',
      );
  }
  const fromOcto = octo?.get('healthcheck')
    ? readMapping(
        c,
        octo.get('healthcheck')!.value,
        ['host', 'path', 'port', 'protocol'],
        'octodns.healthcheck',
      )
    : undefined;
  const fromOwn = own ? readMapping(c, own.value, HEALTHCHECK_KEYS, '"healthcheck"') : undefined;
  if (!fromOcto && !fromOwn) return undefined;
  const get = (key: string): YamlNode | undefined =>
    (fromOwn?.get(key) ?? fromOcto?.get(key))?.value;
  const text = (key: string, fallback: string): string =>
    get(key) === undefined ? fallback : (readString(c, get(key), key) ?? fallback);
  const protocol = text('protocol', 'HTTPS').toUpperCase();
  if (protocol !== 'HTTP' && protocol !== 'HTTPS' && protocol !== 'TCP')
    c.report(get('protocol'), 'BAD_VALUE', `protocol "${protocol}" is not HTTP, HTTPS or TCP`);
  const port =
    get('port') === undefined
      ? protocol === 'HTTP'
        ? 80
        : 443
      : (readInteger(c, get('port'), 1, 65535, 'port') ?? 443);
  const path = text('path', '/_dns');
  if (!path.startsWith('/')) c.report(get('path'), 'BAD_VALUE', `path "${path}" must start with /`);
  const interval = text('interval', '10s');
  const intervalMs = durationMs(interval);
  if (intervalMs === undefined ? !validCron(interval) : intervalMs < 1000)
    c.report(
      get('interval'),
      'BAD_VALUE',
      `interval "${interval}" is neither a duration of at least 1s nor a cron expression`,
    );
  const timeoutMs = durationMs(text('timeout', '2s'));
  if (
    timeoutMs === undefined ||
    timeoutMs < 1 ||
    (intervalMs !== undefined && timeoutMs >= intervalMs)
  ) {
    c.report(get('timeout'), 'BAD_VALUE', 'timeout must be a duration shorter than the interval');
  }
  const initial = text('initial', 'up');
  if (initial !== 'up' && initial !== 'down')
    c.report(get('initial'), 'BAD_VALUE', 'initial must be up or down');
  const tlsVerify = get('tls_verify') === undefined ? false : scalarValue(get('tls_verify'));
  if (typeof tlsVerify !== 'boolean')
    c.report(get('tls_verify'), 'BAD_VALUE', 'tls_verify must be true or false');
  return {
    protocol: protocol as HealthcheckSpec['protocol'],
    port,
    path,
    host: text('host', recordName.replace(/\.$/, '')),
    expect: parseExpect(c, get('expect')),
    interval,
    timeoutMs: timeoutMs ?? 2000,
    rise: get('rise') === undefined ? 2 : (readInteger(c, get('rise'), 1, 100, 'rise') ?? 2),
    fall: get('fall') === undefined ? 3 : (readInteger(c, get('fall'), 1, 100, 'fall') ?? 3),
    initial: initial === 'down' ? 'down' : 'up',
    tlsVerify: tlsVerify === true,
  };
}

/** "200-399", "200" or 200 → the accepted status range. */
function parseExpect(c: Collector, node: YamlNode | undefined): readonly [number, number] {
  if (node === undefined) return [200, 399];
  const m = /^(\d{3})(?:-(\d{3}))?$/.exec(String(scalarValue(node) ?? ''));
  const low = Number(m?.[1]);
  const high = Number(m?.[2] ?? m?.[1]);
  if (!m || low < 100 || high > 599 || low > high) {
    c.report(node, 'BAD_VALUE', 'expect must be a status code or range such as 200-399');
    return [200, 399];
  }
  return [low, high];
}

export function parseRedirect(
  c: Collector,
  pair: Pair,
  name: string,
  type: 'A' | 'AAAA',
  ttl: number,
): RedirectSpec | undefined {
  const keys = readMapping(
    c,
    pair.value,
    ['addresses', 'mode', 'fallback_url', 'scheme', 'port'],
    '"redirect"',
  );
  if (!keys) return undefined;
  const addressNodes = keys.get('addresses') ? seqItems(keys.get('addresses')!.value) : undefined;
  if (!addressNodes || addressNodes.length === 0)
    c.report(
      keys.get('addresses')?.value ?? pair.value,
      'MISSING_KEY',
      'redirect needs "addresses": where this gslb\'s redirect tier is reachable',
    );
  const addresses: RR[] = [];
  for (const node of addressNodes ?? []) {
    const text = readString(c, node, 'redirect address');
    if (text !== undefined && !isIpOfType(text, type))
      c.report(
        node,
        'BAD_ADDRESS',
        `"${text}" is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address`,
      );
    else if (text !== undefined)
      addresses.push({
        name,
        type: RRType[type],
        class: RRClass.IN,
        ttl,
        data: { type, address: text.toLowerCase() },
      });
  }
  const mode = keys.get('mode') ? readString(c, keys.get('mode')!.value, 'mode') : 'fallback';
  if (mode !== 'fallback' && mode !== 'always')
    c.report(keys.get('mode')?.value, 'BAD_VALUE', 'mode must be fallback or always');
  const url = keys.get('fallback_url')
    ? readString(c, keys.get('fallback_url')!.value, 'fallback_url')
    : undefined;
  if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url))
    c.report(
      keys.get('fallback_url')?.value,
      'BAD_VALUE',
      `fallback_url "${url}" is not an http(s) URL`,
    );
  const scheme = keys.get('scheme') ? readString(c, keys.get('scheme')!.value, 'scheme') : 'https';
  if (scheme !== 'http' && scheme !== 'https')
    c.report(keys.get('scheme')?.value, 'BAD_VALUE', 'scheme must be http or https');
  const port = keys.get('port')
    ? readInteger(c, keys.get('port')!.value, 1, 65535, 'port')
    : undefined;
  return {
    addresses,
    mode: mode === 'always' ? 'always' : 'fallback',
    fallbackUrl: url,
    scheme: scheme === 'http' ? 'http' : 'https',
    port,
  };
}
