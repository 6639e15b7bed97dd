// The kinds of setting: how a YAML value (reported at its position when wrong) and a flag's text become a value.
import { isIP } from 'node:net';
import { fail, ok, parseCidr, type Result } from '../core/index.ts';
import {
  type Collector,
  readInteger,
  readMapping,
  readString,
  scalarValue,
  seqItems,
  type YamlNode,
} from '../yaml/index.ts';
import { type ListenAddress, TSIG_ALGORITHMS, type TsigKeyConfig } from './types.ts';

/** How one setting is read. */
export interface Kind<T> {
  // Methods, so that a row of any T may stand in a table of rows (their parameters are checked both ways).
  /** The value written at `node`, or `base` once what is wrong with it has been reported. */
  read(c: Collector, node: YamlNode | undefined, what: string, base: T): T;
  /** A flag's text (every one given, for a repeatable flag) as a value, or what is wrong with it. */
  parse?(texts: readonly string[]): Result<T>;
  /** What the flag takes, for the usage text. */
  readonly placeholder?: string;
  readonly repeatable?: boolean;
}

/** One row of a settings table. */
export interface Option<T> extends Kind<T> {
  /** The key in the config file. */
  readonly key: string;
  readonly default: T;
  /** The command-line flag (without "--"); it overrides the file. */
  readonly flag?: string;
  /** An environment variable that overrides the file and the flags. */
  readonly env?: string;
}

/** A row per field of `S`. */
export type Table<S> = { readonly [K in keyof S]: Option<S[K]> };

export function option<T>(
  key: string,
  defaultValue: T,
  kind: Kind<T>,
  more: { readonly flag?: string; readonly env?: string } = {},
): Option<T> {
  return { ...kind, ...more, key, default: defaultValue };
}

/** [field, row] of every row, in order. */
export function rowsOf<S>(table: Table<S>): [field: string, row: Option<unknown>][] {
  return Object.entries(table as Record<string, Option<unknown>>);
}

/** The defaults of every row. */
export function defaults<S>(table: Table<S>): S {
  return Object.fromEntries(rowsOf(table).map(([field, row]) => [field, row.default])) as S;
}

/** Reads a mapping through `table` on top of `base`; `prefix` names nested keys ("rate_limit."). */
export function readTable<S>(
  c: Collector,
  node: YamlNode | undefined,
  table: Table<S>,
  base: S,
  what: string,
  prefix = '',
): S {
  const rows = rowsOf(table);
  const pairs = readMapping(
    c,
    node,
    rows.map(([, row]) => row.key),
    what,
  );
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [field, row] of rows) {
    const pair = pairs?.get(row.key);
    if (pair) out[field] = row.read(c, pair.value, prefix + row.key, out[field]);
  }
  return out as S;
}

/** A nested mapping read through its own table. */
export function group<S>(table: Table<S>): Kind<S> {
  return { read: (c, node, what, base) => readTable(c, node, table, base, what, `${what}.`) };
}

export const text: Kind<string> = {
  read: (c, node, what, base) => readString(c, node, what) ?? base,
  parse: ([t = '']) => ok(t),
};

/** A string that may be left unset. */
export const optionalText: Kind<string | undefined> = {
  read: (c, node, what, base) => readString(c, node, what) ?? base,
  parse: ([t = '']) => ok(t),
};

/** A string of 1 to 255 bytes (one DNS character-string), or null for none. */
export const shortText: Kind<string | undefined> = {
  read: (c, node, what, base) => {
    if (scalarValue(node) === null) return undefined;
    const v = readString(c, node, what);
    if (v === undefined) return base;
    if (v.length > 0 && Buffer.byteLength(v) <= 255) return v;
    c.report(node, 'CONFIG', `${what} must be 1 to 255 bytes`);
    return base;
  },
};

export const boolean: Kind<boolean> = {
  read: (c, node, what, base) => {
    const v = scalarValue(node);
    if (typeof v === 'boolean') return v;
    c.report(node, 'CONFIG', `${what} must be true or false`);
    return base;
  },
};

/** 16 bytes written as 32 hex digits (kept in lower case). */
export const secret16: Kind<string | undefined> = {
  read: (c, node, what, base) => {
    const v = readString(c, node, what);
    if (v === undefined) return base;
    if (/^[0-9a-fA-F]{32}$/.test(v)) return v.toLowerCase();
    c.report(node, 'CONFIG', `${what} must be 32 hex digits (16 bytes)`);
    return base;
  },
};

export function integer(min: number, max: number): Kind<number> {
  return {
    read: (c, node, what, base) => readInteger(c, node, min, max, what, 'CONFIG') ?? base,
    parse: ([t = '']) => {
      const n = Number(t);
      return /^\d+$/.test(t) && n >= min && n <= max
        ? ok(n)
        : fail(`${t} is not a whole number from ${min} to ${max}`);
    },
    placeholder: 'N',
  };
}

