// The reply cache: a cached reply is byte-identical to a fresh one but for ID, flags, question case and ECS address;
// dynamic answers keep their plan per client and their replies per pick, and give the bytes a fresh decision gives.
import { readFileSync } from 'node:fs';
import test from 'ava';
import { decodeMessage } from '../../src/dns/index.ts';
import { loadGeoDatabase } from '../../src/geo/index.ts';
import { ReplyCache, respond } from '../../src/query/index.ts';
import { cachingSnapshot } from '../../src/resolve/index.ts';
import { chooserOf, healthOf, snapshotOf } from '../helpers/snapshot.ts';
import { buildQuery } from '../helpers/wire.ts';
import { SAMPLE_ZONE, STATIC_ZONE } from '../helpers/zones.ts';

const ctx = { transport: 'udp' as const, remoteAddress: '127.0.0.1' };

test('a cached reply equals a fresh one, with the new ID, RD bit and question case', (t) => {
  const fresh = snapshotOf({ 'example.test.yaml': STATIC_ZONE });
  const replies = new ReplyCache();
  const first = buildQuery('www.example.test.', 'A', { id: 1 });
  respond(first, ctx, fresh, chooserOf(1), {}, replies);
  t.is(replies.size, 1);
  const second = buildQuery('WwW.ExAmPlE.TeSt.', 'A', { id: 2, rd: true });
  const fromCache = respond(second, ctx, fresh, chooserOf(1), {}, replies).reply!;
  const computed = respond(second, ctx, fresh, chooserOf(1)).reply!;
  t.true(fromCache.equals(computed));
  t.is(decodeMessage(fromCache).id, 2);
  t.true(decodeMessage(fromCache).rd);
  t.is(fromCache.subarray(12, 30).toString('latin1').includes('WwW'), true);
});

test("ECS: a cached reply carries this query's subnet, the same bytes as a fresh reply", (t) => {
  const fresh = snapshotOf({ 'example.test.yaml': STATIC_ZONE });
  const replies = new ReplyCache();
  const ecsQuery = (a: number) =>
    buildQuery('www.example.test.', 'A', {
      id: a,
      edns: {
        udpSize: 1232,
        extendedRcode: 0,
        version: 0,
        dnssecOk: false,
        options: [{ code: 8, data: Uint8Array.from([0, 1, 24, 0, 198, 51, a]) }],
      },
    });
  respond(ecsQuery(1), ctx, fresh, chooserOf(1), {}, replies);
  const second = respond(ecsQuery(2), ctx, fresh, chooserOf(1), {}, replies).reply!;
  t.true(second.equals(respond(ecsQuery(2), ctx, fresh, chooserOf(1)).reply!));
  t.deepEqual([...decodeMessage(second).edns!.options[0]!.data], [0, 1, 24, 0, 198, 51, 2]);
});

test('truncation sizes are kept apart', (t) => {
  const snapshot = snapshotOf({ 'example.test.yaml': STATIC_ZONE });
  const replies = new ReplyCache();
  respond(buildQuery('many.example.test.', 'A'), ctx, snapshot, chooserOf(1), {}, replies); // 512 bytes: truncated
  const edns = respond(
    buildQuery('many.example.test.', 'A', {
      edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [] },
    }),
    ctx,
    snapshot,
    chooserOf(1),
    {},
    replies,
  ).reply!;
  t.is(
    decodeMessage(edns).answer.length,
    40,
    'a larger EDNS buffer is a different entry, not the truncated reply',
  );
  t.is(replies.size, 2);
});

const SAMPLE_DBS = ['sample-City.mmdb', 'sample-ASN.mmdb'].map((n) => ({
  path: n,
  bytes: readFileSync(new URL(`../../geoip/${n}`, import.meta.url)),
}));
const METHODS_ZONE = `'':
  - {type: SOA, value: {mname: ns1.methods.test., rname: h.methods.test., refresh: 1, retry: 1, expire: 1, minimum: 30}}
  - {type: NS, values: [ns1.methods.test.]}
ns1: {type: A, value: 192.0.2.53}
alias: {type: CNAME, value: rr.methods.test.}
${['weighted', 'weighted-rr', 'hash', 'all']
  .map(
    (method) => `${method.replace('weighted-rr', 'rr')}:
  type: A
  ttl: 30
  values: [192.0.2.9]
  dynamic:
    pools:
      asia: {fallback: rest, values: [{value: 192.0.2.1, weight: 5}, {value: 192.0.2.2, weight: 1}, \
{value: 192.0.2.3, weight: 0}]}
      rest: {values: [{value: 192.0.2.4}, {value: 192.0.2.5}, {value: 192.0.2.6}]}
    rules: [{geos: [AS], pool: asia}, {subnets: ["10.0.0.0/8"], pool: rest}]
  method: ${method}
  answers: 2
  healthcheck: {protocol: TCP, port: 80}
