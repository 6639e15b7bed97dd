// The failover drill with real clients: PUT members and pools through the API, watch dig, restart, restore.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { dig } from '../helpers/dig.ts';
import { DRILL_ZONE } from '../helpers/drill.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const TOKEN = 'drill-token-0123456789';
const CN = ['-b', '127.1.0.1']; // China Telecom, Beijing: pool cn-telecom

async function put(
  server: TestServer,
  path: string,
  status: string,
  reason = 'drill',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${server.api}/api/v1/zones/drill.test/records/www/A/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status, reason }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function answers(
  server: TestServer,
  times = 8,
): Promise<{ ttl: string[]; addresses: string[] }> {
  const ttl = new Set<string>();
  const addresses = new Set<string>();
  for (let i = 0; i < times; i++) {
    for (const rr of (await dig(server.port, ['www.drill.test.', 'A', ...CN])).answer) {
      const [, t, , , address] = rr.split(' ');
      ttl.add(t!);
      addresses.add(address!);
    }
  }
  return { ttl: [...ttl].sort(), addresses: [...addresses].sort() };
}

test(
  'failover drill: member down, pool down, everything down, restart, obey restores; every step ' +
    'journaled',
  async (t) => {
    let server = await startTestServer(
      { 'drill.test.yaml': DRILL_ZONE },
      { http: true, apiToken: TOKEN, geoipDir: GEOIP },
    );
    const dir = server.dir;
    try {
      t.deepEqual(
        await answers(server, 30),
        { ttl: ['60'], addresses: ['198.51.100.1', '198.51.100.2'] },
        'baseline: both members by weight',
      );

      const member = await put(server, 'members/198.51.100.1', 'down', 'maintenance');
      t.is(member.status, 200);
      t.like((member.body['pools'] as Record<string, unknown>[])[0], {
        pool: 'cn-telecom',
        value: '198.51.100.1',
        override: 'down',
        effective: 'down',
      });
      t.deepEqual(
        await answers(server),
        { ttl: ['60'], addresses: ['198.51.100.2'] },
        'the next dig no longer sees it',
      );

      t.like((await put(server, 'pools/cn-telecom', 'down')).body, {
        pool: 'cn-telecom',
        override: 'down',
      });
      t.deepEqual(
        await answers(server, 20),
        { ttl: ['15'], addresses: ['203.0.113.1', '203.0.113.2'] },
        'the fallback pool, with ttl_degraded',
      );

      for (const pool of ['apac', 'na'])
        t.is((await put(server, `pools/${pool}`, 'down')).status, 200);
      t.deepEqual(
        await answers(server, 20),
        { ttl: ['15'], addresses: ['192.0.2.10', '192.0.2.11'] },
        'chain exhausted: the default values',
      );

      for (const value of ['192.0.2.10', '192.0.2.11'])
        t.is((await put(server, `members/${value}`, 'down')).status, 200);
      t.deepEqual(
        await answers(server),
        { ttl: ['15'], addresses: ['192.0.2.80'] },
        'nothing left: the redirect tier',
      );

      await server.close(true);
      server = await startTestServer({}, { http: true, apiToken: TOKEN, geoipDir: GEOIP, dir });
      t.deepEqual(
        await answers(server),
        { ttl: ['15'], addresses: ['192.0.2.80'] },
        'all of it survived the restart',
      );

      for (const path of [
        'pools/cn-telecom',
        'pools/apac',
        'pools/na',
        'members/198.51.100.1',
        'members/192.0.2.10',
        'members/192.0.2.11',
      ])
        t.is((await put(server, path, 'obey')).status, 200);
      t.deepEqual(
        await answers(server, 30),
        { ttl: ['60'], addresses: ['198.51.100.1', '198.51.100.2'] },
        'obey restores',
      );

      const events = (
        (await (await fetch(`${server.api}/api/v1/events?since=0&limit=1000`)).json()) as {
          events: { source: string; after: string; reason: string }[];
        }
      ).events.filter((e) => e.source === 'api');
      t.deepEqual(
        events.map((e) => e.after),
        [
          'member 198.51.100.1 down',
          'pool cn-telecom down',
          'pool apac down',
          'pool na down',
          'member 192.0.2.10 down',
          'member 192.0.2.11 down',
          'pool cn-telecom obey',
          'pool apac obey',
          'pool na obey',
          'member 198.51.100.1 obey',
          'member 192.0.2.10 obey',
          'member 192.0.2.11 obey',
        ],
      );
      t.is(events[0]!.reason, 'maintenance');
    } finally {
      await server.close();
    }
  },
);
