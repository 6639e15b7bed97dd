// A failing machine, against a real server process: a full disk (a tmpfs the test mounts), SIGTERM in the middle of
// a large reload, a burst of SIGHUPs, a GeoIP directory that vanishes, a zones directory removed and made again.
// The process never exits on its own, DNS keeps answering from memory, and the next operation tries again.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dig } from '../helpers/dig.ts';
import { nsupdate } from '../helpers/nsupdate.ts';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { waitFor } from '../helpers/wire.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const SECRET = Buffer.from('a secret of the faults test, 32!').toString('base64');

const zone = (extra = ''): string => `'':
  - {type: SOA, value: {mname: ns1.faults.test., rname: h.faults.test., refresh: 1, retry: 1, expire: 1, minimum: 1}}
  - {type: NS, values: [ns1.faults.test.]}
ns1: {type: A, value: 192.0.2.53}
www: {type: A, ttl: 5, value: 192.0.2.1}
geo:
  type: A
  values: [192.0.2.10]
  dynamic:
    pools:
      eu: {values: [{value: 192.0.2.100}]}
    rules: [{geos: [EU], pool: eu}]
${extra}`;

/** `n` records whose values depend on `round`, so a reload cannot take them from the zones in service. */
const bulk = (n: number, round: number): string =>
  Array.from(
    { length: n },
    (_, i) => `h${i}: {type: A, value: 10.${round}.${(i >> 8) & 255}.${i & 255}}`,
  ).join('\n');

const TOKEN = 'faults-test-token';

async function start(dir: string, db: string, extraArgs: string[] = []): Promise<ServerProcess> {
  await writeFile(
    join(dir, 'gslb.yaml'),
    `tsig_keys:\n  - {name: ops, algorithm: hmac-sha256, secret: "${SECRET}"}\n`,
  );
  return spawnServer(
    ['--config', join(dir, 'gslb.yaml'), '--zones', join(dir, 'zones'), '--db', db, ...extraArgs],
    { GSLB_API_TOKEN: TOKEN },
  );
}

const add = (port: number, name: string): Promise<{ code: number; output: string }> =>
  nsupdate(
    ['-y', `hmac-sha256:ops:${SECRET}`],
    `server 127.0.0.1 ${port}\nzone faults.test\nupdate add ${name}.faults.test. 60 A 192.0.2.7\nsend\n`,
  );

const www = async (port: number): Promise<string> =>
  (await dig(port, ['www.faults.test.', 'A'])).status;
const health = async (
  port: number,
): Promise<{ status: string; storage: { ok: boolean; last_error: string | null } }> =>
  (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
    status: string;
    storage: { ok: boolean; last_error: string | null };
  };

test.serial(
  'a full disk: reloads and updates fail and say so, DNS answers throughout, and the next update after ' +
    'space is freed works',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gslb-faults-'));
    const disk = join(dir, 'disk');
    await mkdir(disk);
    await mkdir(join(dir, 'zones'));
    await writeFile(join(dir, 'zones', 'faults.test.yaml'), zone());
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
    const server = await start(dir, join(disk, 'gslb.sqlite'));
    try {
      t.is((await add(server.port, 'before')).code, 0);
      // Fill the disk to the last byte.
      execFileSync('sh', [
        '-c',
        `dd if=/dev/zero of=${join(disk, 'filler')} bs=4k 2>/dev/null || true`,
      ]);
      const failedReloads = (): number =>
        server.stderr.filter((l) => l.includes('reload not recorded')).length;
      process.kill(server.child.pid!, 'SIGHUP');
      t.true(await waitFor(() => failedReloads() === 1, 5000), server.stderr.join('\n'));
      t.is(server.child.exitCode, null, 'SIGHUP on a full disk does not stop the process');
      t.truthy(
        server.stderr.find((l) => /storage: reload failed: SQLITE_FULL/.test(l)),
        server.stderr.join('\n'),
      );
      await writeFile(
        join(dir, 'zones', 'faults.test.yaml'),
        zone('saved: {type: A, value: 192.0.2.8}\n'),
      ); // a save: the watch reloads
      t.true(await waitFor(() => failedReloads() === 2, 5000), server.stderr.join('\n'));
      t.is(
        (await dig(server.port, ['saved.faults.test.', 'A'])).status,
        'NXDOMAIN',
        'a reload the store could not record is not served',
      );
      const full = await add(server.port, 'during');
      t.regex(full.output, /SERVFAIL/, 'an update the store cannot take is SERVFAIL');
      t.is(await www(server.port), 'NOERROR', 'DNS answers from memory');
      t.is(
        (await dig(server.port, ['during.faults.test.', 'A'])).status,
        'NXDOMAIN',
        'what was not stored is not served',
      );
      t.like(await health(server.apiPort), { status: 'degraded', storage: { ok: false } });
      const override = await fetch(
        `http://127.0.0.1:${server.apiPort}/api/v1/zones/faults.test/records/geo/A/members/192.0.2.100`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${TOKEN}` },
          body: '{"status": "down"}',
        },
      );
      t.is(override.status, 503, 'an API change the store cannot take');
      t.is(override.headers.get('retry-after'), '5');
      t.like(await override.json(), { error: { code: 'STORAGE_ERROR' } });
      const metrics = await (await fetch(`http://127.0.0.1:${server.apiPort}/metrics`)).text();
      t.regex(metrics, /gslb_storage_ok 0/);
      t.regex(metrics, /gslb_storage_errors_total\{operation="commit"\} [1-9]/);

      await rm(join(disk, 'filler'));
      t.is(
        (await add(server.port, 'after')).code,
        0,
        'space freed: the next update is acknowledged',
      );
      t.is((await dig(server.port, ['after.faults.test.', 'A'])).answer.length, 1);
      t.like(await health(server.apiPort), { status: 'ok', storage: { ok: true } });
      process.kill(server.child.pid!, 'SIGHUP');
      await server.waitForLog(/reloaded 1 zone/);
      t.is(
        (await dig(server.port, ['saved.faults.test.', 'A'])).answer.length,
        1,
        'and the next reload is recorded and served',
      );
    } finally {
      await server.stop();
      execFileSync('umount', [disk]);
      await rm(dir, { recursive: true, force: true });
    }
  },
);