/** "127.0.0.1:53", "[::1]:53" → host and port, or what is wrong with the text. */
export function parseListenAddress(t: string): Result<ListenAddress> {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(t);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || port > 65535)
    return fail(`"${t}" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)`);
  if (!isIP(host)) return fail(`"${host}" is not an IP address`);
  if (isIP(host) === 6 && m[1] === undefined)
    return fail(`IPv6 address "${host}" must be written in brackets: [${host}]:${port}`);
  return ok({ host, port });
}

function readListen(c: Collector, node: YamlNode | undefined): ListenAddress | undefined {
  const t = readString(c, node, 'listen address');
  if (t === undefined) return undefined;
  const parsed = parseListenAddress(t);
  if (!parsed.ok) c.report(node, 'CONFIG', parsed.error);
  return parsed.ok ? parsed.value : undefined;
}

/** One listen address, or null for no listener at all. */
export const listen: Kind<ListenAddress | undefined> = {
  read: (c, node, _what, base) =>
    scalarValue(node) === null ? undefined : (readListen(c, node) ?? base),
  parse: ([t = '']) => parseListenAddress(t),
  placeholder: 'ADDR:PORT',
};

/** One listen address or a list of them; the flag may be given more than once. */
export const listenList: Kind<readonly ListenAddress[]> = {
  read: (c, node) =>
    (seqItems(node) ?? [node])
      .map((n) => readListen(c, n))
      .filter((a): a is ListenAddress => a !== undefined),
  parse: (texts) => {
    const out: ListenAddress[] = [];
    for (const t of texts) {
      const a = parseListenAddress(t);
      if (!a.ok) return a;
      out.push(a.value);
    }
    return ok(out);
  },
  placeholder: 'ADDR:PORT',
  repeatable: true,
};

/** A list of CIDRs, each checked where it is written. */
export const cidrs: Kind<readonly string[]> = {
  read: (c, node, what) => {
    const items = seqItems(node);
    if (!items) {
      c.report(node, 'CONFIG', `${what} must be a list of CIDRs`);
      return [];
    }
    return items.flatMap((n) => {
      const t = readString(c, n, `${what} entry`);
      const parsed = t === undefined ? undefined : parseCidr(t);
      if (parsed && !parsed.ok) c.report(n, 'CONFIG', `${what}: ${parsed.error}`);
      return t !== undefined && parsed?.ok ? [t] : [];
    });
  },
};

/** Addresses to send from: one, or a list with at most one per address family. */
export const sourceAddresses: Kind<readonly string[]> = {
  read: (c, node, what) => {
    if (scalarValue(node) === null) return [];
    const items = seqItems(node) ?? [node];
    const out: string[] = [];
    for (const n of items) {
      const t = readString(c, n, `${what} entry`);
      if (t === undefined) continue;
      if (isIP(t) === 0) c.report(n, 'CONFIG', `${what}: "${t}" is not an IP address`);
      else if (out.some((a) => isIP(a) === isIP(t)))
        c.report(n, 'CONFIG', `${what}: one address per family (IPv4, IPv6)`);
      else out.push(t);
    }
    return out;
  },
};

/** etcd endpoints: http(s)://host:port, at least one. */
export const endpoints: Kind<readonly string[]> = {
  read: (c, node, what, base) => {
    const items = seqItems(node);
    if (!items || items.length === 0) {
      c.report(node, 'CONFIG', `${what} must be a list of URLs (http://host:port)`);
      return base;
    }
    return items.flatMap((n) => {
      const t = readString(c, n, `${what} entry`);
      if (t === undefined) return [];
      if (!/^https?:\/\/[^/\s]+$/.test(t)) {
        c.report(n, 'CONFIG', `${what}: "${t}" is not http://host:port or https://host:port`);
        return [];
      }
      return [t];
    });
  },
};

/** A mapping read through its own table, unset (undefined) unless written. */
export function optionalGroup<S>(table: Table<S>, base: S): Kind<S | undefined> {
  return {
    read: (c, node, what, current) =>
      scalarValue(node) === null
        ? undefined
        : readTable(c, node, table, current ?? base, what, `${what}.`),
  };
}

/** majority, all, or a number of nodes. */
export const quorum: Kind<string> = {
  read: (c, node, what, base) => {
    const v = scalarValue(node);
    const t = typeof v === 'number' ? String(v) : readString(c, node, what);
    if (t === undefined) return base;
    if (t === 'majority' || t === 'all' || /^[1-9][0-9]{0,2}$/.test(t)) return t;
    c.report(node, 'CONFIG', `${what} must be majority, all or a number of nodes`);
    return base;
  },
};

export const tsigKeys: Kind<readonly TsigKeyConfig[]> = {
  read: (c, node) =>
    (seqItems(node) ?? [])
      .map((n) => readTsigKey(c, n))
      .filter((k): k is TsigKeyConfig => k !== undefined),
};

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
  const known = TSIG_ALGORITHMS.find((a) => a === algorithm);
  if (algorithm !== undefined && !known) {
    c.report(
      keys?.get('algorithm')?.value,
      'CONFIG',
      `algorithm "${algorithm}" is not one of ${TSIG_ALGORITHMS.join(', ')}`,
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
  if (name === undefined || !known || secret === undefined) return undefined;
  return { name: name.toLowerCase().replace(/\.?$/, '.'), algorithm: known, secret, zones };
}
