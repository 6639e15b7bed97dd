// Dynamic updates with real nsupdate (-y over UDP, -k key file with hmac-sha512 over TCP), checked with dig at once.
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeMessage,
  findTsig,
  macOf,
  signMessage,
  TsigError,
  verifyRequest,
} from '../../src/dns/index.ts';
import { buildAddressUpdate } from '../../src/update/index.ts';
import { dig } from '../helpers/dig.ts';
import { nsupdate } from '../helpers/nsupdate.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { udpExchange } from '../helpers/wire.ts';
import { SAMPLE_ZONE } from '../helpers/zones.ts';

const OPS_SECRET = Buffer.from('ops secret for gslb tests, 32 b!').toString('base64');
const BIG_SECRET = Buffer.from(
  'a sixty-four byte secret for the hmac-sha512 key of gslb tests!!',
).toString('base64');
const TSIG_KEYS = [
  {
    name: 'ops-key.',
    algorithm: 'hmac-sha256' as const,
    secret: OPS_SECRET,
    zones: ['example.com.'],
  },
  { name: 'big-key.', algorithm: 'hmac-sha512' as const, secret: BIG_SECRET, zones: undefined },
  {
    name: 'other-key.',
    algorithm: 'hmac-sha256' as const,
    secret: OPS_SECRET,
    zones: ['example.net.'],
  },
];

let server: TestServer;
let keyFile: string;
const y = (): string[] => ['-y', `hmac-sha256:ops-key:${OPS_SECRET}`];
const k = (): string[] => ['-k', keyFile, '-v'];
const script = (...lines: string[]): string =>
  `server 127.0.0.1 ${server.port}\nzone example.com\n${lines.join('\n')}\nsend\n`;
const short = async (name: string, type = 'A', ...extra: string[]): Promise<string[]> =>
  (await dig(server.port, [name, type, ...extra])).answer
    .map((rr) => rr.split(' ').slice(4).join(' '))
    .sort();
const serial = async (): Promise<number> =>
  Number((await dig(server.port, ['example.com.', 'SOA'])).answer[0]!.split(' ')[6]);

test.before(async () => {
  server = await startTestServer({ 'example.com.yaml': SAMPLE_ZONE }, { tsigKeys: TSIG_KEYS });
  keyFile = join(server.dir, 'big.key');
  await writeFile(
    keyFile,
    `key "big-key" {\n\talgorithm hmac-sha512;\n\tsecret "${BIG_SECRET}";\n};\n`,
  );
});
test.after.always(() => server?.close());

test.serial(
  'nsupdate -y over UDP: add, visible at once; the serial goes up by one per message',
  async (t) => {
    const before = await serial();
    const r = await nsupdate(
      y(),
      script(
        'update add new.example.com. 300 A 192.0.2.99',
        'update add new.example.com. 300 TXT "hello world"',
      ),
    );
    t.is(r.code, 0, r.output);
    t.deepEqual(await short('new.example.com.'), ['192.0.2.99']);
    t.deepEqual(await short('new.example.com.', 'TXT'), ['"hello world"']);
    t.is(await serial(), before + 1);
  },
);

test.serial(
  'nsupdate -k (hmac-sha512) over TCP: delete an RR, delete an RRset, delete a name',
  async (t) => {
    t.is(
      (
        await nsupdate(
          k(),
          script(
            'update add multi.example.com. 60 A 192.0.2.1',
            'update add multi.example.com. 60 A 192.0.2.2',
            'update add multi.example.com. 60 MX 10 mail.example.com.',
          ),
        )
      ).code,
      0,
    );
    t.deepEqual(await short('multi.example.com.'), ['192.0.2.1', '192.0.2.2']);
    t.is((await nsupdate(k(), script('update delete multi.example.com. A 192.0.2.1'))).code, 0);
    t.deepEqual(await short('multi.example.com.'), ['192.0.2.2']);
    t.is((await nsupdate(k(), script('update delete multi.example.com. A'))).code, 0);
    t.deepEqual(await short('multi.example.com.'), []);
    t.deepEqual(await short('multi.example.com.', 'MX'), ['10 mail.example.com.']);
    t.is((await nsupdate(k(), script('update delete multi.example.com.'))).code, 0);
    t.is((await dig(server.port, ['multi.example.com.', 'MX'])).status, 'NXDOMAIN');
  },
);

test.serial(
  'prerequisites: each of the five kinds passes or fails with its rcode, and a failed one changes nothing',
  async (t) => {
    const cases: [string, number, RegExp | undefined][] = [
      ['prereq yxdomain www.example.com.', 0, undefined],
      ['prereq nxdomain www.example.com.', 2, /YXDOMAIN/],
      ['prereq nxdomain nothere.example.com.', 0, undefined],
      ['prereq yxdomain nothere.example.com.', 2, /NXDOMAIN/],
      ['prereq yxrrset www.example.com. A', 0, undefined],
      ['prereq nxrrset www.example.com. A', 2, /YXRRSET/],
      ['prereq yxrrset www.example.com. MX', 2, /NXRRSET/],
      [
        'prereq yxrrset www.example.com. A 192.0.2.10\nprereq yxrrset www.example.com. A 192.0.2.11',
        0,
        undefined,
      ],
      ['prereq yxrrset www.example.com. A 192.0.2.10', 2, /NXRRSET/], // value-dependent: the whole RRset must match
    ];
    for (const [prereq, code, message] of cases) {
      const before = await serial();
      const r = await nsupdate(
        y(),
        script(prereq, 'update add prereq-probe.example.com. 60 TXT "ran"'),
      );
      t.is(r.code, code, `${prereq}: ${r.output}`);
      if (message) t.regex(r.output, message, prereq);
      t.is((await short('prereq-probe.example.com.', 'TXT')).length, code === 0 ? 1 : 0, prereq);
      t.is(await serial(), code === 0 ? before + 1 : before, prereq);
      if (code === 0) await nsupdate(y(), script('update delete prereq-probe.example.com. TXT'));
    }
  },
);