/** A server on a zone of 40,000 records whose file has then changed on disk: a reload has 40,000 entries to read. */
async function withChangedBulkZone(run: (server: ServerProcess) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-faults-'));
  await mkdir(join(dir, 'zones'));
  const file = join(dir, 'zones', 'faults.test.yaml');
  await writeFile(file, zone(bulk(40_000, 1)));
  const server = await start(dir, join(dir, 'gslb.sqlite'));
  try {
    await writeFile(file, zone(bulk(40_000, 2)));
    await run(server);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test.serial('SIGTERM during a 40,000-record reload exits 0 within 3 s', async (t) => {
  await withChangedBulkZone(async (server) => {
    process.kill(server.child.pid!, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    t.falsy(
      server.stderr.find((l) => l.includes('reloaded')),
      'the reload is still running',
    );
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) =>
      server.child.once('exit', (code) => resolve(code)),
    );
    process.kill(server.child.pid!, 'SIGTERM');
    const code = await exited;
    const ms = Date.now() - started;
    t.is(code, 0, server.stderr.join('\n'));
    t.true(ms < 3000, `exited after ${ms} ms`);
  });
});

test.serial('100 SIGHUPs in a second cost two reloads, not a hundred', async (t) => {
  await withChangedBulkZone(async (server) => {
    for (let i = 0; i < 100; i++) process.kill(server.child.pid!, 'SIGHUP');
    const count = (): number => server.stderr.filter((l) => l.includes('reloaded 1 zone')).length;
    t.true(await waitFor(() => count() >= 2, 30_000), `${count()} reloads`);
    await new Promise((r) => setTimeout(r, 3000)); // and no more after them
    const reloads = count();
    t.is(reloads, 2, `${reloads} reloads for 100 SIGHUPs (and the zones directory watch)`);
    t.is(await www(server.port), 'NOERROR');
  });
});

test.serial(
  'a vanished GeoIP directory is a reload error (geo answers unchanged); a zones directory made again is ' +
    'watched again',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gslb-faults-'));
    await mkdir(join(dir, 'zones'));
    await writeFile(join(dir, 'zones', 'faults.test.yaml'), zone());
    await cp(GEOIP, join(dir, 'geoip'), { recursive: true });
    const server = await start(dir, join(dir, 'gslb.sqlite'), ['--geoip', join(dir, 'geoip')]);
    const eu = async (): Promise<string[]> =>
      (await dig(server.port, ['geo.faults.test.', 'A', '-b', '127.10.0.1', '+short'])).raw
        .trim()
        .split('\n');
    try {
      t.deepEqual(await eu(), ['192.0.2.100']);
      await rename(join(dir, 'geoip'), join(dir, 'geoip-away'));
      process.kill(server.child.pid!, 'SIGHUP');
      await server.waitForLog(/reload rejected/);
      t.truthy(
        server.stderr.find((l) => /GEOIP: cannot read the GeoIP directory/.test(l)),
        server.stderr.join('\n'),
      );
      t.deepEqual(await eu(), ['192.0.2.100'], 'the GeoIP data in service is kept');

      await rm(join(dir, 'zones'), { recursive: true });
      await server.waitForLog(/zones directory .* is gone/, 5000);
      t.is(await www(server.port), 'NOERROR', 'the zones loaded keep serving');
      await rename(join(dir, 'geoip-away'), join(dir, 'geoip'));
      await mkdir(join(dir, 'zones'));
      await writeFile(
        join(dir, 'zones', 'faults.test.yaml'),
        zone('back: {type: A, value: 192.0.2.9}\n'),
      );
      t.true(
        await waitFor(() => server.stderr.some((l) => l.includes('reloaded 1 zone')), 8000),
        server.stderr.join('\n'),
      );
      t.is(
        (await dig(server.port, ['back.faults.test.', 'A'])).answer.length,
        1,
        'the recreated directory was reloaded',
      );
      await writeFile(
        join(dir, 'zones', 'faults.test.yaml'),
        zone('again: {type: A, value: 192.0.2.9}\n'),
      );
      t.true(
        await waitFor(
          () => server.stderr.filter((l) => l.includes('reloaded 1 zone')).length >= 2,
          8000,
        ),
        'and its changes are seen',
      );
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
