// Server config: SPEC §2's example loads; unknown keys and bad values stop the server with file:line:col.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseListenAddress, parseSettings } from '../src/config/index.ts';
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
    'zones: ./zones\ndns_listen: [127.0.0.1:99999, "::1:53"]\nlisten: 1\ntsig_keys:\n  - {name: k, algorithm: md5, secret: abc}\n';
  const lines = parseSettings(text, 'gslb.yaml').diagnostics.map(formatDiagnostic);
  t.deepEqual(lines, [
    'gslb.yaml:2:14: CONFIG: "127.0.0.1:99999" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)',
    'gslb.yaml:2:31: CONFIG: "::1:53" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)',
    'gslb.yaml:3:1: UNKNOWN_KEY: unknown key "listen" in the config file; expected one of zones, geoip, db, dns_listen, api_listen, redirect_listen, api_token, trusted_proxies, tsig_keys, tcp_idle_timeout_ms, tcp_max_connections, tcp_max_per_client, workers, rate_limit, cookies, identity, max_zone_file_bytes, api_max_body_bytes',
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
