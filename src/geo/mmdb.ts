// MaxMind DB files, recognised by their metadata (read by the maxmind package) and reduced to their trees of facts.
import { Reader, type Response } from 'maxmind';
import { errorMessage, fail, ok, type Result } from '../core/index.ts';
import { buildFactTree, type FactTree, runSliced, runSync, type SearchTree } from './fact-tree.ts';
import { MmdbDataReader, type MmdbFields } from './mmdb-data.ts';

export type DatabaseKind = 'location' | 'asn' | 'isp';

export interface MmdbLookup extends MmdbFields {
  /** The block the facts hold for: the widest around the address with the same facts (or no data). */
  readonly prefix: number;
}

export interface Mmdb {
  readonly name: string; // file name, for sources
  readonly kind: DatabaseKind;
  readonly databaseType: string;
  lookup(address: Uint8Array): MmdbLookup;
  /** What gslb keeps of the database: its tree of facts (the file itself is not kept). */
  readonly tree: FactTree;
}

/** City/Country (GeoLite2, GeoIP2, DB-IP): location; ASN: AS number and organisation; ISP: those and the ISP. */
export function databaseKind(databaseType: string): DatabaseKind | undefined {
  if (/ISP/i.test(databaseType)) return 'isp';
  if (/ASN/i.test(databaseType)) return 'asn';
  if (/City|Country|Enterprise/i.test(databaseType)) return 'location';
  return undefined;
}

/** Opens a database from its bytes at once (tests, tools); a string says why it cannot be used. */
export function openMmdb(name: string, bytes: Buffer): Result<Mmdb> {
  const steps = openSteps(name, bytes);
  return steps.ok ? runOpen(() => ok(runSync(steps.value))) : steps;
}

/** The same, giving way between slices (`pause`, which may reject to stop): what a reload does. */
export async function openMmdbSliced(
  name: string,
  bytes: Buffer,
  pause: () => Promise<void>,
): Promise<Result<Mmdb>> {
  const steps = openSteps(name, bytes);
  if (!steps.ok) return steps;
  try {
    return ok(await runSliced(steps.value, pause));
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return fail(`damaged MaxMind DB: ${e.message}`);
  }
}

function runOpen(open: () => Result<Mmdb>): Result<Mmdb> {
  try {
    return open();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return fail(`damaged MaxMind DB: ${e.message}`);
  }
}

function openSteps(name: string, bytes: Buffer): Result<Generator<void, Mmdb>> {
  let metadata: Reader<Response>['metadata'];
  try {
    metadata = new Reader<Response>(bytes).metadata;
  } catch (e) {
    return fail(`not a MaxMind DB file: ${errorMessage(e)}`);
  }
  const { databaseType } = metadata;
  const kind = databaseKind(databaseType);
  if (!kind)
    return fail(`database type "${databaseType}" is not a City, Country, ASN or ISP database`);
  const source = searchTree(bytes, metadata);
  if (!source.ok) return source;
  return ok(opened(name, kind, databaseType, buildFactTree(source.value.tree, source.value.read)));
}

function* opened(
  name: string,
  kind: DatabaseKind,
  databaseType: string,
  steps: Generator<void, FactTree>,
): Generator<void, Mmdb> {
  return mmdbOf(name, kind, databaseType, yield* steps);
}

/** The database as gslb keeps it (a function of its own, so that nothing here holds on to the file's bytes). */
function mmdbOf(name: string, kind: DatabaseKind, databaseType: string, tree: FactTree): Mmdb {
  return {
    name,
    kind,
    databaseType,
    tree,
    lookup(address) {
      const r = tree.lookup(address);
      return { ...r.facts, prefix: r.prefix };
    },
  };
}

const DATA_SECTION_SEPARATOR = 16;

/** The file's own search tree and a reader of its records (RangeError when a record is damaged). */
function searchTree(
  bytes: Buffer,
  meta: Reader<Response>['metadata'],
): Result<{ tree: SearchTree; read: (value: number) => MmdbFields }> {
  const { nodeCount, recordSize, searchTreeSize } = meta;
  if (![24, 28, 32].includes(recordSize))
    return fail(`record size ${recordSize} is not 24, 28 or 32`);
  if (searchTreeSize + DATA_SECTION_SEPARATOR > bytes.length)
    return fail('the search tree runs past the end');
  const nodeBytes = recordSize / 4;
  const child = (node: number, bit: number): number => {
    const o = node * nodeBytes;
    if (recordSize === 24)
      return bit === 0
        ? (bytes[o]! << 16) | (bytes[o + 1]! << 8) | bytes[o + 2]!
        : (bytes[o + 3]! << 16) | (bytes[o + 4]! << 8) | bytes[o + 5]!;
    if (recordSize === 28)
      return bit === 0
        ? ((bytes[o + 3]! & 0xf0) << 20) | (bytes[o]! << 16) | (bytes[o + 1]! << 8) | bytes[o + 2]!
        : ((bytes[o + 3]! & 0x0f) << 24) |
            (bytes[o + 4]! << 16) |
            (bytes[o + 5]! << 8) |
            bytes[o + 6]!;
    return bytes.readUInt32BE(o + 4 * bit);
  };
  const data = new MmdbDataReader(bytes, searchTreeSize + DATA_SECTION_SEPARATOR);
  return ok({
    tree: { nodeCount, ipVersion: meta.ipVersion === 4 ? 4 : 6, child },
    read: (value) => data.fields(value - nodeCount - DATA_SECTION_SEPARATOR),
  });
}
