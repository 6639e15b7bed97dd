// The redirect tier with real curl requests from different 127.x source addresses (regions of the sample GeoIP data).
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { dig } from '../helpers/dig.ts';
import { DRILL_ZONE, REDIRECT_RECORDS } from '../helpers/drill.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { requireTool, run } from '../helpers/tools.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const TOKEN = 'redirect-token-12345';
let server: TestServer;

test.before(async () => {
  requireTool('curl');
  server = await startTestServer(
    { 'drill.test.yaml': DRILL_ZONE + REDIRECT_RECORDS },
    { http: true, apiToken: TOKEN, geoipDir: GEOIP, trustedProxies: ['127.99.0.0/16'] },
  );
});
test.after.always(() => server?.close());

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

async function curl(
  host: string,
  path: string,
  options: { from?: string; method?: string; headers?: string[] } = {},
): Promise<Reply> {
  const args = [
    '-s',
    '-D',
    '-',
    '--max-time',
    '5',
    '-H',
    `Host: ${host}`,
    ...(options.from ? ['--interface', options.from] : []),
    ...(options.headers ?? []).flatMap((h) => ['-H', h]),
  ];
  if (options.method === 'HEAD') args.push('-I');
  else if (options.method) args.push('-X', options.method);
  const r = await run('curl', [...args, `http://127.0.0.1:${server.redirectPort}${path}`]);
  const [head, ...rest] = r.stdout.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  const headers = Object.fromEntries(
    lines
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(lines[0]!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

async function put(path: string, status: string): Promise<void> {
  const r = await fetch(`${server.api}/api/v1/zones/drill.test/records/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ status }),
  });
  if (r.status !== 200) throw new Error(`PUT ${path}: ${r.status}`);
}

test.serial(
  "302 to the member the client's region gets, host name when the member has one; path and query kept; no-store",
  async (t) => {
    const eu = await curl('www.drill.test', '/some/path?x=1&y=two', { from: '127.10.0.1' });
    t.is(eu.status, 302);
    t.is(eu.headers['location'], 'https://fra1.example.com/some/path?x=1&y=two');
    t.is(eu.headers['cache-control'], 'no-store');
    const ny = await curl('WWW.Drill.Test:8080', '/', { from: '127.21.0.1' });
    t.is(
      ny.headers['location'],
      'https://iad1.example.com/',
      'Host is case-insensitive, its port ignored',
    );
    const cn = await curl('www.drill.test', '/a', { from: '127.1.0.1' });
    t.regex(
      cn.headers['location']!,
      /^https:\/\/198\.51\.100\.[12]\/a$/,
      'members without a host: their address',
    );
  },
);

test.serial(
  'HEAD is redirected too; other methods get 405; unknown hosts and records without redirect get 404',
  async (t) => {
    const head = await curl('www.drill.test', '/h', { from: '127.10.0.1', method: 'HEAD' });
    t.is(head.status, 302);
    t.is(head.headers['location'], 'https://fra1.example.com/h');
    t.is((await curl('www.drill.test', '/', { method: 'POST' })).status, 405);
    t.is((await curl('nowhere.example', '/')).status, 404);
    t.is((await curl('plain.drill.test', '/')).status, 404);
  },
);

test.serial('X-Forwarded-For is believed only from a trusted proxy', async (t) => {
  const viaProxy = await curl('www.drill.test', '/', {
    from: '127.99.0.1',
    headers: ['X-Forwarded-For: 127.10.0.1'],
  });
  t.is(viaProxy.headers['location'], 'https://fra1.example.com/');
  const spoofed = await curl('www.drill.test', '/', {
    from: '127.21.0.1',
    headers: ['X-Forwarded-For: 127.10.0.1'],
  });
  t.is(
    spoofed.headers['location'],
    'https://iad1.example.com/',
    "an untrusted peer's header is ignored",
  );
});

test.serial(
  'the Location follows health and overrides; nothing healthy: 302 to fallback_url, or 503 with Retry-After',
  async (t) => {
    await put('www/A/pools/eu', 'down');
    t.is(
      (await curl('www.drill.test', '/', { from: '127.10.0.1' })).headers['location'],
      'https://iad1.example.com/',
      'eu down: its fallback',
    );
    for (const p of [
      'pools/cn-telecom',
      'pools/apac',
      'pools/na',
      'members/192.0.2.10',
      'members/192.0.2.11',
    ])
      await put(`www/A/${p}`, 'down');
    const fallback = await curl('www.drill.test', '/x', { from: '127.10.0.1' });
    t.is(fallback.status, 302);
    t.is(fallback.headers['location'], 'https://status.example.com/');
    t.deepEqual(
      (await dig(server.port, ['www.drill.test.', 'A'])).answer,
      ['www.drill.test. 15 IN A 192.0.2.80'],
      'meanwhile DNS sends clients to the tier',
    );
    for (const p of [
      'pools/eu',
      'pools/cn-telecom',
      'pools/apac',
      'pools/na',
      'members/192.0.2.10',
      'members/192.0.2.11',
    ])
      await put(`www/A/${p}`, 'obey');
    t.is(
      (await curl('www.drill.test', '/', { from: '127.10.0.1' })).headers['location'],
      'https://fra1.example.com/',
    );

    await put('bare/A/members/192.0.2.30', 'down');
    const none = await curl('bare.drill.test', '/');
    t.is(none.status, 503);
    t.is(none.headers['retry-after'], '20');
  },
);

test.serial(
  "mode always: DNS answers the tier's address, and every HTTP request is steered live",
  async (t) => {
    t.deepEqual((await dig(server.port, ['live.drill.test.', 'A'])).answer, [
      'live.drill.test. 300 IN A 192.0.2.80',
    ]);
    t.is(
      (await curl('live.drill.test', '/p?q=1')).headers['location'],
      'http://live1.example.com:8443/p?q=1',
    );
  },
);
