// One YAML record mapping (octoDNS syntax) → validated record data of its type.
import { isIPv4, isIPv6 } from 'node:net';
import {
  absoluteName,
  nameProblem,
  type RData,
  type RR,
  RRClass,
  rdataTypeCode,
} from '../core/index.ts';
import { parseDynamicRecord } from './dynamic.ts';
import type { DynamicRecord } from './dynamic-model.ts';
import type { RRset } from './model.ts';
import {
  type Collector,
  mapPairs,
  type Pair,
  readInteger,
  readMapping,
  readString,
  scalarText,
  scalarValue,
  seqItems,
  type YamlNode,
} from '../yaml/index.ts';

export const SERVED_TYPES = [
  'A',
  'AAAA',
  'CNAME',
  'NS',
  'SOA',
  'MX',
  'TXT',
  'SRV',
  'CAA',
  'PTR',
  'DS',
] as const;
export type ServedType = (typeof SERVED_TYPES)[number];

/** Keys gslb adds for load balancing (SPEC §3); acted on by the dynamic-record engine. */
export const DYNAMIC_KEYS = [
  'dynamic',
  'healthcheck',
  'answers',
  'method',
  'ttl_degraded',
  'all_down',
  'redirect',
  'octodns',
] as const;
const RECORD_KEYS = ['type', 'ttl', 'value', 'values', ...DYNAMIC_KEYS];

export const DEFAULT_TTL_SECONDS = 3600; // octoDNS's default
export const MAX_TTL_SECONDS = 2147483647; // RFC 2181 §8

export interface SourceRecord {
  readonly name: string;
  readonly type: ServedType;
  readonly ttl: number;
  readonly data: readonly RData[];
  readonly node: YamlNode | undefined; // the `type` value node, where record-level problems are reported
  readonly valueNodes: readonly (YamlNode | undefined)[];
  readonly dynamic: DynamicRecord | undefined;
  /** The in-service RRset this record equals, reused as it is (see LoadOptions.previous). */
  readonly kept?: RRset;
}

/** Parses one record; undefined when it is too broken to take part in zone-level checks. */
export function parseRecord(
  c: Collector,
  name: string,
  origin: string,
  node: YamlNode | undefined,
  defaultSerial: number,
): SourceRecord | undefined {
  const keys = readMapping(c, node, RECORD_KEYS, `record "${name}"`);
  if (!keys) return undefined;
  const typePair = keys.get('type');
  if (!typePair) {
    c.report(node, 'MISSING_KEY', `record "${name}" has no "type"`);
    return undefined;
  }
  const type = scalarText(typePair.value).toUpperCase();
  if (!(SERVED_TYPES as readonly string[]).includes(type)) {
    c.report(
      typePair.value,
      'BAD_TYPE',
      `type "${type}" is not served; expected one of ${SERVED_TYPES.join(', ')}`,
    );
    return undefined;
  }
  const ttlPair = keys.get('ttl');
  const ttl = ttlPair
    ? readInteger(c, ttlPair.value, 0, MAX_TTL_SECONDS, 'ttl', 'BAD_TTL')
    : DEFAULT_TTL_SECONDS;
  for (const key of DYNAMIC_KEYS) {
    const pair = keys.get(key);
    if (!pair || type === 'A' || type === 'AAAA') continue;
    if (key === 'octodns')
      c.report(
        pair.key,
        'IGNORED_KEY',
        'octoDNS settings on this record type are not used by gslb',
        'warning',
      );
    else c.report(pair.key, 'BAD_STRUCTURE', `"${key}" applies only to A and AAAA records`);
  }
  const valueNodes = readValueNodes(c, keys, node, name, type as ServedType);
  const data: RData[] = [];
  for (const v of valueNodes) {
    const parsed = parseValue(c, type as ServedType, v, defaultSerial);
    if (parsed) data.push(parsed);
  }
  if (ttl === undefined || data.length !== valueNodes.length) return undefined;
  const fqdn = absoluteName(name === '@' ? '' : name, origin);
  const defaults = data.map((d): RR => ({
    name: fqdn,
    type: rdataTypeCode(d),
    class: RRClass.IN,
    ttl,
    data: d,
  }));
  const dynamic =
    type === 'A' || type === 'AAAA'
      ? parseDynamicRecord(c, keys, { name: fqdn, type, ttl, defaults })
      : undefined;
  return { name, type: type as ServedType, ttl, data, node: typePair.value, valueNodes, dynamic };
}

