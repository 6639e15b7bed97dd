// Client facts: custom networks over MaxMind databases, field by field, with the block each fact holds for.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Reader } from 'maxmind';
import { addressBytes, formatDiagnostic, parseCidr } from '../../src/core/index.ts';
import {
  loadGeoDatabase,
  openMmdb,
  parseNetworks,
  PrefixTrie,
  writeMmdb,
} from '../../src/geo/index.ts';
import { value } from '../helpers/results.ts';

const sample = (name: string): { path: string; bytes: Buffer } => ({
  path: `geoip/${name}`,
  bytes: readFileSync(new URL(`../../geoip/${name}`, import.meta.url)),
});
const SAMPLE_DBS = [sample('sample-City.mmdb'), sample('sample-ASN.mmdb')];
const at = (ip: string): Uint8Array => addressBytes(ip)!;

test('the sample databases are recognised by their metadata', (t) => {
  const { geo, diagnostics } = loadGeoDatabase({ networks: undefined, databases: SAMPLE_DBS });
  t.deepEqual(diagnostics, []);
  t.deepEqual(
    geo.databases.map((d) => [d.name, d.kind]),
    [
      ['sample-City.mmdb', 'location'],
      ['sample-ASN.mmdb', 'asn'],
    ],
  );
});

test('facts from the MaxMind databases, with their blocks and sources', (t) => {
  const { geo } = loadGeoDatabase({ networks: undefined, databases: SAMPLE_DBS });
  t.like(geo.lookup(at('127.1.200.9')), {
    geo: 'AS-CN-TJ',
    asn: 4134,
    isp: 'CHINANET-BACKBONE',
    geoScope: 24,
    networkScope: 16, // the nested /24 has the same AS and organisation as its /16: one block of network facts
  });
  t.like(geo.lookup(at('127.10.0.1')).sources, {
    geo: 'sample-City.mmdb 127.10.0.0/16',
    asn: 'sample-ASN.mmdb 127.10.0.0/16',
  });
  t.like(geo.lookup(at('127.0.0.1')), { geo: undefined, asn: undefined, geoScope: 16 });
  t.like(
    geo.lookup(at('::ffff:127.20.0.1')),
    { geo: 'NA-US-CA', asn: 7018 },
    'IPv4-mapped IPv6 is looked up as IPv4',
  );
  t.like(geo.lookup(at('2001:db8:1234:5600::')), { geo: 'AS-JP-13', asn: 2516, geoScope: 48 });
});

test('custom networks win field by field; a field they lack comes from the databases', (t) => {
  const networks = {
    path: 'networks.yaml',
    text: '- {cidr: 127.1.0.0/24, geo: AS-CN-SH, isp: China Telecom Shanghai}\n- {cidr: 127.30.0.0/16, asn: 65000}\n',
  };
  const { geo, diagnostics } = loadGeoDatabase({ networks, databases: SAMPLE_DBS });
  t.deepEqual(diagnostics, []);
  t.like(geo.lookup(at('127.1.0.9')), {
    geo: 'AS-CN-SH',
    asn: 4134,
    isp: 'China Telecom Shanghai',
    geoScope: 24,
  });
  t.like(geo.lookup(at('127.1.0.9')).sources, {
    geo: 'networks.yaml 127.1.0.0/24',
    asn: 'sample-ASN.mmdb 127.1.0.0/16', // the whole /16 (nested /24 included) is AS4134
  });
  // The custom /16 defines only the AS: the location still comes from the database, for the longer of the two blocks.
  t.like(geo.lookup(at('127.30.1.1')), {
    geo: 'SA-BR-SP',
    asn: 65000,
    geoScope: 16,
    networkScope: 16,
  });
});

test(
  'an IPv6 address on an IPv4-only database gets nothing (the reader alone would answer for its first ' +
    '32 bits)',
  (t) => {
    const bytes = writeMmdb(
      [{ cidr: value(parseCidr('32.0.0.0/8')), data: { continent: { code: 'EU' } } }],
      { databaseType: 'Test-City', description: 't', buildEpochSeconds: 0, ipVersion: 4 },
    );
    const raw = new Reader(bytes);
    t.truthy(raw.get('2001:db8::1'), 'the raw reader walks 2001:db8:: (0x20...) into 32.0.0.0/8');
    const db = value(openMmdb('v4.mmdb', bytes));
    if (typeof db === 'string') return t.fail(db);
    t.like(db.lookup(at('2001:db8::1')), { geo: undefined, prefix: 0 });
    t.like(db.lookup(at('32.1.2.3')), { geo: 'EU', prefix: 8 });
  },
);

