// The bad-input table in-process: every corpus case gets exactly its reply, and the reply is well formed.
import test from 'ava';
import { decodeMessage } from '../../src/dns/index.ts';
import { respond } from '../../src/query/index.ts';
import type { Snapshot } from '../../src/resolve/index.ts';
import { CORPUS } from '../helpers/corpus.ts';
import { chooserOf, snapshotOf } from '../helpers/snapshot.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

const snapshot: Snapshot = snapshotOf({ 'example.test.yaml': STATIC_ZONE });
const chooser = chooserOf(1);

for (const c of CORPUS) {
  test(`${c.name} → ${c.expect === 'drop' ? 'drop' : `rcode ${c.expect}`}`, (t) => {
    const outcome = respond(
      c.bytes,
      { transport: 'udp', remoteAddress: '127.0.0.1' },
      snapshot,
      chooser,
    );
    if (c.expect === 'drop') {
      t.is(outcome.reply, undefined);
      return;
    }
    t.truthy(outcome.reply);
    const reply = decodeMessage(outcome.reply!);
    t.is(reply.rcode, c.expect);
    t.true(reply.qr);
    t.is(reply.id, 0xbeef);
    t.false(reply.ra);
    if (c.echoesQuestion) t.is(reply.question.length, 1);
    else t.true(reply.question.length <= 1);
  });
}

test('ECS is echoed after a COOKIE option and for an IPv6 /56', (t) => {
  for (const name of ['COOKIE before ECS (both honoured)', 'IPv6 ECS /56']) {
    const c = CORPUS.find((x) => x.name === name)!;
    const reply = decodeMessage(
      respond(c.bytes, { transport: 'udp', remoteAddress: '127.0.0.1' }, snapshot, chooser).reply!,
    );
    const ecs = reply.edns?.options.find((o) => o.code === 8);
    t.truthy(ecs, name);
    t.is(reply.answer.length, 2);
  }
});
