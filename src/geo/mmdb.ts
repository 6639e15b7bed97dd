// MaxMind DB files through the maxmind package's reader, recognised by their metadata.
import { Reader, type Response } from 'maxmind';
import { addressText, errorMessage, fail, ok, type Result } from '../core/index.ts';

export type DatabaseKind = 'location' | 'asn' | 'isp';

export interface MmdbLookup {
  readonly geo: string | undefined;
  readonly asn: number | undefined;
  readonly isp: string | undefined;
  /** The block the database answered for (its record's network, or the empty block around the address). */
  readonly prefix: number;
}

export interface Mmdb {
  readonly name: string; // file name, for sources
  readonly kind: DatabaseKind;
  readonly databaseType: string;
  lookup(address: Uint8Array): MmdbLookup;
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
  return ok({
    name,
    kind,
    databaseType,
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