`,
  )
  .join('')}`;

test('dynamic answers through the cache are byte for byte what a fresh decision gives, client by client', (t) => {
  const geo = loadGeoDatabase({ networks: undefined, databases: SAMPLE_DBS }).geo;
  const zones = { 'example.com.yaml': SAMPLE_ZONE, 'methods.test.yaml': METHODS_ZONE };
  // 192.0.2.1 down: the asia pool has one member with weight, so plans differ from the zone text.
  const health = healthOf({ '192.0.2.1': false, '192.0.2.2': true, '192.0.2.5': true });
  const fresh = snapshotOf(zones, { geo, health });
  const cached = cachingSnapshot(fresh);
  const replies = new ReplyCache();
  const names = [
    'app.example.com.',
    'weighted.methods.test.',
    'rr.methods.test.',
    'hash.methods.test.',
    'all.methods.test.',
    'alias.methods.test.',
  ];
  // Clients: ECS /24 and /56 from places in the sample data and outside it, /0, and plain source addresses.
  const ecs = (family: 1 | 2, prefix: number, bytes: number[]) => ({
    udpSize: 1232,
    extendedRcode: 0,
    version: 0,
    dnssecOk: false,
    options: [{ code: 8, data: Uint8Array.from([0, family, prefix, 0, ...bytes]) }],
  });
  const clients: { edns?: ReturnType<typeof ecs>; source: string }[] = [];
  for (const b of [1, 2, 4, 10, 20, 60])
    for (let c = 0; c < 40; c++)
      clients.push({ edns: ecs(1, 24, [127, b, c * 6]), source: '127.0.0.1' });
  for (const n of [0x01, 0x02, 0x12])
    for (let c = 0; c < 10; c++)
      clients.push({ edns: ecs(2, 56, [0x20, 0x01, 0x0d, 0xb8, n, 0x34, c]), source: '::1' });
  clients.push({ edns: ecs(1, 0, []), source: '127.4.0.1' });
  for (let c = 0; c < 20; c++)
    clients.push({ source: `127.${[1, 4, 10][c % 3]}.${c}.1` }, { source: `10.0.${c}.1` });
  const freshChooser = chooserOf(7);
  const cachedChooser = chooserOf(7);
  let compared = 0;
  for (let round = 0; round < 3; round++) {
    for (const [i, client] of clients.entries()) {
      for (const name of names) {
        const query = buildQuery(name, 'A', {
          id: (i + round) & 0xffff,
          ...(client.edns ? { edns: client.edns } : {}),
        });
        const context = { transport: 'udp' as const, remoteAddress: client.source };
        const a = respond(query, context, fresh, freshChooser);
        const b = respond(query, context, cached, cachedChooser, {}, replies);
        if (!a.reply!.equals(b.reply!))
          return t.fail(
            `${name} for ${JSON.stringify(client)}: cached reply differs from a fresh one`,
          );
        t.deepEqual(b.dynamic, a.dynamic);
        compared++;
      }
    }
  }
  t.is(compared, 3 * clients.length * names.length);
  t.is(cached.plans!.size, names.length - 1, 'a plan cache per record (alias leads to rr)');
  t.true(
    [...cached.plans!.values()].some((m) => m.byClient.size > 100),
    'one plan per client',
  );
  t.true(
    [...cached.plans!.values()].every((m) => m.shared.size < 20),
    'a few sets of candidates per record, shared',
  );
});

test('the cache holds at most 50,000 replies, however many names and shapes a flood brings', (t) => {
  const cache = new ReplyCache();
  const entry = (shape: number) => ({
    kind: 'reply' as const,
    shape,
    bytes: Buffer.alloc(12),
    rcode: 3,
    zone: undefined,
    responseClass: 0,
  });
  let largest = 0;
  for (let i = 0; i < 120_000; i++) {
    cache.set(`n${i % 40_000}.example.test.`, entry(i % 3)); // 40,000 names, 3 shapes each
    largest = Math.max(largest, cache.size);
  }
  t.is(largest, ReplyCache.MAX_ENTRIES);
  t.true(cache.size <= ReplyCache.MAX_ENTRIES);
  // What was set last is there, in its shape only.
  t.is(cache.get('n39999.example.test.', 119_999 % 3)?.shape, 119_999 % 3);
  t.is(cache.get('n39999.example.test.', 9), undefined);
});