function readValueNodes(
  c: Collector,
  keys: Map<string, Pair>,
  node: YamlNode | undefined,
  name: string,
  type: ServedType,
): readonly (YamlNode | undefined)[] {
  const one = keys.get('value');
  const many = keys.get('values');
  if (one && many) {
    c.report(many.key, 'BAD_STRUCTURE', 'give "value" or "values", not both');
    return [];
  }
  if (!one && !many) {
    c.report(node, 'MISSING_KEY', `${type} record "${name}" has no "value" or "values"`);
    return [];
  }
  if (one) return [one.value];
  const items = seqItems(many!.value);
  if (!items || items.length === 0) {
    c.report(many!.value, 'BAD_STRUCTURE', '"values" must be a non-empty list');
    return [];
  }
  if ((type === 'CNAME' || type === 'SOA') && items.length > 1) {
    c.report(many!.value, 'BAD_VALUE', `a ${type} record has exactly one value`);
    return [];
  }
  return [...items];
}

function parseValue(
  c: Collector,
  type: ServedType,
  node: YamlNode | undefined,
  defaultSerial: number,
): RData | undefined {
  switch (type) {
    case 'A':
    case 'AAAA': {
      const text = readString(c, node, `${type} value`);
      if (text === undefined) return undefined;
      const ok = type === 'A' ? isIPv4(text) : isIPv6(text) && !text.includes('%');
      if (!ok)
        c.report(
          node,
          'BAD_ADDRESS',
          `"${text}" is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address`,
        );
      return ok ? { type, address: type === 'AAAA' ? text.toLowerCase() : text } : undefined;
    }
    case 'NS':
    case 'CNAME':
    case 'PTR': {
      const target = readTarget(c, node, `${type} value`);
      return target === undefined ? undefined : { type, target };
    }
    case 'TXT':
      return parseTxt(c, node);
    case 'MX':
      return parseMx(c, node);
    case 'SRV':
      return parseFields(c, node, 'SRV', ['priority', 'weight', 'port', 'target'], (f) => ({
        type: 'SRV',
        priority: f.int('priority', 65535),
        weight: f.int('weight', 65535),
        port: f.int('port', 65535),
        target: f.target('target'),
      }));
    case 'CAA':
      return parseFields(c, node, 'CAA', ['flags', 'tag', 'value'], (f) => ({
        type: 'CAA',
        flags: f.int('flags', 255, 0),
        tag: f.tag('tag'),
        value: f.text('value'),
      }));
    case 'SOA':
      return parseFields(
        c,
        node,
        'SOA',
        ['mname', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum'],
        (f) => ({
          type: 'SOA',
          mname: f.target('mname'),
          rname: f.target('rname'),
          serial: f.int('serial', 4294967295, defaultSerial),
          refresh: f.int('refresh', MAX_TTL_SECONDS),
          retry: f.int('retry', MAX_TTL_SECONDS),
          expire: f.int('expire', MAX_TTL_SECONDS),
          minimum: f.int('minimum', MAX_TTL_SECONDS),
        }),
      );
    case 'DS':
      return parseFields(c, node, 'DS', ['key_tag', 'algorithm', 'digest_type', 'digest'], (f) => ({
        type: 'DS',
        keyTag: f.int('key_tag', 65535),
        algorithm: f.int('algorithm', 255),
        digestType: f.int('digest_type', 255),
        digest: f.hex('digest'),
      }));
    default: {
      const never: never = type;
      throw new Error(`unhandled type ${String(never)}`);
    }
  }
}

function readTarget(c: Collector, node: YamlNode | undefined, what: string): string | undefined {
  const text = readString(c, node, what);
  if (text === undefined) return undefined;
  const problem = nameProblem(text);
  if (problem) c.report(node, 'BAD_NAME', `${what}: ${problem}`);
  return problem ? undefined : text.toLowerCase();
}

/** octoDNS TXT: `\;` escapes a semicolon; values longer than 255 bytes are split into strings of 255. */
function parseTxt(c: Collector, node: YamlNode | undefined): RData | undefined {
  const text = readString(c, node, 'TXT value');
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text.replaceAll('\\;', ';'), 'utf8');
  if (bytes.length > 4000) {
    c.report(node, 'BAD_VALUE', `TXT value is ${bytes.length} bytes; the limit is 4000`);
    return undefined;
  }
  const strings: string[] = [];
  for (let i = 0; i < bytes.length || strings.length === 0; i += 255)
    strings.push(bytes.subarray(i, i + 255).toString('utf8'));
  return { type: 'TXT', strings };
}

