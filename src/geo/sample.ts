// The sample databases: a readable list of networks → a City-style and an ASN-style MaxMind DB.
import { type Diagnostic, fail, geoCodeProblem, parseCidr } from '../core/index.ts';
import { parseYaml, readInteger, readMapping, readString, seqItems } from '../yaml/index.ts';
import { type MmdbNetwork, type MmdbValue, writeMmdb } from './mmdb-writer.ts';

const CONTINENT_NAMES: Record<string, string> = {
  AF: 'Africa',
  AN: 'Antarctica',
  AS: 'Asia',
  EU: 'Europe',
  NA: 'North America',
  OC: 'Oceania',
  SA: 'South America',
};
const BUILD_EPOCH_SECONDS = 1795219200; // fixed, so a rebuild is byte-identical

export interface SampleDatabases {
  readonly city: Buffer;
  readonly asn: Buffer;
  readonly diagnostics: readonly Diagnostic[];
}

export function buildSampleDatabases(text: string, file: string): SampleDatabases {
  const { root, collector: c } = parseYaml(text, file);
  const city: MmdbNetwork[] = [];
  const asn: MmdbNetwork[] = [];
  for (const item of seqItems(root) ?? []) {
    const keys = readMapping(c, item, ['cidr', 'geo', 'asn', 'org'], 'a sample network');
    const cidrText = keys?.get('cidr') ? readString(c, keys.get('cidr')!.value, 'cidr') : undefined;
    const parsed = cidrText === undefined ? fail('a network needs "cidr"') : parseCidr(cidrText);
    if (!parsed.ok) {
      c.report(keys?.get('cidr')?.value ?? item, 'BAD_VALUE', parsed.error);
      continue;
    }
    const cidr = parsed.value;
    const geo = keys?.get('geo') ? readString(c, keys.get('geo')!.value, 'geo') : undefined;
    if (geo !== undefined) {
      const problem = geoCodeProblem(geo);
      if (problem) c.report(keys?.get('geo')?.value, 'BAD_VALUE', problem);
      else city.push({ cidr, data: locationRecord(geo) });
    }
    const number = keys?.get('asn')
      ? readInteger(c, keys.get('asn')!.value, 0, 4294967295, 'asn')
      : undefined;
    const org = keys?.get('org') ? readString(c, keys.get('org')!.value, 'org') : undefined;
    if (number !== undefined)
      asn.push({
        cidr,
        data: { autonomous_system_number: number, autonomous_system_organization: org ?? '' },
      });
  }
  return {
    city: writeMmdb(city, {
      databaseType: 'GSLB-Sample-City',
      description: 'gslb sample location database',
      buildEpochSeconds: BUILD_EPOCH_SECONDS,
    }),
    asn: writeMmdb(asn, {
      databaseType: 'GSLB-Sample-ASN',
      description: 'gslb sample ASN database',
      buildEpochSeconds: BUILD_EPOCH_SECONDS,
    }),
    diagnostics: c.sorted(),
  };
}

/** The shape of a GeoLite2-City record, with the fields gslb reads. */
function locationRecord(geo: string): MmdbValue {
  const [continent, country, subdivision] = geo.split('-') as [
    string,
    string | undefined,
    string | undefined,
  ];
  const record: Record<string, MmdbValue> = {
    continent: { code: continent, names: { en: CONTINENT_NAMES[continent] ?? continent } },
  };
  if (country) record['country'] = { iso_code: country, names: { en: country } };
  if (country && subdivision)
    record['subdivisions'] = [{ iso_code: subdivision, names: { en: subdivision } }];
  return record;
}
