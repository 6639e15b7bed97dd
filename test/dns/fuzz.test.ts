// A seeded loop of 100,000 random and mutated datagrams through the whole query pipeline: it never throws.
import test from 'ava';
import { decodeMessage } from '../../src/dns/index.ts';
import { respond } from '../../src/query/index.ts';
import type { Snapshot } from '../../src/resolve/index.ts';
import { CORPUS } from '../helpers/corpus.ts';
import { mulberry32, randomDatagram } from '../helpers/random.ts';
import { buildQuery } from '../helpers/wire.ts';
import { chooserOf, snapshotOf } from '../helpers/snapshot.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

const snapshot: Snapshot = snapshotOf({ 'example.test.yaml': STATIC_ZONE });
const chooser = chooserOf(1);

test('100,000 random datagrams: no exception, every reply decodes and matches its request id', (t) => {
  const rand = mulberry32(20261121);
  const seeds = [
    ...CORPUS.map((c) => c.bytes).filter((b) => b.length >= 12),
    buildQuery('alias.example.test.', 'A', {
      edns: {
        udpSize: 1232,
        extendedRcode: 0,
        version: 0,
        dnssecOk: false,
        options: [{ code: 8, data: Uint8Array.from([0, 1, 24, 0, 198, 51, 100]) }],
      },
    }),
    buildQuery('sub.example.test.', 'A'),
    buildQuery('big.example.test.', 'TXT'),
  ];
  const counts = { dropped: 0, answered: 0 };
  for (let i = 0; i < 100_000; i++) {
    const datagram = randomDatagram(rand, seeds);
    for (const transport of ['udp', 'tcp'] as const) {
      const { reply } = respond(
        datagram,
        { transport, remoteAddress: '127.0.0.1' },
        snapshot,
        chooser,
      );
      if (!reply) {
        counts.dropped++;
        continue;
      }
      counts.answered++;
      const m = decodeMessage(reply);
      if (
        m.id !== datagram.readUInt16BE(0) ||
        !m.qr ||
        (transport === 'udp' && reply.length > 1232)
      ) {
        t.fail(`bad reply to ${datagram.toString('hex')}`);
        return;
      }
    }
  }
  t.true(counts.answered > 50_000, `answered ${counts.answered}, dropped ${counts.dropped}`);
});
