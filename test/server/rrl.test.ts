// Response rate limiting, DNS Cookies and the server's identity, against a real server process (the limiter's own
// tests set `exempt: []`, SPEC §10). A spoofed-source flood gets few full answers and less back than it sends, while
// a client with a valid server cookie and one from another prefix are answered as usual; dig +cookie, +nsid and
// CH TXT id.server see what the config says.
import test from 'ava';
import dgram from 'node:dgram';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parse from 'parse-prometheus-text-format';
import { Rcode } from '../../src/core/index.ts';
import { decodeMessage, type Edns } from '../../src/dns/index.ts';
import { dig } from '../helpers/dig.ts';
import { spawnServer, type ServerProcess } from '../helpers/process.ts';
import { buildQuery, udpExchange } from '../helpers/wire.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

const TXT_VALUES = Array.from({ length: 4 }, (_, i) => `"${String(i).repeat(240)}"`);
const BIG_TXT = `amplify: {type: TXT, values: [${TXT_VALUES.join(', ')}]}\n`;
const CONFIG = `rate_limit: {responses_per_second: 20, slip: 2, window: 5, exempt: []}
identity: {nsid: ns1-test, version: gslb-test}
cookies: {secret: 00112233445566778899aabbccddeeff}
`;
let server: ServerProcess;
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gslb-rrl-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', 'example.test.yaml'), STATIC_ZONE + BIG_TXT);
  await writeFile(join(dir, 'gslb.yaml'), CONFIG);
  server = await spawnServer([
    '--config',
    join(dir, 'gslb.yaml'),
    '--zones',
    join(dir, 'zones'),
    '--geoip',
    join(dir, 'none'),
    '--db',
    join(dir, 'gslb.sqlite'),
  ]);
});
test.after.always(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const edns = (options: Edns['options'] = []): Edns => ({
  udpSize: 1232,
  extendedRcode: 0,
  version: 0,
  dnssecOk: false,
  options,
});
const query = (id: number, options?: Edns['options']): Buffer =>
  buildQuery('amplify.example.test.', 'TXT', { id, edns: edns(options) });
const COOKIE = 10;

/** `count` queries from `source` at `perSecond`, in bursts every 10 ms; what came back. */
function flood(
  source: string,
  count: number,
  perSecond: number,
): Promise<{
  sentBytes: number;
  gotBytes: number;
  full: number;
  truncated: number;
  other: number;
}> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const got = { sentBytes: 0, gotBytes: 0, full: 0, truncated: 0, other: 0 };
    socket.on('message', (m) => {
      got.gotBytes += m.length;
      const reply = decodeMessage(m);
      if (reply.answer.length > 0) got.full++;
      else if (reply.tc) got.truncated++;
      else got.other++;
    });
    socket.bind(0, source, () => {
      let sent = 0;
      const perBurst = Math.ceil(perSecond / 100);
      const timer = setInterval(() => {
        for (let i = 0; i < perBurst && sent < count; i++, sent++) {
          const q = query(sent & 0xffff);
          got.sentBytes += q.length;
          socket.send(q, server.port, '127.0.0.1');
        }
        if (sent >= count) {
          clearInterval(timer);
          setTimeout(() => (socket.close(), resolve(got)), 500);
        }
      }, 10);
    });
  });
}

/**
 * A client cookie, then the server cookie the server gives back (asked until a reply comes: the flood may
 * slip it).
 */
async function serverCookie(source: string): Promise<Buffer> {
  const client = Buffer.from('0102030405060708', 'hex');
  for (let i = 0; i < 50; i++) {
    const reply = await udpExchange(
      server.port,
      query(9000 + i, [{ code: COOKIE, data: client }]),
      300,
      '127.0.0.1',
      source,
    );
    const option = reply && decodeMessage(reply).edns?.options.find((o) => o.code === COOKIE);
    if (option && option.data.length === 24) return Buffer.from(option.data);
  }
  throw new Error('no server cookie');
}

