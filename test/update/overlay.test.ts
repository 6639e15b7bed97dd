// Updates are an overlay on the zone files: they survive reloads, until the file itself changes the same RRset.
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeMessage } from '../../src/dns/index.ts';
import { buildAddressUpdate } from '../../src/update/index.ts';
import { dig } from '../helpers/dig.ts';
import { startTestServer } from '../helpers/server.ts';
import { udpExchange } from '../helpers/wire.ts';
import { SAMPLE_ZONE } from '../helpers/zones.ts';

const SECRET = Buffer.from('overlay key for gslb tests, 32 b').toString('base64');
const KEY = {
  name: 'ops-key.',
  algorithm: 'hmac-sha256' as const,
  secret: Buffer.from(SECRET, 'base64'),
};

test(
  'an update survives a reload of an unchanged file; when the file changes the same RRset, the file ' +
    'wins',
  async (t) => {
    const server = await startTestServer(
      { 'example.com.yaml': SAMPLE_ZONE },
      {
        tsigKeys: [
          { name: 'ops-key.', algorithm: 'hmac-sha256', secret: SECRET, zones: undefined },
        ],
      },
    );
    try {
      const send = async (name: string, address: string): Promise<number> => {
        const reply = await udpExchange(
          server.port,
          buildAddressUpdate(
            'example.com.',
            [{ name, type: 1, ttl: 60, address, add: true }],
            KEY,
            Math.floor(Date.now() / 1000),
            7,
          ),
          2000,
        );
        return decodeMessage(reply!).rcode;
      };
      const www = async (): Promise<string[]> =>
        (await dig(server.port, ['www.example.com.', 'A'])).answer
          .map((rr) => rr.split(' ').pop()!)
          .sort();
      t.is(await send('www.example.com.', '192.0.2.12'), 0);
      t.is(await send('brand-new.example.com.', '192.0.2.13'), 0);
      t.deepEqual(await www(), ['192.0.2.10', '192.0.2.11', '192.0.2.12']);

      t.true((await server.app.reload()).ok);
      t.deepEqual(
        await www(),
        ['192.0.2.10', '192.0.2.11', '192.0.2.12'],
        'unchanged file: the update stays',
      );

      const file = join(server.dir, 'example.com.yaml');
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace(
          'values: [192.0.2.10, 192.0.2.11]',
          'values: [192.0.2.10, 192.0.2.20]',
        ),
      );
      t.true((await server.app.reload()).ok);
      t.deepEqual(await www(), ['192.0.2.10', '192.0.2.20'], 'the file changed www: the file wins');
      t.like(
        server.app
          .journal()
          .filter((j) => j.source === 'reload' && j.name === 'www.example.com.')
          .at(-1),
        { reason: 'the zone file changed this RRset since the update: the file wins' },
      );
      t.deepEqual(
        (await dig(server.port, ['brand-new.example.com.', 'A'])).answer,
        ['brand-new.example.com. 60 IN A 192.0.2.13'],
        'an update to a name the file never had stays',
      );
    } finally {
      await server.close();
    }
  },
);
