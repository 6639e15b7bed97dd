// The static reply cache: a cached reply is byte-identical to a fresh one but for ID, flags and question case.
import test from 'ava';
import { decodeMessage } from '../../src/dns/index.ts';
import { respond } from '../../src/query/index.ts';
import { chooserOf, snapshotOf } from '../helpers/snapshot.ts';
import { buildQuery } from '../helpers/wire.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

const ctx = { transport: 'udp' as const, remoteAddress: '127.0.0.1' };

test('a cached reply equals a fresh one, with the new ID, RD bit and question case', (t) => {
  const fresh = snapshotOf({ 'example.test.yaml': STATIC_ZONE });
  const cached = { ...fresh, replies: new Map() };
  const first = buildQuery('www.example.test.', 'A', { id: 1 });
  respond(first, ctx, cached, chooserOf(1));
  t.is(cached.replies.size, 1);
  const second = buildQuery('WwW.ExAmPlE.TeSt.', 'A', { id: 2, rd: true });
  const fromCache = respond(second, ctx, cached, chooserOf(1)).reply!;
  const computed = respond(second, ctx, fresh, chooserOf(1)).reply!;
  t.true(fromCache.equals(computed));
  t.is(decodeMessage(fromCache).id, 2);
  t.true(decodeMessage(fromCache).rd);
  t.is(fromCache.subarray(12, 30).toString('latin1').includes('WwW'), true);
});

test('ECS: a cached reply carries this query\'s subnet, the same bytes as a fresh reply', (t) => {
  const fresh = snapshotOf({ 'example.test.yaml': STATIC_ZONE });
  const cached = { ...fresh, replies: new Map() };
  const ecsQuery = (a: number) => buildQuery('www.example.test.', 'A', { id: a, edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [{ code: 8, data: Uint8Array.from([0, 1, 24, 0, 198, 51, a]) }] } });
  respond(ecsQuery(1), ctx, cached, chooserOf(1));
  const second = respond(ecsQuery(2), ctx, cached, chooserOf(1)).reply!;
  t.true(second.equals(respond(ecsQuery(2), ctx, fresh, chooserOf(1)).reply!));
  t.deepEqual([...decodeMessage(second).edns!.options[0]!.data], [0, 1, 24, 0, 198, 51, 2]);
});

test('truncation sizes are kept apart', (t) => {
  const snapshot = { ...snapshotOf({ 'example.test.yaml': STATIC_ZONE }), replies: new Map() };
  respond(buildQuery('many.example.test.', 'A'), ctx, snapshot, chooserOf(1)); // 512 bytes: truncated
  const edns = respond(buildQuery('many.example.test.', 'A', { edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [] } }), ctx, snapshot, chooserOf(1)).reply!;
  t.is(decodeMessage(edns).answer.length, 40, 'a larger EDNS buffer is a different entry, not the truncated reply');
  t.is(snapshot.replies.size, 2);
});
