// Wire codec: every record type round-trips, dns2 reads what we write, compression and addresses are right.
import test from 'ava';
import dns2 from 'dns2';
import { ipv6Bytes, ipv6Text, type RData, type RR, rdataTypeCode } from '../../src/core/index.ts';
import {
  decodeMessage,
  encodeClientSubnet,
  encodeMessage,
  type Message,
  parseClientSubnet,
} from '../../src/dns/index.ts';
import { errorOf, value } from '../helpers/results.ts';

const RDATA: readonly RData[] = [
  { type: 'A', address: '192.0.2.1' },
  { type: 'AAAA', address: '2001:db8::1' },
  { type: 'AAAA', address: '::ffff:192.0.2.1' },
  { type: 'NS', target: 'ns1.example.com.' },
  { type: 'CNAME', target: 'www.example.com.' },
  { type: 'PTR', target: 'host.example.com.' },
  { type: 'MX', preference: 10, exchange: 'mail.example.com.' },
  { type: 'TXT', strings: ['v=spf1 -all', '', 'x'.repeat(255), 'ünïcode'] },
  { type: 'SRV', priority: 10, weight: 20, port: 5060, target: 'sip.example.com.' },
  { type: 'SRV', priority: 0, weight: 0, port: 0, target: '.' },
  { type: 'CAA', flags: 128, tag: 'issue', value: 'letsencrypt.org; validationmethods=dns-01' },
  {
    type: 'SOA',
    mname: 'ns1.example.com.',
    rname: 'hostmaster.example.com.',
    serial: 4294967295,
    refresh: 3600,
    retry: 600,
    expire: 604800,
    minimum: 60,
  },
  {
    type: 'DS',
    keyTag: 60485,
    algorithm: 13,
    digestType: 2,
    digest: '2bb183af5f22588179a53b0a98631fad1a292118e4a5c5e5e3f7e6b1d7d3e2a0',
  },
  { type: 'UNKNOWN', code: 65280, data: Uint8Array.from([1, 2, 3, 4]) },
];

function messageWith(answer: readonly RR[]): Message {
  return {
    id: 4242,
    qr: true,
    opcode: 0,
    aa: true,
    tc: false,
    rd: true,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    question: [{ name: 'x.example.com.', type: 1, class: 1 }],
    answer,
    authority: [],
    additional: [],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, options: [] },
  };
}

RDATA.forEach((data, i) => {
  test(
    `#${i} ${data.type === 'UNKNOWN' ? `TYPE${data.code}` : data.type} round-trips through encode and ` +
      `decode`,
    (t) => {
      const rr: RR = {
        name: 'x.example.com.',
        type: rdataTypeCode(data),
        class: 1,
        ttl: 300,
        data,
      };
      const decoded = decodeMessage(encodeMessage(messageWith([rr, rr])));
      t.is(decoded.answer.length, 2);
      const normal =
        data.type === 'AAAA' ? { ...data, address: ipv6Text(ipv6Bytes(data.address)) } : data;
      t.deepEqual(
        { ...decoded.answer[0]!, data: { ...decoded.answer[0]!.data } },
        { ...rr, data: normal },
      );
      t.is(decoded.id, 4242);
      t.true(decoded.aa && decoded.rd && decoded.qr);
      t.true(decoded.edns?.dnssecOk);
    },
  );
});

test('dns2, an independent decoder, reads what we encode', (t) => {
  const answer = RDATA.filter(
    (d) => d.type !== 'DS' && d.type !== 'UNKNOWN' && !(d.type === 'SRV' && d.target === '.'),
  ).map((data): RR => ({
    name: 'x.example.com.',
    type: rdataTypeCode(data),
    class: 1,
    ttl: 60,
    data,
  }));
  const parsed = (
    dns2 as unknown as { Packet: { parse(b: Buffer): { answers: Record<string, unknown>[] } } }
  ).Packet.parse(encodeMessage(messageWith(answer)));
  const byType = (type: number): Record<string, unknown> =>
    parsed.answers.find((a) => a['type'] === type)!;
  t.is(parsed.answers.length, answer.length);
  t.is(byType(1)['address'], '192.0.2.1');
  t.is(byType(15)['exchange'], 'mail.example.com');
  t.is(byType(33)['target'], 'sip.example.com');
  t.is(byType(6)['serial'], 4294967295);
  t.is(byType(257)['tag'], 'issue');
  t.is(byType(5)['domain'], 'www.example.com');
  t.is(byType(2)['ns'], 'ns1.example.com');
});

test('names are compressed against the question and each other; SRV targets are not (RFC 2782)', (t) => {
  const rrs: RR[] = ['a', 'b', 'c'].map((l) => ({
    name: 'x.example.com.',
    type: 2,
    class: 1,
    ttl: 60,
    data: { type: 'NS', target: `${l}.example.com.` },
  }));
  const bytes = encodeMessage(messageWith(rrs));
  // Each owner is a 2-byte pointer to the question; each target one label plus a pointer to example.com.
  t.is(bytes.length, 12 + 19 + 3 * (2 + 10 + 4) + 11);
  const srv: RR = {
    name: 'x.example.com.',
    type: 33,
    class: 1,
    ttl: 60,
    data: { type: 'SRV', priority: 0, weight: 0, port: 1, target: 'x.example.com.' },
  };
  const withSrv = encodeMessage(messageWith([srv]));
  t.true(
    withSrv.includes(Buffer.from('\x01x\x07example\x03com\x00', 'latin1'), 31),
    'the SRV target is written out in full',
  );
});

test('IPv6 text and bytes', (t) => {
  const cases: [string, string][] = [
    ['2001:db8::1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::', 'fe80::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [input, text] of cases) t.is(ipv6Text(ipv6Bytes(input)), text, input);
});

test('ECS options: valid forms parse and echo; malformed ones are named', (t) => {
  const v4 = value(parseClientSubnet(Uint8Array.from([0, 1, 24, 0, 198, 51, 100])));
  t.like(v4, { family: 1, sourcePrefix: 24, scopePrefix: 0 });
  t.deepEqual(Array.from(encodeClientSubnet(v4, 16)), [0, 1, 24, 16, 198, 51, 100]);
  const v6 = value(
    parseClientSubnet(Uint8Array.from([0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56])),
  );
  t.like(v6, { family: 2, sourcePrefix: 56 });
  t.like(value(parseClientSubnet(Uint8Array.from([0, 1, 0, 0]))), { family: 1, sourcePrefix: 0 });
  const bad: [number[], RegExp][] = [
    [[0, 3, 8, 0, 1], /family/],
    [[0, 1, 33, 0, 1, 2, 3, 4, 5], /longer than the address/],
    [[0, 1, 24, 0, 1, 2, 3, 4], /length/],
    [[0, 1, 23, 0, 198, 51, 101], /bits set past/],
    [[0, 1], /shorter/],
  ];
  for (const [bytes, why] of bad) t.regex(errorOf(parseClientSubnet(Uint8Array.from(bytes))), why);
});