test.serial(
  '20,000 spoofed-source queries: at most 5 % full answers and 3× the bytes; a client with a cookie and ' +
    'one elsewhere are answered',
  async (t) => {
    const attack = flood('127.0.0.1', 20_000, 5_000);
    await new Promise((r) => setTimeout(r, 500)); // the flood is limited by now
    const cookie = await serverCookie('127.0.0.2'); // the attacked /24 itself
    let verified = 0;
    let elsewhere = 0;
    for (let i = 0; i < 20; i++) {
      const withCookie = await udpExchange(
        server.port,
        query(100 + i, [{ code: COOKIE, data: cookie }]),
        1000,
        '127.0.0.1',
        '127.0.0.2',
      );
      if (withCookie && decodeMessage(withCookie).answer.length === 4) verified++;
      const other = await udpExchange(server.port, query(200 + i), 1000, '127.0.0.1', '127.0.1.5');
      if (other && decodeMessage(other).answer.length === 4) elsewhere++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const got = await attack;
    t.log(
      `flood: ${got.full} full answers, ${got.truncated} truncated, ${got.other} other; ${got.gotBytes} ` +
        `bytes back for ${got.sentBytes} sent`,
    );
    t.true(got.full <= 1000, `${got.full} full answers of 20,000`);
    t.true(
      got.gotBytes <= 3 * got.sentBytes,
      `${(got.gotBytes / got.sentBytes).toFixed(2)}× the bytes`,
    );
    t.true(got.truncated > 1000, 'limited responses slip as TC=1, so real clients retry over TCP');
    t.is(verified, 20, 'a client that returns its server cookie is not limited');
    t.is(elsewhere, 20, 'a client from another prefix is not limited');
    const families = parse(
      await (await fetch(`http://127.0.0.1:${server.apiPort}/metrics`)).text(),
    );
    const limited = families.find((f) => f.name === 'gslb_rate_limited_responses_total')!.metrics;
    const of = (action: string): number =>
      Number(limited.find((m) => m.labels?.['action'] === action)?.value ?? 0);
    t.true(
      of('dropped') > 5000 && of('slipped') > 1000,
      `dropped ${of('dropped')}, slipped ${of('slipped')}`,
    );
  },
);

test.serial(
  'a limited client that sent a cookie is answered BADCOOKIE with a fresh one, and comes back verified',
  async (t) => {
    await flood('127.0.2.1', 500, 5_000); // the 127.0.2.0/24 prefix is over its rate now
    const client = Buffer.from('1112131415161718', 'hex');
    let badcookie: Buffer | undefined;
    for (let i = 0; i < 20 && !badcookie; i++) {
      const reply = await udpExchange(
        server.port,
        query(300 + i, [{ code: COOKIE, data: client }]),
        300,
        '127.0.0.1',
        '127.0.2.9',
      );
      if (reply && decodeMessage(reply).rcode === Rcode.BADCOOKIE) badcookie = reply;
    }
    t.truthy(badcookie, 'a slipped reply to a client with a cookie is BADCOOKIE');
    const cookie = decodeMessage(badcookie!).edns!.options.find((o) => o.code === COOKIE)!.data;
    t.is(cookie.length, 24);
    t.true(badcookie!.length < 100, `${badcookie!.length} bytes`);
    const verified = await udpExchange(
      server.port,
      query(400, [{ code: COOKIE, data: cookie }]),
      1000,
      '127.0.0.1',
      '127.0.2.9',
    );
    t.is(decodeMessage(verified!).answer.length, 4, 'with its server cookie it gets the answer');
  },
);

test.serial(
  'dig +cookie gets a server cookie and its second query with it is answered; +nsid and CH TXT show the identity',
  async (t) => {
    const first = await dig(server.port, ['www.example.test.', 'A', '+cookie', '-b', '127.0.3.1']);
    const cookie = /; COOKIE: ([0-9a-f]+)/.exec(first.raw)?.[1];
    t.is(cookie?.length, 48, first.raw);
    const second = await dig(server.port, [
      'www.example.test.',
      'A',
      `+cookie=${cookie}`,
      '-b',
      '127.0.3.1',
    ]);
    t.is(second.status, 'NOERROR');
    t.is(second.answer.length, 2);
    t.regex(second.raw, /; COOKIE: [0-9a-f]{48} \(good\)/);
    const nsid = await dig(server.port, ['www.example.test.', 'A', '+nsid', '-b', '127.0.3.2']);
    t.regex(nsid.raw, /NSID: .*\("ns1-test"\)/);
    t.deepEqual(
      (await dig(server.port, ['id.server.', 'TXT', '-c', 'CH', '-b', '127.0.3.3'])).answer,
      ['id.server. 0 CH TXT "ns1-test"'],
    );
    t.deepEqual(
      (await dig(server.port, ['hostname.bind.', 'TXT', '-c', 'CH', '-b', '127.0.3.3'])).answer,
      ['hostname.bind. 0 CH TXT "ns1-test"'],
    );
    t.deepEqual(
      (await dig(server.port, ['version.bind.', 'TXT', '-c', 'CH', '-b', '127.0.3.3'])).answer,
      ['version.bind. 0 CH TXT "gslb-test"'],
    );
    t.is(
      (await dig(server.port, ['authors.bind.', 'TXT', '-c', 'CH', '-b', '127.0.3.3'])).status,
      'REFUSED',
    );
  },
);

test.serial('a malformed COOKIE option is FORMERR (RFC 7873 §5.2.2)', async (t) => {
  for (const length of [5, 9, 15, 41]) {
    const reply = await udpExchange(
      server.port,
      query(500 + length, [{ code: COOKIE, data: Buffer.alloc(length, 1) }]),
      1000,
      '127.0.0.1',
      '127.0.4.1',
    );
    t.is(decodeMessage(reply!).rcode, Rcode.FORMERR, `${length} bytes`);
  }
});
