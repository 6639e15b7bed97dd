// The health check of a dynamic record: gslb's `healthcheck`, or octoDNS's `octodns.healthcheck`.
import { validate as validCron } from 'node-cron';
import type { HealthcheckSpec } from './dynamic-model.ts';
import {
  type Collector,
  type Pair,
  readInteger,
  readMapping,
  readString,
  scalarText,
  scalarValue,
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

/**
 * octoDNS healthcheck first, gslb's `healthcheck` keys over it; octoDNS defaults: HTTPS, 443, /_dns, host =
 * record name.
 */
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
  const m = /^(\d{3})(?:-(\d{3}))?$/.exec(scalarText(node));
  const low = Number(m?.[1]);
  const high = Number(m?.[2] ?? m?.[1]);
  if (!m || low < 100 || high > 599 || low > high) {
    c.report(node, 'BAD_VALUE', 'expect must be a status code or range such as 200-399');
    return [200, 399];
  }
  return [low, high];
}
