// MaxMind DB files through the maxmind package's reader, recognised by their metadata.
import { Reader, type Response } from 'maxmind';
import { addressText, errorMessage, fail, ok, type Result } from '../core/index.ts';
import { MmdbDataReader, type MmdbFields } from './mmdb-data.ts';

export type DatabaseKind = 'location' | 'asn' | 'isp';

export interface MmdbLookup extends MmdbFields {
  /** The block the database answered for (its record's network, or the empty block around the address). */
  readonly prefix: number;
}

export interface Mmdb {
  readonly name: string; // file name, for sources
  readonly kind: DatabaseKind;
  readonly databaseType: string;
  lookup(address: Uint8Array): MmdbLookup;
  /** The search tree itself, for compiling decisions over the whole address space. */
  readonly tree: MmdbTree;
}

/**
 * A MaxMind DB search tree: node numbers below `nodeCount` are nodes, `nodeCount` is "no data", larger values point
 * at a record in the data section.
 */
export interface MmdbTree {
  readonly nodeCount: number;
  /** The node IPv4 addresses start from: ::/96 of an IPv6 tree, the root of an IPv4 one. */
  readonly ipv4Start: number;
  readonly ipVersion: 4 | 6;
  /** The left (bit 0) or right (bit 1) record of a node. */
  child(node: number, bit: number): number;
  /** A reader of the records the tree points at, with caches that live as long as it does (one compile). */
  reader(): MmdbFactReader;
}

export interface MmdbFactReader {
  /**
   * A small number for what the record a tree value points at says (equal numbers, equal fields; 0: no record), read
   * once per record; a RangeError if the record is malformed.
   */
  factId(value: number): number;
  /** The fields a fact number stands for. */
  facts(id: number): MmdbFields;
}

/** City/Country (GeoLite2, GeoIP2, DB-IP): location; ASN: AS number and organisation; ISP: those and the ISP. */
export function databaseKind(databaseType: string): DatabaseKind | undefined {
  if (/ISP/i.test(databaseType)) return 'isp';
  if (/ASN/i.test(databaseType)) return 'asn';
  if (/City|Country|Enterprise/i.test(databaseType)) return 'location';
  return undefined;
}

interface Record_ {
  continent?: { code?: string };
  country?: { iso_code?: string };
  subdivisions?: { iso_code?: string }[];
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
  isp?: string;
}

/** Opens a database from its bytes; a string says why it cannot be used. */
export function openMmdb(name: string, bytes: Buffer): Result<Mmdb> {
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(bytes);
  } catch (e) {
    return fail(`not a MaxMind DB file: ${errorMessage(e)}`);
  }
  const databaseType = reader.metadata.databaseType;
  const kind = databaseKind(databaseType);
  if (!kind)
    return fail(`database type "${databaseType}" is not a City, Country, ASN or ISP database`);
  const ipv4Only = reader.metadata.ipVersion === 4;
  const tree = searchTree(bytes, reader.metadata);
  if (!tree.ok) return tree;
  return ok({
    name,
    kind,
    databaseType,
    tree: tree.value,
    lookup(address) {
      // The reader walks an IPv6 address through an IPv4 tree and answers for its first 32 bits: refuse instead.
      if (ipv4Only && address.length === 16)
        return { geo: undefined, asn: undefined, isp: undefined, prefix: 0 };
      const [record, prefix] = reader.getWithPrefixLength(addressText(address)) as [
        Record_ | null,
        number,
      ];
      return { ...fieldsOf(record), prefix };
    },
  });
}

function fieldsOf(r: Record_ | null): Omit<MmdbLookup, 'prefix'> {
  if (!r) return { geo: undefined, asn: undefined, isp: undefined };
  const parts = [r.continent?.code, r.country?.iso_code, r.subdivisions?.[0]?.iso_code];
  let geo: string | undefined;
  if (parts[0])
    geo = parts[1] ? (parts[2] ? parts.join('-') : `${parts[0]}-${parts[1]}`) : parts[0];
  return { geo, asn: r.autonomous_system_number, isp: r.isp ?? r.autonomous_system_organization };
}

const DATA_SECTION_SEPARATOR = 16;

function searchTree(bytes: Buffer, meta: Reader<Response>['metadata']): Result<MmdbTree> {
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
        : bytes.readUIntBE(o + 3, 3);
    if (recordSize === 28)
      return bit === 0
        ? ((bytes[o + 3]! & 0xf0) << 20) | (bytes[o]! << 16) | (bytes[o + 1]! << 8) | bytes[o + 2]!
        : ((bytes[o + 3]! & 0x0f) << 24) |
            (bytes[o + 4]! << 16) |
            (bytes[o + 5]! << 8) |
            bytes[o + 6]!;
    return bytes.readUInt32BE(o + 4 * bit);
  };
  let ipv4Start = 0;
  if (meta.ipVersion === 6)
    for (let depth = 0; depth < 96 && ipv4Start < nodeCount; depth++)
      ipv4Start = child(ipv4Start, 0);
  const reader = (): MmdbFactReader => {
    const data = new MmdbDataReader(bytes, searchTreeSize + DATA_SECTION_SEPARATOR);
    const ids = new Map<number, number>();
    const byText = new Map<string, number>();
    const table: MmdbFields[] = [{ geo: undefined, asn: undefined, isp: undefined }];
    const factId = (value: number): number => {
      if (value <= nodeCount) return 0;
      let id = ids.get(value);
      if (id === undefined) {
        const f = data.fields(value - nodeCount - DATA_SECTION_SEPARATOR);
        const text = `${f.geo ?? ''}|${f.asn ?? ''}|${f.isp ?? ''}`;
        id = byText.get(text);
        if (id === undefined) {
          byText.set(text, (id = table.length));
          table.push(f);
        }
        ids.set(value, id);
      }
      return id;
    };
    return { factId, facts: (id) => table[id]! };
  };
  return ok({
    nodeCount,
    ipv4Start,
    ipVersion: meta.ipVersion === 4 ? 4 : 6,
    child,
    reader,
  });
}
