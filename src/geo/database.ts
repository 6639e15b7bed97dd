// Client address → facts: custom networks first (longest prefix wins), then the MaxMind databases, cached.
import { createHash } from 'node:crypto';
import { addressText, type Diagnostic, maskAddress } from '../core/index.ts';
import type { ClientFacts } from './facts.ts';
import { runSliced, runSync } from './fact-tree.ts';
import { type Mmdb, openMmdb, openMmdbSliced } from './mmdb.ts';
import { type CustomNetwork, parseNetworks } from './networks.ts';
import { PrefixTrie } from './trie.ts';

export interface GeoFiles {
  readonly networks: { readonly path: string; readonly text: string } | undefined;
  readonly databases: readonly { readonly path: string; readonly bytes: Buffer }[];
}

export interface GeoDatabase {
  readonly databases: readonly Mmdb[];
  /** The custom networks of networks.yaml. */
  readonly custom: PrefixTrie<CustomNetwork>;
  readonly networkCount: number;
  /** A digest of the files it came from: a reload with the same files keeps it (and what was compiled over it). */
  readonly digest: string;
  readonly lookup: (address: Uint8Array) => ClientFacts; // a function: the resolver holds it alone
}

const CACHE_ENTRIES = 65_536;

/** Loads GeoIP files at once (check, tests, tools). */
export function loadGeoDatabase(files: GeoFiles): {
  geo: GeoDatabase;
  diagnostics: readonly Diagnostic[];
} {
  const { trie, networkCount, diagnostics } = customNetworks(files);
  const databases: Mmdb[] = [];
  for (const f of files.databases) {
    const db = openMmdb(f.path.replace(/^.*[\\/]/, ''), f.bytes);
    if (db.ok) databases.push(db.value);
    else diagnostics.push(geoipProblem(f.path, db.error));
  }
  return { geo: createGeoDatabase(trie, networkCount, databases, geoDigest(files)), diagnostics };
}

/** The same, giving way to queries between slices (`pause`, which may reject to stop the load): a reload. */
export async function loadGeoDatabaseSliced(
  files: GeoFiles,
  pause: () => Promise<void>,
  digest?: string, // geoDigest(files), when the caller has it
): Promise<{ geo: GeoDatabase; diagnostics: readonly Diagnostic[] }> {
  const { trie, networkCount, diagnostics } = customNetworks(files);
  const databases: Mmdb[] = [];
  for (const f of files.databases) {
    const db = await openMmdbSliced(f.path.replace(/^.*[\\/]/, ''), f.bytes, pause);
    if (db.ok) databases.push(db.value);
    else diagnostics.push(geoipProblem(f.path, db.error));
  }
  return {
    geo: createGeoDatabase(
      trie,
      networkCount,
      databases,
      digest ?? (await geoDigestSliced(files, pause)),
    ),
    diagnostics,
  };
}

function customNetworks(files: GeoFiles) {
  const diagnostics: Diagnostic[] = [];
  const trie = new PrefixTrie<CustomNetwork>();
  let networkCount = 0;
  if (files.networks) {
    const parsed = parseNetworks(files.networks.text, files.networks.path);
    for (const d of parsed.diagnostics) diagnostics.push(d);
    for (const n of parsed.networks) trie.insert(n.cidr, n);
    networkCount = parsed.networks.length;
  }
  return { trie, networkCount, diagnostics };
}

function geoipProblem(file: string, message: string): Diagnostic {
  return { file, line: 1, col: 1, code: 'GEOIP', message, severity: 'error' };
}

/** SHA-256 over the files' names and contents: equal digests, equal GeoIP data. */
export function geoDigest(files: GeoFiles): string {
  return runSync(digestSteps(files));
}

/** The same, giving way between slices of 4 MB (hashing GeoLite2 City and ASN takes some 100 ms). */
export function geoDigestSliced(files: GeoFiles, pause: () => Promise<void>): Promise<string> {
  return runSliced(digestSteps(files), pause);
}

function* digestSteps(files: GeoFiles): Generator<void, string> {
  const h = createHash('sha256');
  const parts: [string, Buffer][] = files.databases.map((d) => [d.path, d.bytes]);
  if (files.networks) parts.unshift([files.networks.path, Buffer.from(files.networks.text)]);
  for (const [name, body] of parts) {
    h.update(`${name}\0${body.length}\0`);
    for (let at = 0; at < body.length; at += DIGEST_SLICE) {
      h.update(body.subarray(at, at + DIGEST_SLICE));
      yield;
    }
  }
  return h.digest('hex');
}

const DIGEST_SLICE = 4 * 1024 * 1024;

export function createGeoDatabase(
  trie: PrefixTrie<CustomNetwork>,
  networkCount: number,
  databases: readonly Mmdb[],
  digest: string,
): GeoDatabase {
  const cache = new Map<string | number, ClientFacts>();
  const lookup = (address: Uint8Array): ClientFacts => {
    // IPv4 (every ECS /24 and most sources) keys by its 32-bit value: no string is built per query.
    const key =
      address.length === 4
        ? ((address[0]! << 24) | (address[1]! << 16) | (address[2]! << 8) | address[3]!) >>> 0
        : addressText(address);
    const hit = cache.get(key);
    if (hit) return hit;
    const facts = lookupUncached(trie, databases, address);
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    cache.set(key, facts);
    return facts;
  };
  return { databases, custom: trie, networkCount, digest, lookup };
}

function lookupUncached(
  trie: PrefixTrie<CustomNetwork>,
  databases: readonly Mmdb[],
  address: Uint8Array,
): ClientFacts {
  const custom = trie.lookup(address);
  const net = custom.value;
  const own = `networks.yaml ${net?.text ?? ''}`;
  // Each fact: the custom network's if it has one (its block decides), else the first database that knows it
  // (the custom miss and that database's block both decide: the longer prefix).
  const pick = <K extends 'geo' | 'asn' | 'isp'>(field: K, kinds: readonly Mmdb['kind'][]) => {
    if (net?.[field] !== undefined)
      return { value: net[field], scope: custom.scopePrefix, source: own };
    let scope = custom.scopePrefix;
    for (const db of databases) {
      if (!kinds.includes(db.kind)) continue;
      const r = db.lookup(address);
      scope = Math.max(scope, r.prefix);
      if (r[field] !== undefined)
        return {
          value: r[field],
          scope,
          source: `${db.name} ${addressText(maskAddress(address, r.prefix))}/${r.prefix}`,
        };
    }
    return { value: undefined, scope, source: undefined };
  };
  const geo = pick('geo', ['location']);
  const asn = pick('asn', ['isp', 'asn']);
  const isp = pick('isp', ['isp', 'asn']);
  return {
    geo: geo.value,
    asn: asn.value,
    isp: isp.value,
    geoScope: geo.scope,
    networkScope: Math.max(asn.scope, isp.scope),
    sources: { geo: geo.source, asn: asn.source, isp: isp.source },
  };
}
