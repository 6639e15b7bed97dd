// The MaxMind DB writer, checked by reading its output with the real maxmind reader; the shipped sample database.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Reader } from 'maxmind';
import { parseCidr, type Cidr } from '../../src/core/index.ts';
import { buildSampleDatabases, MmdbUint, type MmdbValue, writeMmdb } from '../../src/geo/index.ts';
import { value } from '../helpers/results.ts';

const cidr = (text: string): Cidr => value(parseCidr(text));
const geoip = (name: string): URL => new URL(`../../geoip/${name}`, import.meta.url);

test('the shipped sample databases are exactly what npm run geoip:build makes from geoip/sample.yaml', (t) => {
  const built = buildSampleDatabases(readFileSync(geoip('sample.yaml'), 'utf8'), 'sample.yaml');
  t.deepEqual(built.diagnostics, []);
  t.true(
    built.city.equals(readFileSync(geoip('sample-City.mmdb'))),
    'sample-City.mmdb is stale: run npm run geoip:build',
  );
  t.true(
    built.asn.equals(readFileSync(geoip('sample-ASN.mmdb'))),
    'sample-ASN.mmdb is stale: run npm run geoip:build',
  );
});

// Hand-checked against geoip/sample.yaml.
const SAMPLE: [string, string | null, number | null, number][] = [
  ['127.1.2.3', 'AS-CN-BJ', 4134, 17], // 127.1.0.0/16 minus the nested /24: the uniform block is 127.1.0.0/17
  ['127.1.200.9', 'AS-CN-TJ', 4134, 24],
  ['127.2.0.1', 'AS-CN-SH', 4837, 16],
  ['127.10.255.255', 'EU-DE-BE', 3320, 16],
  ['127.20.1.1', 'NA-US-CA', 7018, 16],
  ['127.0.0.1', null, null, 16], // not in the sample: a miss, with the empty block's size
  ['198.51.100.77', 'AS-CN-BJ', 4134, 24],
  ['203.0.113.5', 'EU-DE-HE', 64501, 25],
  ['203.0.113.129', 'AS-JP-13', 64502, 25],
  ['2001:db8:100::1', 'EU-DE-BE', 3320, 48],
  ['2001:db8:1234:5600::', 'AS-JP-13', 2516, 48],
  ['::ffff:127.10.0.1', 'EU-DE-BE', 3320, 112], // IPv4-mapped: the ::ffff:0:0/96 alias of the IPv4 tree
];

test('the maxmind reader reads the sample databases: hand-checked addresses', (t) => {
  const city = new Reader<Record<string, never>>(readFileSync(geoip('sample-City.mmdb')));
  const asn = new Reader<Record<string, never>>(readFileSync(geoip('sample-ASN.mmdb')));
  t.is(city.metadata.databaseType, 'GSLB-Sample-City');
  t.is(asn.metadata.databaseType, 'GSLB-Sample-ASN');
  for (const [ip, geo, as, prefix] of SAMPLE) {
    const [c, cityPrefix] = city.getWithPrefixLength(ip) as [
      {
        continent: { code: string };
        country?: { iso_code: string };
        subdivisions?: { iso_code: string }[];
      } | null,
      number,
    ];
    const code = c
      ? [c.continent.code, c.country?.iso_code, c.subdivisions?.[0]?.iso_code]
          .filter(Boolean)
          .join('-')
      : null;
    t.is(code, geo, ip);
    t.is(cityPrefix, prefix, `${ip} prefix`);
    const [a] = asn.getWithPrefixLength(ip) as [
      { autonomous_system_number: number } | null,
      number,
    ];
    t.is(a?.autonomous_system_number ?? null, as, `${ip} asn`);
  }
});

test('every record size (24, 28, 32 bits) and IPv4-only trees read back the same', (t) => {
  const networks = [
    { cidr: cidr('10.0.0.0/8'), data: { n: 1 } },
    { cidr: cidr('10.1.0.0/16'), data: { n: 2 } },
    { cidr: cidr('10.1.2.128/25'), data: { n: 3 } },
    { cidr: cidr('2001:db8::/32'), data: { n: 4 } },
  ];
  // Prefixes are the uniform blocks: 10.9.9.9 leaves 10.1.0.0/16's branch at bit 12, 10.1.9.9 leaves
  // 10.1.2.128/25's at bit 20.
  const probes: [string, number | null, number][] = [
    ['10.9.9.9', 1, 13],
    ['10.1.9.9', 2, 21],
    ['10.1.2.200', 3, 25],
    ['10.1.2.1', 2, 25],
    ['11.0.0.0', null, 8],
    ['2001:db8::5', 4, 32],
  ];
  for (const recordSize of [24, 28, 32] as const) {
    const reader = new Reader(
      writeMmdb(networks, {
        databaseType: 'Test',
        description: 't',
        buildEpochSeconds: 0,
        recordSize,
      }),
    );
    t.is(reader.metadata.recordSize, recordSize);
    for (const [ip, n, prefix] of probes)
      t.deepEqual(
        reader.getWithPrefixLength(ip) as unknown,
        [n === null ? null : { n }, prefix],
        `${recordSize}: ${ip}`,
      );
  }
  const v4 = new Reader(
    writeMmdb(networks.slice(0, 3), {
      databaseType: 'Test',
      description: 't',
      buildEpochSeconds: 0,
      ipVersion: 4,
    }),
  );
  t.is(v4.metadata.ipVersion, 4);
  t.deepEqual(v4.getWithPrefixLength('10.1.2.200') as unknown, [{ n: 3 }, 25]);
});

test('data types: strings of every size class, numbers, booleans, maps, arrays', (t) => {
  const value: MmdbValue = {
    short: 'x',
    s29: 'y'.repeat(29),
    s300: 'z'.repeat(300),
    s70k: 'w'.repeat(70_000),
    unicode: 'Zürich 北京',
    u16: new MmdbUint(16, 65535),
    u32: 4294967295,
    u64: new MmdbUint(64, 2 ** 40),
    zero: 0,
    double: -33.5,
    yes: true,
    no: false,
    list: [1, 'two', { three: [3] }],
    empty: {},
  };
  const reader = new Reader<Record<string, unknown>>(
    writeMmdb([{ cidr: cidr('192.0.2.0/24'), data: value }], {
      databaseType: 'Test',
      description: 't',
      buildEpochSeconds: 0,
    }),
  );
  const got = reader.get('192.0.2.1')!;
  t.like(got, {
    short: 'x',
    s29: 'y'.repeat(29),
    s300: 'z'.repeat(300),
    unicode: 'Zürich 北京',
    u16: 65535,
    u32: 4294967295,
    zero: 0,
    double: -33.5,
    yes: true,
    no: false,
  });
  t.is((got['s70k'] as string).length, 70_000);
  t.is(Number(got['u64']), 2 ** 40);
  t.deepEqual(got['list'], [1, 'two', { three: [3] }]);
  t.deepEqual(got['empty'], {});
});
