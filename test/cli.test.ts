// gslb explain and gslb geoip against the shipped zones and GeoIP data.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { dig } from './helpers/dig.ts';
import { CLI, spawnServer } from './helpers/process.ts';
import { run } from './helpers/tools.ts';

const gslb = (...args: string[]) => run(process.execPath, [CLI, ...args]);

test('explain shows the facts, each rule tried, the pools, the pick, TTL and scope', async (t) => {
  const r = await gslb(
    'explain',
    'app.example.com',
    'A',
    '--client',
    '192.0.2.1',
    '--ecs',
    '127.2.0.0/24',
  );
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^app\.example\.com\. A asked by 192\.0\.2\.1 with ECS 127\.2\.0\.0\/24$/m);
  t.regex(r.stdout, /client: geo AS-CN-SH \(sample-City\.mmdb 127\.2\.0\.0\/16\), AS 4837/);
  t.regex(
    r.stdout,
    /1\. → cn-telecom: no \(client geo AS-CN-SH is in AS-CN, but AS4837 is not in 4134, 4812\)/,
  );
  t.regex(r.stdout, /2\. → apac: MATCH \(client geo AS-CN-SH is in AS\)/);
  t.regex(
    r.stdout,
    /outcome: pool; method weighted; candidates 203\.0\.113\.1\(1\) 203\.0\.113\.2\(1\)/,
  );
  // 127.2/16 (China Unicom) and 127.3/16 (China Mobile) both reach apac: the answer holds for the /15.
  t.regex(
    r.stdout,
    /result: NOERROR from zone example\.com\., ECS scope \/15 \(the same for 127\.2\.0\.0\/15\)/,
  );
  t.regex(r.stdout, /app\.example\.com\. 60 IN A 203\.0\.113\.[12]/);
});

test('explain for a static name and for a name outside every zone', async (t) => {
  const www = await gslb('explain', 'www.example.com', '--client', '127.0.0.1');
  t.regex(www.stdout, /www\.example\.com\. 60 IN A 192\.0\.2\.10/);
  t.regex(www.stdout, /ECS scope \/0/);
  const out = await gslb('explain', 'example.org', '--client', '127.0.0.1');
  t.regex(out.stdout, /REFUSED: no zone for example\.org\./);
});

test('explain without --client is a usage error', async (t) => {
  const r = await gslb('explain', 'app.example.com');
  t.is(r.code, 2);
  t.regex(r.stderr, /--client IP is required/);
});

test('geoip prints what each source knows of an address', async (t) => {
  const r = await gslb('geoip', '127.60.1.2');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /continent\s+AS\s+\(networks\.yaml 127\.60\.0\.0\/16\)/);
  t.regex(r.stdout, /asn\s+4812\s+\(networks\.yaml 127\.60\.0\.0\/16\)/);
  t.regex(r.stdout, /isp\s+China Telecom/);
  const v6 = await gslb('geoip', '2001:db8:100::1');
  t.regex(v6.stdout, /subdivision\s+BE\s+\(sample-City\.mmdb 2001:db8:100::\/48\)/);
  const bad = await gslb('geoip', 'not-an-ip');
  t.is(bad.code, 2);
});

test('the bundle npm run build writes serves what the sources serve', async (t) => {
  // Built beside node_modules (the bundle imports its dependencies from there), not over dist/ other tests may run.
  const cache = fileURLToPath(new URL('../node_modules/.cache/', import.meta.url));
  await mkdir(cache, { recursive: true });
  const dir = await mkdtemp(`${cache}gslb-bundle-`);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const built = await run(
    'npm',
    ['run', 'build', '--silent', '--', `--outfile=${dir}/gslb.mjs`],
    60_000,
  );
  t.is(built.code, 0, built.stderr);
  const check = await run(process.execPath, [`${dir}/gslb.mjs`, 'check']);
  t.is(check.code, 0, check.stderr);
  t.regex(check.stdout, /zone\(s\) OK/);
  const server = await spawnServer(['--db', `${dir}/state.sqlite`], {}, `${dir}/gslb.mjs`);
  t.teardown(() => server.stop());
  t.deepEqual((await dig(server.port, ['www.example.com', 'A'])).answer.sort(), [
    'www.example.com. 60 IN A 192.0.2.10',
    'www.example.com. 60 IN A 192.0.2.11',
  ]);
  const app = await dig(server.port, ['app.example.com', 'A', '+subnet=127.2.0.0/24']);
  t.regex(app.answer.join('\n'), /^app\.example\.com\. 60 IN A 203\.0\.113\.[12]$/);
  t.true(app.flags.has('aa'));
  t.is(app.ecs, '127.2.0.0/24/15'); // 127.2/16 and 127.3/16 both reach apac
});