/** octoDNS MX: {preference, exchange}, also the older {priority, value}. */
function parseMx(c: Collector, node: YamlNode | undefined): RData | undefined {
  const pairs = mapPairs(node);
  const legacy = pairs?.some(
    (p) => scalarValue(p.key) === 'priority' || scalarValue(p.key) === 'value',
  );
  const [pref, target] = legacy ? ['priority', 'value'] : ['preference', 'exchange'];
  return parseFields(c, node, 'MX', [pref, target], (f) => ({
    type: 'MX',
    preference: f.int(pref, 65535),
    exchange: f.target(target),
  }));
}

interface FieldReader {
  int(key: string, max: number, fallback?: number): number;
  target(key: string): string;
  text(key: string): string;
  tag(key: string): string;
  hex(key: string): string;
}

/**
 * Reads a mapping of fields; `build` runs with readers that note any problem, and its result is dropped if
 * one was found.
 */
function parseFields(
  c: Collector,
  node: YamlNode | undefined,
  type: string,
  allowed: string[],
  build: (f: FieldReader) => RData,
): RData | undefined {
  const keys = readMapping(c, node, allowed, `${type} value`);
  if (!keys) return undefined;
  let ok = true;
  const field = (key: string): YamlNode | undefined => {
    const pair = keys.get(key);
    if (!pair) {
      ok = false;
      c.report(node, 'MISSING_KEY', `${type} value has no "${key}"`);
    }
    return pair?.value;
  };
  const checked = <T>(v: T | undefined, fallback: T): T => {
    if (v === undefined) ok = false;
    return v ?? fallback;
  };
  const reader: FieldReader = {
    int: (key, max, fallback) => {
      if (fallback !== undefined && !keys.has(key)) return fallback;
      const v = field(key);
      return v === undefined ? 0 : checked(readInteger(c, v, 0, max, `${type} ${key}`), 0);
    },
    target: (key) => {
      const v = field(key);
      return v === undefined ? '.' : checked(readTarget(c, v, `${type} ${key}`), '.');
    },
    text: (key) => {
      const v = field(key);
      return v === undefined ? '' : checked(readString(c, v, `${type} ${key}`), '');
    },
    tag: (key) => {
      const v = reader.text(key);
      if (!/^[A-Za-z0-9]{1,255}$/.test(v) && ok) {
        ok = false;
        c.report(
          keys.get(key)?.value,
          'BAD_VALUE',
          `${type} ${key} "${v}" must be letters and digits`,
        );
      }
      return v.toLowerCase();
    },
    hex: (key) => {
      const v = reader.text(key);
      if (!/^([0-9A-Fa-f]{2})+$/.test(v) && ok) {
        ok = false;
        c.report(keys.get(key)?.value, 'BAD_VALUE', `${type} ${key} must be hexadecimal`);
      }
      return v.toLowerCase();
    },
  };
  const data = build(reader);
  return ok ? data : undefined;
}