test.serial(
  'unsigned, wrong-secret and unknown-key updates are refused with the right rcode and TSIG error; nothing changes',
  async (t) => {
    const before = await serial();
    const add = script('update add intruder.example.com. 60 A 192.0.2.66');
    const unsigned = await nsupdate([], add);
    t.regex(unsigned.output, /REFUSED/);
    const wrong = await nsupdate(
      ['-y', `hmac-sha256:ops-key:${Buffer.from('not the secret at all').toString('base64')}`],
      add,
    );
    t.regex(wrong.output, /NOTAUTH\(BADSIG\)/);
    const unknown = await nsupdate(['-y', `hmac-sha256:nobody:${OPS_SECRET}`], add);
    t.regex(unknown.output, /NOTAUTH\(BADKEY\)/);
    const notAllowed = await nsupdate(['-y', `hmac-sha256:other-key:${OPS_SECRET}`], add);
    t.regex(notAllowed.output, /REFUSED/, 'a key may update only its zones');
    t.is((await dig(server.port, ['intruder.example.com.', 'A'])).status, 'NXDOMAIN');
    t.is(await serial(), before);
  },
);

test.serial(
  'a stale signature gets NOTAUTH with BADTIME in a signed reply carrying our clock; nothing changes',
  async (t) => {
    const key = {
      name: 'ops-key.',
      algorithm: 'hmac-sha256' as const,
      secret: Buffer.from(OPS_SECRET, 'base64'),
    };
    const stale = Math.floor(Date.now() / 1000) - 3600;
    const message = buildAddressUpdate(
      'example.com.',
      [{ name: 'stale.example.com.', type: 1, ttl: 60, address: '192.0.2.5', add: true }],
      key,
      stale,
      4242,
    );
    const reply = (await udpExchange(server.port, message, 2000))!;
    t.is(decodeMessage(reply).rcode, 9, 'NOTAUTH');
    const tsig = findTsig(reply)!;
    t.is(tsig.error, TsigError.BADTIME);
    t.is(tsig.otherData.length, 6);
    t.true(Math.abs(tsig.otherData.readUIntBE(0, 6) - Date.now() / 1000) < 5);
    // The reply is signed over the request's MAC (RFC 8945 §5.3.2): check it as a client would.
    const requestMac = macOf(findTsig(message)!);
    const unsignedReply = Buffer.from(reply.subarray(0, tsig.offset));
    unsignedReply.writeUInt16BE(reply.readUInt16BE(10) - 1, 10);
    const resigned = signMessage(unsignedReply, key, {
      timeSigned: tsig.timeSigned,
      requestMac,
      error: tsig.error,
      otherData: tsig.otherData,
    });
    t.deepEqual(findTsig(resigned)!.mac, tsig.mac);
    t.is((await dig(server.port, ['stale.example.com.', 'A'])).status, 'NXDOMAIN');
    t.is(
      verifyRequest(message, findTsig(message)!, () => key, stale).ok,
      true,
      'the request itself was well signed',
    );
  },
);

test.serial(
  'dynamic record: deleting a pool member takes it out of service, adding it back restores it, an ' +
    'unknown address is refused',
  async (t) => {
    const ny = ['-b', '127.21.0.1']; // New York: catch-all pool na = 192.0.2.200 (192.0.2.201 is status down)
    t.deepEqual(await short('app.example.com.', 'A', ...ny), ['192.0.2.200']);
    t.is((await nsupdate(y(), script('update delete app.example.com. A 192.0.2.200'))).code, 0);
    const degraded = (await dig(server.port, ['app.example.com.', 'A', ...ny])).answer;
    t.true(
      degraded.length === 1 && /^app\.example\.com\. 15 IN A 192\.0\.2\.1[01]$/.test(degraded[0]!),
      `default values at ttl_degraded: ${degraded.join('; ')}`,
    );
    t.is((await nsupdate(y(), script('update add app.example.com. 60 A 192.0.2.200'))).code, 0);
    t.deepEqual(await short('app.example.com.', 'A', ...ny), ['192.0.2.200']);
    const refused = await nsupdate(y(), script('update add app.example.com. 60 A 192.0.2.250'));
    t.regex(refused.output, /REFUSED/);
    t.truthy(
      server.logs.find((l) =>
        l.includes('192.0.2.250 is not a member of the dynamic record app.example.com. A'),
      ),
    );
  },
);

test.serial(
  'the SOA and the last apex NS are protected; a CNAME never joins other data',
  async (t) => {
    const before = await serial();
    t.is(
      (
        await nsupdate(
          y(),
          script('update delete example.com. SOA', 'update delete example.com. NS'),
        )
      ).code,
      0,
    );
    t.is((await short('example.com.', 'NS')).length, 2, 'apex NS RRset kept');
    t.is(
      (
        await nsupdate(
          y(),
          script(
            'update delete example.com. NS ns1.example.com.',
            'update delete example.com. NS ns2.example.com.',
          ),
        )
      ).code,
      0,
    );
    t.is((await short('example.com.', 'NS')).length, 1, 'the last apex NS stays');
    t.is(
      (await nsupdate(y(), script('update add www.example.com. 60 CNAME elsewhere.example.net.')))
        .code,
      0,
    );
    t.is(
      (await dig(server.port, ['www.example.com.', 'CNAME'])).answer.length,
      0,
      'CNAME beside A was skipped',
    );
    t.true((await serial()) > before);
  },
);