test('files that are not usable databases are reported', (t) => {
  const { diagnostics } = loadGeoDatabase({
    networks: undefined,
    databases: [
      { path: 'geoip/junk.mmdb', bytes: Buffer.from('not a database') },
      {
        path: 'geoip/odd.mmdb',
        bytes: writeMmdb([], {
          databaseType: 'GeoIP2-Anonymous-IP',
          description: 't',
          buildEpochSeconds: 0,
        }),
      },
    ],
  });
  t.deepEqual(
    diagnostics.map((d) => `${d.file} ${d.code}`),
    ['geoip/junk.mmdb GEOIP', 'geoip/odd.mmdb GEOIP'],
  );
  t.regex(diagnostics[1]!.message, /GeoIP2-Anonymous-IP/);
});

test('networks.yaml problems are reported with their positions', (t) => {
  const text =
    '- {cidr: 10.0.0.1/8, geo: EU}\n- {cidr: 10.1.0.0/16, geo: Europe}\n- {cidr: 10.2.0.0/16, asn: -1}\n' +
    '- {cidr: 10.3.0.0/16, region: x}\n- {geo: EU}\n- {cidr: 10.4.0.0/16}\n- {cidr: 10.4.0.0/16}\n';
  t.deepEqual(parseNetworks(text, 'networks.yaml').diagnostics.map(formatDiagnostic), [
    'networks.yaml:1:10: BAD_VALUE: "10.0.0.1/8" has host bits set (did you mean 10.0.0.0/8?)',
    'networks.yaml:2:28: BAD_VALUE: "Europe" is not a geo code like EU, NA-US or NA-US-CA',
    'networks.yaml:3:28: BAD_VALUE: asn must be an integer from 0 to 4294967295, not -1',
    'networks.yaml:4:23: UNKNOWN_KEY: unknown key "region" in a network; expected one of cidr, geo, asn, isp',
    'networks.yaml:5:3: MISSING_KEY: a network needs "cidr"',
    'networks.yaml:7:10: DUPLICATE_RECORD: 10.4.0.0/16 is listed twice',
  ]);
});

test('prefix trie: longest match, and the block over which the answer is the same', (t) => {
  const trie = new PrefixTrie<string>();
  for (const c of ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '2001:db8::/32'])
    trie.insert(value(parseCidr(c)), c);
  const rows: [string, string | undefined, number][] = [
    ['10.1.2.3', '10.1.2.0/24', 24], // a leaf: its whole block
    ['10.1.3.3', '10.1.0.0/16', 24], // beside the /24: one bit past where the paths part
    ['10.2.0.1', '10.0.0.0/8', 15],
    ['11.0.0.1', undefined, 8],
    ['192.0.2.1', undefined, 1],
    ['2001:db8:1::1', '2001:db8::/32', 32],
    ['2001:db9::1', undefined, 32],
  ];
  for (const [ip, value, scope] of rows)
    t.like(trie.lookup(at(ip)), { value, scopePrefix: scope }, ip);
});

test('Country and ISP databases: recognised by type; the ISP name wins over the AS organisation', (t) => {
  const net = value(parseCidr('192.0.2.0/24'));
  const country = writeMmdb(
    [{ cidr: net, data: { continent: { code: 'EU' }, country: { iso_code: 'FR' } } }],
    { databaseType: 'GeoLite2-Country', description: 't', buildEpochSeconds: 0 },
  );
  const isp = writeMmdb(
    [
      {
        cidr: net,
        data: {
          autonomous_system_number: 3215,
          autonomous_system_organization: 'Orange S.A.',
          isp: 'Orange',
          organization: 'Orange Business',
        },
      },
    ],
    { databaseType: 'GeoIP2-ISP', description: 't', buildEpochSeconds: 0 },
  );
  const { geo, diagnostics } = loadGeoDatabase({
    networks: undefined,
    databases: [
      { path: 'c.mmdb', bytes: country },
      { path: 'i.mmdb', bytes: isp },
    ],
  });
  t.deepEqual(diagnostics, []);
  t.deepEqual(
    geo.databases.map((d) => d.kind),
    ['location', 'isp'],
  );
  t.like(geo.lookup(at('192.0.2.9')), {
    geo: 'EU-FR',
    asn: 3215,
    isp: 'Orange',
    geoScope: 24,
    networkScope: 24,
  });
});
