// Server config: SPEC §2's example loads; unknown keys and bad values stop the server with file:line:col.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyFlags,
  DEFAULT_SETTINGS,
  parseListenAddress,
  parseSettings,
  SETTINGS,
  settingFlags,
  settingFlagsUsage,
} from '../src/config/index.ts';
import { formatDiagnostic } from '../src/core/index.ts';
import { CLI } from './helpers/process.ts';
import { run } from './helpers/tools.ts';
import { errorOf, value } from './helpers/results.ts';

const SPEC_EXAMPLE = `zones: ./zones
geoip: ./geoip
db: ./data/gslb.sqlite
dns_listen: [127.0.0.1:5353, "[::1]:5353"]
api_listen: 127.0.0.1:8053
redirect_listen: 127.0.0.1:8080
api_token: change-me
trusted_proxies: [10.0.0.0/8]     # whose X-Forwarded-For the redirect tier believes
tsig_keys:
  - {name: ops-key, algorithm: hmac-sha256, secret: "c2VjcmV0IGtleQ==", zones: [example.com.]}  # zones: default all
`;

test('the example config of SPEC §2 loads', (t) => {
  const { settings, diagnostics } = parseSettings(SPEC_EXAMPLE, 'gslb.yaml');
  t.deepEqual(diagnostics, []);
  t.deepEqual(settings.dnsListen, [
    { host: '127.0.0.1', port: 5353 },
    { host: '::1', port: 5353 },
  ]);
  t.is(settings.apiToken, 'change-me');
  t.deepEqual(settings.tsigKeys, [
    {
      name: 'ops-key.',
      algorithm: 'hmac-sha256',
      secret: 'c2VjcmV0IGtleQ==',
      zones: ['example.com.'],
    },
  ]);
});

test('every problem is reported with its position', (t) => {
  const text =
    'zones: ./zones\ndns_listen: [127.0.0.1:99999, "::1:53"]\nlisten: 1\ntsig_keys:\n  - {name: k, ' +
    'algorithm: md5, secret: abc}\n';
  const lines = parseSettings(text, 'gslb.yaml').diagnostics.map(formatDiagnostic);
  t.deepEqual(lines, [
    'gslb.yaml:2:14: CONFIG: "127.0.0.1:99999" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)',
    'gslb.yaml:2:31: CONFIG: "::1:53" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)',
    'gslb.yaml:3:1: UNKNOWN_KEY: unknown key "listen" in the config file; expected one of zones, geoip, ' +
      'db, dns_listen, api_listen, redirect_listen, api_token, trusted_proxies, tsig_keys, ' +
      'tcp_idle_timeout_ms, tcp_max_connections, tcp_max_per_client, workers, rate_limit, cookies, ' +
      'identity, max_zone_file_bytes, compile_rules, api_max_body_bytes, cluster, probe_source',
    'gslb.yaml:5:26: CONFIG: algorithm "md5" is not one of hmac-sha256, hmac-sha512, hmac-sha1',
  ]);
});

test('listen addresses', (t) => {
  t.deepEqual(value(parseListenAddress('[::1]:53')), { host: '::1', port: 53 });
  t.deepEqual(value(parseListenAddress('0.0.0.0:5353')), { host: '0.0.0.0', port: 5353 });
  t.regex(errorOf(parseListenAddress('localhost:53')), /not an IP address/);
  t.regex(errorOf(parseListenAddress('127.0.0.1')), /ADDRESS:PORT/);
});

