// The HTTP API's contract: auth, validation with clear 400s, JSON 404s, reload, views, events, explain and status.
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp } from '../../src/app.ts';
import { DEFAULT_SETTINGS } from '../../src/config/index.ts';
import { dig } from '../helpers/dig.ts';
import { DRILL_ZONE } from '../helpers/drill.ts';
import { CLI } from '../helpers/process.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { run } from '../helpers/tools.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const TOKEN = 'api-test-token-abcdef';
let server: TestServer;

test.before(async () => {
  server = await startTestServer(
    { 'drill.test.yaml': DRILL_ZONE },
    { http: true, apiToken: TOKEN, geoipDir: GEOIP },
  );
});
test.after.always(() => server?.close());

const NO_TOKEN = '';

async function call(
  method: string,
  path: string,
  body?: string,
  token = TOKEN,
): Promise<{ status: number; json: ApiBody }> {
  const sendsBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
  const r = await fetch(`${server.api}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': 'application/json',
    },
    ...(sendsBody ? { body } : {}),
  });
  return { status: r.status, json: (await r.json()) as ApiBody };
}

/** A body as the API sends it: an error, or the view the test asked for (read as the test expects it). */
interface ApiBody {
  readonly error: { code: string; message: string; field?: string; problems?: string[] };
  readonly [key: string]: unknown;
}
const MEMBER = '/api/v1/zones/drill.test/records/www/A/members/192.0.2.100';

test.serial(
  'mutations need the bearer token: 401 without it or with a wrong one, and nothing changes',
  async (t) => {
    for (const token of [NO_TOKEN, 'wrong-token', `${TOKEN}x`]) {
      const r = await call('PUT', MEMBER, '{"status": "down"}', token);
      t.is(r.status, 401);
      t.is(r.json.error.code, 'UNAUTHORIZED');
    }
    t.is((await call('POST', '/api/v1/reload', '', NO_TOKEN)).status, 401);
    const members = (await call('GET', '/api/v1/members', undefined, NO_TOKEN)).json['members'] as {
      value: string;
      override: string | null;
    }[];
    t.is(
      members.find((m) => m.value === '192.0.2.100')!.override,
      null,
      'reads need no token; nothing was overridden',
    );
  },
);

test.serial('malformed bodies get 400 naming the problem, and change nothing', async (t) => {
  const cases: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[1,2]', /JSON object/],
    ['{}', /status must be/],
    ['{"status": "sideways"}', /status must be/],
    ['{"status": "down", "reason": 5}', /reason must be a string/],
    ['{"status": "down", "colour": "red"}', /unknown field "colour"/],
    [JSON.stringify({ status: 'down', reason: 'x'.repeat(501) }), /at most 500/],
    ['', /JSON object/],
  ];
  for (const [body, message] of cases) {
    const r = await call('PUT', MEMBER, body);
    t.is(r.status, 400, body);
    t.regex(r.json.error.message, message, body);
  }
  t.is(
    (
      await call(
        'PUT',
        '/api/v1/zones/drill.test/records/www/MX/members/192.0.2.100',
        '{"status":"down"}',
      )
    ).status,
    400,
    'only A and AAAA',
  );
  t.is(
    (await call('GET', '/api/v1/resolve?name=www.drill.test&client=nowhere')).json.error.field,
    'client',
  );
  t.is((await call('GET', '/api/v1/events?since=-1')).status, 400);
  t.is(
    (await dig(server.port, ['www.drill.test.', 'A', '-b', '127.10.0.1'])).answer[0]!.split(
      ' ',
    ).pop(),
    '192.0.2.100',
  );
});

test.serial(
  'unknown zones, records, members and pools are JSON 404s; wrong methods 405',
  async (t) => {
    const notFound: [string, string][] = [
      ['GET', '/api/v1/zones/nowhere.test'],
      ['PUT', '/api/v1/zones/nowhere.test/records/www/A/members/192.0.2.100'],
      ['PUT', '/api/v1/zones/drill.test/records/nope/A/members/192.0.2.100'],
      ['PUT', '/api/v1/zones/drill.test/records/plain/A/members/192.0.2.1'],
      ['PUT', '/api/v1/zones/drill.test/records/www/A/members/192.0.2.99'],
      ['PUT', '/api/v1/zones/drill.test/records/www/A/pools/mars'],
      ['GET', '/api/v1/nothing'],
    ];
    for (const [method, path] of notFound) {
      const r = await call(method, path, '{"status":"down"}');
      t.is(r.status, 404, path);
      t.truthy(r.json.error.code, path);
    }
    t.is((await call('DELETE', '/api/v1/members')).status, 405);
  },
);

test.serial(
  'reload: a broken file gets 400 with every file:line:col problem while the old zones serve; then a good one applies',
  async (t) => {
    const file = join(server.dir, 'drill.test.yaml');
    const good = await readFile(file, 'utf8');
    await writeFile(
      file,
      good.replace(
        'plain: {type: A, value: 192.0.2.1}',
        'plain: {type: A, value: 192.0.2.300, tll: 5}',
      ),
    );
    const bad = await call('POST', '/api/v1/reload');
    t.is(bad.status, 400);
    t.is(bad.json.error.code, 'ZONE_ERRORS');
    t.deepEqual(
      bad.json.error
        .problems!.map((p) => p.replace(`${server.dir}/`, '').split(': ').slice(0, 2).join(': '))
        .sort(),
      ['drill.test.yaml:22:25: BAD_ADDRESS', 'drill.test.yaml:22:38: UNKNOWN_KEY'],
    );
    t.deepEqual((await dig(server.port, ['plain.drill.test.', 'A'])).answer, [
      'plain.drill.test. 3600 IN A 192.0.2.1',
    ]);
    await writeFile(file, good.replace('192.0.2.1}', '192.0.2.2}'));
    t.like((await call('POST', '/api/v1/reload')).json, { ok: true, zones: 1 });
    t.deepEqual((await dig(server.port, ['plain.drill.test.', 'A'])).answer, [
      'plain.drill.test. 3600 IN A 192.0.2.2',
    ]);
  },
);

test.serial('zones, members and events views', async (t) => {
  const zones = (await call('GET', '/api/v1/zones')).json['zones'] as {
    zone: string;
    serial: number;
  }[];
  t.is(zones[0]!.zone, 'drill.test.');
  const zone = (await call('GET', '/api/v1/zones/drill.test')).json;
  const www = (zone['records'] as { name: string; dynamic?: { pools: { pool: string }[] } }[]).find(
    (r) => r.name === 'www.drill.test.',
  )!;
  t.deepEqual(
    www.dynamic!.pools.map((p) => p.pool),
    ['cn-telecom', 'apac', 'eu', 'na'],
  );
  const members = (await call('GET', '/api/v1/members')).json['members'] as Record<
    string,
    unknown
  >[];
  t.like(
    members.find((m) => m['value'] === '192.0.2.201'),
    {
      zone: 'drill.test.',
      name: 'www.drill.test.',
      type: 'A',
      pool: 'na',
      weight: 1,
      status: 'down',
      effective: 'down',
      health: 'unknown',
    },
  );
  t.is((await call('PUT', MEMBER, '{"status":"down","reason":"paging test"}')).status, 200);
  t.is((await call('PUT', MEMBER, '{"status":"obey"}')).status, 200);
  const first = await call('GET', '/api/v1/events?since=0&limit=1');
  t.is((first.json['events'] as unknown[]).length, 1);
  const rest = await call('GET', `/api/v1/events?since=${first.json['next'] as number}`);
  t.true(
    (rest.json['events'] as { id: number }[]).every((e) => e.id > (first.json['next'] as number)),
  );
  t.truthy((rest.json['events'] as { reason: string }[]).find((e) => e.reason === 'paging test'));
});

test.serial(
  'GET /api/v1/resolve and gslb explain --server give the live trace; gslb status lists the members',
  async (t) => {
    const api = (
      await call(
        'GET',
        '/api/v1/resolve?name=www.drill.test&type=A&client=192.0.2.1&ecs=127.2.0.0/24',
      )
    ).json;
    // 127.2/16 and 127.3/16 both reach apac: the widest block with this answer is the /15.
    t.like(api, {
      result: 'answer',
      scope: 15,
      block: '127.2.0.0/15',
      query: { name: 'www.drill.test.', type: 'A' },
    });
    const trace = api['trace'] as { rules: { matched: boolean; pool: string }[] };
    t.is(trace.rules.find((r) => r.matched)?.pool, 'apac');
    const cli = await run(process.execPath, [
      CLI,
      'explain',
      'www.drill.test',
      'A',
      '--client',
      '192.0.2.1',
      '--ecs',
      '127.2.0.0/24',
      '--server',
      server.api,
    ]);
    t.is(cli.code, 0, cli.stderr);
    t.regex(cli.stdout, /2\. → apac: MATCH \(client geo AS-CN-SH is in AS\)/);
    const status = await run(process.execPath, [CLI, 'status', '--server', server.api]);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, /^NAME\s+TYPE\s+POOL\s+POOL_OVERRIDE\s+MEMBER/m);
    t.regex(
      status.stdout,
      /www\.drill\.test\.\s+A\s+na\s+-\s+192\.0\.2\.201\s+1\s+down\s+-\s+unknown\s+down/,
    );
  },
);

test('without a token the API is read-only; on a non-loopback address it does not start at all', async (t) => {
  const readOnly = await startTestServer({ 'drill.test.yaml': DRILL_ZONE }, { http: true });
  try {
    const r = await fetch(`${readOnly.api}/api/v1/reload`, { method: 'POST' });
    t.is(r.status, 403);
    t.is(((await r.json()) as { error: { code: string } }).error.code, 'READ_ONLY');
  } finally {
    await readOnly.close();
  }
  await t.throwsAsync(
    startApp({
      settings: {
        ...DEFAULT_SETTINGS,
        apiListen: { host: '0.0.0.0', port: 0 },
        redirectListen: undefined,
        zones: fileURLToPath(new URL('../../zones', import.meta.url)),
        geoip: undefined,
        db: ':memory:',
        dnsListen: [],
      },
      watchZones: false,
      healthChecks: false,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    }),
    { message: /not loopback: set api_token/ },
  );
});
