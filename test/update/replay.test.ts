// Signed updates an attacker can replay or bend, against a real server process: the same message sent again within
// the TSIG window is refused (an operator's later delete stays deleted); a TSIG record outside the additional section
// is FORMERR; a time signed far ahead is refused even with a large fudge.
import test from 'ava';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rcode } from '../../src/core/index.ts';
import { decodeMessage, type TsigKey } from '../../src/dns/index.ts';
import { dig } from '../helpers/dig.ts';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { rrOf, signedUpdate, udpExchange } from '../helpers/wire.ts';
import { SAMPLE_ZONE } from '../helpers/zones.ts';
import { startTestServer } from '../helpers/server.ts';

const KEY: TsigKey = {
  name: 'ops.',
  algorithm: 'hmac-sha256',
  secret: Buffer.from('a secret for the replay tests 32'),
};
let server: ServerProcess;

test.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-replay-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', 'example.com.yaml'), SAMPLE_ZONE);
  await writeFile(
    join(dir, 'gslb.yaml'),
    `tsig_keys:\n  - {name: ops, algorithm: hmac-sha256, secret: "${KEY.secret.toString('base64')}"}\n`,
  );
  server = await spawnServer([
    '--config',
    join(dir, 'gslb.yaml'),
    '--zones',
    join(dir, 'zones'),
    '--db',
    join(dir, 'gslb.sqlite'),
  ]);
});
test.after.always(() => server?.stop());

async function send(message: Buffer): Promise<number> {
  const reply = await udpExchange(server.port, message, 2000);
  return reply ? decodeMessage(reply).rcode : -1;
}

const answers = async (name: string): Promise<number> =>
  (await dig(server.port, [name, 'A'])).answer.length;

test.serial(
  'a replayed signed update is refused and logged; what the operator deleted since stays deleted',
  async (t) => {
    const addition = signedUpdate(
      'example.com.',
      [rrOf('replayed.example.com. 60 IN A 192.0.2.77')],
      KEY,
      { id: 1 },
    );
    t.is(await send(addition), Rcode.NOERROR);
    t.is(await answers('replayed.example.com.'), 1);
    const deletion = signedUpdate(
      'example.com.',
      [rrOf('replayed.example.com. 0 IN A 192.0.2.77', 254)],
      KEY,
      { id: 2 },
    );
    t.is(await send(deletion), Rcode.NOERROR);
    t.is(await answers('replayed.example.com.'), 0);
    t.is(await send(addition), Rcode.REFUSED, 'the same bytes again');
    t.is(await answers('replayed.example.com.'), 0, 'the replay restored nothing');
    t.truthy(
      server.stderr.find((l) => /replayed/.test(l)),
      server.stderr.join('\n'),
    );
    // A fresh message with the same content is a new update.
    t.is(
      await send(
        signedUpdate('example.com.', [rrOf('replayed.example.com. 60 IN A 192.0.2.77')], KEY, {
          id: 3,
        }),
      ),
      Rcode.NOERROR,
    );
  },
);

test.serial(
  'a TSIG record in the update section with ARCOUNT 0 is FORMERR, not a crash',
  async (t) => {
    const signed = signedUpdate(
      'example.com.',
      [rrOf('moved.example.com. 60 IN A 192.0.2.78')],
      KEY,
      { id: 4 },
    );
    const moved = Buffer.from(signed);
    moved.writeUInt16BE(moved.readUInt16BE(8) + 1, 8); // NSCOUNT (updates) + 1
    moved.writeUInt16BE(0, 10); // ARCOUNT 0: the TSIG now counts as an update
    t.is(await send(moved), Rcode.FORMERR);
    t.falsy(
      server.stderr.find((l) => /RangeError|request .* failed/.test(l)),
      server.stderr.join('\n'),
    );
    t.is(await answers('moved.example.com.'), 0);
  },
);

test.serial(
  'a message signed an hour ahead is refused even when its fudge says 65535 seconds',
  async (t) => {
    const future = signedUpdate(
      'example.com.',
      [rrOf('later.example.com. 60 IN A 192.0.2.79')],
      KEY,
      { id: 5, timeSigned: Math.floor(Date.now() / 1000) + 3600, fudge: 65535 },
    );
    t.is(await send(future), Rcode.NOTAUTH);
    t.is(await answers('later.example.com.'), 0);
  },
);

test('a retransmission of an update still being committed gets its answer; after it, it is a replay', async (t) => {
  const s = await startTestServer(
    { 'example.com.yaml': SAMPLE_ZONE },
    {
      tsigKeys: [
        {
          name: 'ops.',
          algorithm: 'hmac-sha256',
          secret: KEY.secret.toString('base64'),
          zones: undefined,
        },
      ],
    },
  );
  try {
    const serial = () => s.app.live().serials.get('example.com.');
    const before = serial();
    const message = signedUpdate(
      'example.com.',
      [rrOf('again.example.com. 60 IN A 192.0.2.78')],
      KEY,
      { id: 9 },
    );
    // The client sends it again before the first answer (a UDP retry): the same answer, applied once.
    const [first, second] = await Promise.all([
      s.app.update(message, '127.0.0.1'),
      s.app.update(message, '127.0.0.1'),
    ]);
    t.is(decodeMessage(first.reply).rcode, Rcode.NOERROR);
    t.deepEqual(second.reply, first.reply);
    t.is(serial(), (before ?? 0) + 1);
    // Sent once more after it was answered: refused.
    const late = await s.app.update(message, '127.0.0.1');
    t.is(decodeMessage(late.reply).rcode, Rcode.REFUSED);
    t.is(serial(), (before ?? 0) + 1);
  } finally {
    await s.close();
  }
});
