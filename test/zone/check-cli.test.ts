// `gslb check`: the shipped sample zones pass; a bad file prints file:line:col: CODE: message and exits 1.
import test from 'ava';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadZoneDir } from '../../src/app.ts';
import { CLI } from '../helpers/process.ts';
import { run } from '../helpers/tools.ts';

const zonesDir = fileURLToPath(new URL('../../zones', import.meta.url));

test('every zone file shipped in zones/ passes check with no diagnostics', async (t) => {
  const result = await loadZoneDir(zonesDir);
  t.deepEqual(result.diagnostics, []);
  t.true((result.zoneSet?.zones.size ?? 0) >= 2);
});

test('gslb check on the sample zones exits 0', async (t) => {
  const r = await run(process.execPath, [CLI, 'check', '--zones', zonesDir]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /zone\(s\) OK/);
});

test('gslb check reports every problem of every file as file:line:col: CODE: message and exits 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-check-'));
  try {
    await copyFile(join(zonesDir, 'example.com.yaml'), join(dir, 'example.com.yaml'));
    await writeFile(
      join(dir, 'bad.example.yaml'),
      "'':\n  - {type: NS, values: [ns1.bad.example.]}\nns1: {type: A, value: 192.0.2.999}\nwww: {type: " +
        'CNAME, value: x.example., ttl: -1}\n',
    );
    await writeFile(join(dir, 'not a zone.yaml'), "'': {type: A, value: 192.0.2.1}\n");
    const r = await run(process.execPath, [CLI, 'check', '--zones', dir]);
    t.is(r.code, 1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(dir + '/', ''));
    t.deepEqual(lines, [
      "bad.example.yaml:1:1: MISSING_SOA: zone bad.example. has no SOA record at its apex ('')",
      'bad.example.yaml:3:23: BAD_ADDRESS: "192.0.2.999" is not an IPv4 address',
      'bad.example.yaml:4:44: BAD_TTL: ttl must be an integer from 0 to 2147483647, not -1',
      'not a zone.yaml:1:1: BAD_FILE_NAME: zone files are named <origin>.yaml, e.g. example.com.yaml',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
