// /metrics parsed by a Prometheus text-format parser; the counters move as queries, updates and reloads happen.
import test from 'ava';
import parse from 'parse-prometheus-text-format';
import { fileURLToPath } from 'node:url';
import { dig } from '../helpers/dig.ts';
import { DRILL_ZONE } from '../helpers/drill.ts';
import { nsupdate } from '../helpers/nsupdate.ts';
import { startTestServer } from '../helpers/server.ts';

const GEOIP = fileURLToPath(new URL('../../geoip', import.meta.url));
const TOKEN = 'metrics-token-123456';

type Scrape = (name: string, labels?: Record<string, string>) => number;

async function scrape(api: string): Promise<Scrape> {
  const families = parse(await (await fetch(`${api}/metrics`)).text());
  return (name, labels = {}) => {
    const family = families.find((f) => f.name === name);
    if (!family) throw new Error(`no metric ${name}`);
    return family.metrics
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((n, m) => n + Number(m.value ?? m.count ?? 0), 0);
  };
}

test('query, answer, degraded, ECS, update, reload, member and serial metrics follow what happens', async (t) => {
  const server = await startTestServer(
    { 'drill.test.yaml': DRILL_ZONE },
    { http: true, apiToken: TOKEN, geoipDir: GEOIP },
  );
  try {
    const before = await scrape(server.api);
    const eu = ['www.drill.test.', 'A', '-b', '127.10.0.1'];
    for (let i = 0; i < 5; i++) await dig(server.port, eu);
    await dig(server.port, [...eu, '+subnet=127.10.0.0/24']);
    await dig(server.port, [...eu, '+tcp']);
    await dig(server.port, ['nope.drill.test.', 'A']);
    await fetch(`${server.api}/api/v1/zones/drill.test/records/www/A/pools/eu`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"status":"down"}',
    });
    await dig(server.port, eu);
    await nsupdate(
      [],
      `server 127.0.0.1 ${server.port}\nzone drill.test\nupdate add x.drill.test. 60 A 192.0.2.1\nsend\n`,
    );
    await fetch(`${server.api}/api/v1/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const after = await scrape(server.api);
    const delta = (name: string, labels?: Record<string, string>): number =>
      after(name, labels) - before(name, labels);

    t.is(
      delta('gslb_queries_total', {
        zone: 'drill.test.',
        qtype: 'A',
        rcode: 'NOERROR',
        transport: 'udp',
      }),
      7,
    );
    t.is(
      delta('gslb_queries_total', {
        zone: 'drill.test.',
        qtype: 'A',
        rcode: 'NOERROR',
        transport: 'tcp',
      }),
      1,
    );
    t.is(delta('gslb_queries_total', { zone: 'drill.test.', rcode: 'NXDOMAIN' }), 1);
    t.is(delta('gslb_ecs_queries_total', { ecs: 'yes' }), 1);
    t.is(
      delta('gslb_answers_total', { zone: 'drill.test.', record: 'www.drill.test. A', pool: 'eu' }),
      7,
    );
    t.is(
      delta('gslb_answers_total', { record: 'www.drill.test. A', pool: 'na' }),
      1,
      'after the pool override: its fallback',
    );
    t.is(delta('gslb_degraded_answers_total', { reason: 'fallback' }), 1);
    t.is(delta('gslb_updates_total', { source: 'unsigned', rcode: 'REFUSED' }), 1);
    t.is(delta('gslb_reloads_total', { result: 'ok' }), 1);
    t.is(
      after('gslb_pool_members_up', { record: 'www.drill.test. A', pool: 'eu' }),
      0,
      'effective state: the pool is forced down',
    );
    t.is(after('gslb_pool_members_up', { record: 'www.drill.test. A', pool: 'cn-telecom' }), 2);
    t.is(
      after('gslb_pool_members_up', { record: 'www.drill.test. A', pool: 'na' }),
      1,
      '192.0.2.201 is status down',
    );
    const soa = (await dig(server.port, ['drill.test.', 'SOA'])).answer[0]!.split(' ')[6];
    t.is(after('gslb_zone_serial', { zone: 'drill.test.' }), Number(soa));
    t.is(
      after('gslb_health_probe_seconds'),
      0,
      'the histogram is exposed (no health checks in this zone)',
    );
  } finally {
    await server.close();
  }
});