test('gslb serve with a bad config file exits 1 with the position; a bad flag exits 1 too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-config-'));
  try {
    await writeFile(join(dir, 'gslb.yaml'), 'zones: ./zones\nrecursion: yes\n');
    const r = await run(process.execPath, [CLI, 'serve', '--config', join(dir, 'gslb.yaml')]);
    t.is(r.code, 1);
    t.regex(r.stderr, /gslb\.yaml:2:1: UNKNOWN_KEY: unknown key "recursion"/);
    const flag = await run(process.execPath, [CLI, 'serve', '--dns-listen', 'nowhere']);
    t.is(flag.code, 1);
    t.regex(flag.stderr, /--dns-listen: "nowhere" is not ADDRESS:PORT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('workers: a whole number from 1 to 64, from the file or --workers', async (t) => {
  t.is(parseSettings('workers: 4\n', 'gslb.yaml').settings.workers, 4);
  t.is(parseSettings('zones: ./zones\n', 'gslb.yaml').settings.workers, 1);
  t.deepEqual(parseSettings('workers: 0\n', 'gslb.yaml').diagnostics.map(formatDiagnostic), [
    'gslb.yaml:1:10: CONFIG: workers must be an integer from 1 to 64, not 0',
  ]);
  const r = await run(process.execPath, [CLI, 'serve', '--workers', 'two']);
  t.is(r.code, 1);
  t.regex(r.stderr, /--workers: two is not a whole number from 1 to 64/);
});

test('gslb serve --config with a trusted_proxies entry that is not a CIDR exits with file:line:col', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-config-'));
  try {
    const file = join(dir, 'gslb.yaml');
    await writeFile(file, 'zones: ./zones\ntrusted_proxies: [10.0.0.0/8, bogus]\n');
    const r = await run(process.execPath, [CLI, 'serve', '--config', file]);
    t.is(r.code, 1);
    t.regex(r.stderr, /gslb\.yaml:2:31: CONFIG: trusted_proxies: .*bogus/);
    t.notRegex(r.stderr, /listening/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('one row per setting: its key, default, reader and flag', (t) => {
  const rows = Object.values(SETTINGS);
  // Every default reads back as itself, and every key is known to the reader.
  t.deepEqual(parseSettings('', 'gslb.yaml').settings, DEFAULT_SETTINGS);
  for (const row of rows) t.true(row.key.length > 0);
  const flagged = rows.filter((row) => row.flag !== undefined);
  t.deepEqual(
    flagged.map((row) => row.flag),
    ['zones', 'geoip', 'db', 'dns-listen', 'api-listen', 'redirect-listen', 'workers'],
  );
  for (const row of flagged) {
    t.is(typeof row.parse, 'function', `--${row.flag} has a parser`);
    t.true(settingFlagsUsage().includes(`--${row.flag} `), `--${row.flag} is in the usage`);
  }
  t.deepEqual(settingFlags()['dns-listen'], { type: 'string', multiple: true });
});

test('flags and GSLB_API_TOKEN go over the file; each bad flag is named', (t) => {
  const base = parseSettings('api_token: from-file\nworkers: 2\n', 'gslb.yaml').settings;
  const over = value(
    applyFlags(base, { zones: '/srv/zones', 'dns-listen': ['127.0.0.1:53', '[::1]:53'] }, {}),
  );
  t.is(over.zones, '/srv/zones');
  t.is(over.workers, 2);
  t.is(over.apiToken, 'from-file');
  t.deepEqual(over.dnsListen, [
    { host: '127.0.0.1', port: 53 },
    { host: '::1', port: 53 },
  ]);
  t.is(value(applyFlags(base, {}, { GSLB_API_TOKEN: 'from-env' })).apiToken, 'from-env');
  t.deepEqual(errorOf(applyFlags(base, { workers: '65', 'api-listen': 'x' }, {})), [
    '--api-listen: "x" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)',
    '--workers: 65 is not a whole number from 1 to 64',
  ]);
});

test('a listener set to null is not started; nested settings keep the defaults they do not name', (t) => {
  const { settings, diagnostics } = parseSettings(
    'api_listen: null\nredirect_listen: ~\nrate_limit: {slip: 0}\nidentity: {nsid: ns1}\n',
    'gslb.yaml',
  );
  t.deepEqual(diagnostics, []);
  t.is(settings.apiListen, undefined);
  t.is(settings.redirectListen, undefined);
  t.deepEqual(settings.rateLimit, { ...DEFAULT_SETTINGS.rateLimit, slip: 0 });
  t.deepEqual(settings.identity, { nsid: 'ns1', version: undefined });
  t.deepEqual(
    parseSettings(
      'rate_limit: {slip: 11, burst: 3}\ncookies: {secret: xyz}\n',
      'gslb.yaml',
    ).diagnostics.map(formatDiagnostic),
    [
      'gslb.yaml:1:20: CONFIG: rate_limit.slip must be an integer from 0 to 10, not 11',
      'gslb.yaml:1:24: UNKNOWN_KEY: unknown key "burst" in rate_limit; expected one of ' +
        'responses_per_second, slip, window, ipv4_prefix, ipv6_prefix, exempt',
      'gslb.yaml:2:19: CONFIG: cookies.secret must be 32 hex digits (16 bytes)',
    ],
  );
});

test('cluster: unset means one node; set, its etcd endpoints and quorum are checked where written', (t) => {
  t.is(parseSettings('zones: ./z\n', 'gslb.yaml').settings.cluster, undefined);
  const good = parseSettings(
    'cluster:\n  node: ns2\n' +
      '  etcd: {endpoints: [http://127.0.0.1:2379, https://e2:2379], prefix: p/}\n  health_quorum: 2\n',
    'gslb.yaml',
  );
  t.deepEqual(good.diagnostics, []);
  t.like(good.settings.cluster, {
    node: 'ns2',
    etcd: { endpoints: ['http://127.0.0.1:2379', 'https://e2:2379'], prefix: 'p/' },
    healthQuorum: '2',
  });
  const bad = parseSettings(
    'cluster:\n  etcd: {endpoints: [ftp://x]}\n  health_quorum: most\n',
    'gslb.yaml',
  ).diagnostics.map(formatDiagnostic);
  t.deepEqual(bad, [
    'gslb.yaml:2:22: CONFIG: cluster.etcd.endpoints: "ftp://x" is not http://host:port or https://host:port',
    'gslb.yaml:3:18: CONFIG: cluster.health_quorum must be majority, all or a number of nodes',
  ]);
});

test('probe_source: one address, or one per family; anything else is reported where written', (t) => {
  t.deepEqual(parseSettings('zones: ./z\n', 'gslb.yaml').settings.probeSource, []);
  const unset = parseSettings('probe_source: null\ncluster: null\n', 'gslb.yaml');
  t.deepEqual(unset.diagnostics, []);
  t.deepEqual(unset.settings.probeSource, []);
  t.is(unset.settings.cluster, undefined);
  t.deepEqual(parseSettings('probe_source: 127.0.0.11\n', 'gslb.yaml').settings.probeSource, [
    '127.0.0.11',
  ]);
  const both = parseSettings('probe_source: [192.0.2.1, "2001:db8::1"]\n', 'gslb.yaml');
  t.deepEqual(both.diagnostics, []);
  t.deepEqual(both.settings.probeSource, ['192.0.2.1', '2001:db8::1']);
  const bad = parseSettings(
    'probe_source: [ns1.example., 192.0.2.1, 192.0.2.2]\n',
    'gslb.yaml',
  ).diagnostics.map(formatDiagnostic);
  t.deepEqual(bad, [
    'gslb.yaml:1:16: CONFIG: probe_source: "ns1.example." is not an IP address',
    'gslb.yaml:1:41: CONFIG: probe_source: one address per family (IPv4, IPv6)',
  ]);
});

test('cluster.etcd: TLS files and max_txn_ops are read; unset, TLS is off and etcd takes 128', (t) => {
  const plain = parseSettings('cluster: {node: a}\n', 'gslb.yaml').settings.cluster;
  t.like(plain?.etcd, { tls: undefined, maxTxnOps: 128 });
  const set = parseSettings(
    'cluster:\n  etcd:\n    endpoints: [https://e1:2379]\n    max_txn_ops: 1024\n' +
      '    tls: {ca: /etc/gslb/ca.pem, cert: /etc/gslb/n.pem, key: /etc/gslb/n.key}\n',
    'gslb.yaml',
  );
  t.deepEqual(set.diagnostics, []);
  t.deepEqual(set.settings.cluster?.etcd.tls, {
    ca: '/etc/gslb/ca.pem',
    cert: '/etc/gslb/n.pem',
    key: '/etc/gslb/n.key',
  });
  t.is(set.settings.cluster?.etcd.maxTxnOps, 1024);
  const bad = parseSettings('cluster:\n  etcd: {max_txn_ops: 2, tls: {pem: x}}\n', 'gslb.yaml');
  t.is(bad.diagnostics.length, 2, bad.diagnostics.map(formatDiagnostic).join('\n'));
});
