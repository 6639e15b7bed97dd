// The server through real dig and kdig over UDP and TCP: the shared case table and the wire rules of SPEC §4.
import test from 'ava';
import { decodeMessage } from '../../src/dns/index.ts';
import { LOOKUP_CASES, statusOf } from '../helpers/cases.ts';
import { dig, kdig } from '../helpers/dig.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { buildQuery, frame, tcpConnect, waitFor } from '../helpers/wire.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

let server: TestServer;

test.before(async () => {
  server = await startTestServer({ 'example.test.yaml': STATIC_ZONE });
});
test.after.always(() => server?.close());

for (const c of LOOKUP_CASES) {
  test(`dig ${c.name} ${c.type} → ${c.kind}`, async (t) => {
    const r = await dig(server.port, [c.name, c.type, ...(c.large ? ['+tcp'] : [])]);
    t.is(r.status, statusOf(c.kind));
    const authoritative =
      c.kind !== 'refused' && !(c.kind === 'delegation' && (c.answer ?? []).length === 0);
    t.is(r.flags.has('aa'), authoritative, 'AA');
    t.false(r.flags.has('ra'), 'RA is never set');
    t.false(r.flags.has('tc'));
    t.deepEqual(new Set(r.answer), new Set(c.answer ?? []), 'answer');
    t.deepEqual(new Set(r.authority), new Set(c.authority ?? []), 'authority');
    t.deepEqual(new Set(r.additional), new Set(c.additional ?? []), 'additional');
  });
}

test('kdig over UDP and TCP gets the same answers', async (t) => {
  for (const transport of ['+notcp', '+tcp']) {
    const www = await kdig(server.port, ['www.example.test.', 'A', transport]);
    t.is(www.status, 'NOERROR');
    t.deepEqual(
      new Set(www.answer),
      new Set(['www.example.test. 60 IN A 192.0.2.10', 'www.example.test. 60 IN A 192.0.2.11']),
    );
    const referral = await kdig(server.port, ['host.sub.example.test.', 'A', transport]);
    t.false(referral.flags.has('aa'));
    t.deepEqual(referral.additional, ['ns1.sub.example.test. 3600 IN A 192.0.2.153']);
  }
  const big = await kdig(server.port, ['big.example.test.', 'TXT', '+tcp']);
  t.is(big.answer.length, 20);
});

test('a reply too large for UDP is truncated and complete over TCP', async (t) => {
  const udp = await dig(server.port, ['big.example.test.', 'TXT', '+ignore']);
  t.true(udp.flags.has('tc'));
  t.deepEqual(udp.answer, []);
  const plain = await dig(server.port, ['many.example.test.', 'A', '+noedns', '+ignore']);
  t.true(plain.flags.has('tc'), '40 A records exceed 512 bytes without EDNS');
  const edns = await dig(server.port, ['many.example.test.', 'A', '+bufsize=1232']);
  t.false(edns.flags.has('tc'), 'they fit the EDNS buffer');
  t.is(edns.answer.length, 40);
  const tcp = await dig(server.port, ['big.example.test.', 'TXT', '+tcp']);
  t.false(tcp.flags.has('tc'));
  t.is(tcp.answer.length, 20);
});

test("the question is echoed in the client's letter case; RD is copied; EDNS advertises 1232", async (t) => {
  const r = await dig(server.port, ['WwW.ExAmPlE.TeSt.', 'A', '+rec']);
  t.regex(r.raw, /;WwW\.ExAmPlE\.TeSt\.\s+IN\s+A/);
  t.is(r.answer.length, 2);
  t.true(r.flags.has('rd'));
  t.false(r.flags.has('ra'));
  t.regex(r.edns ?? '', /udp: 1232/);
});

test('EDNS version 1 gets BADVERS; NOTIFY gets NOTIMP; class CH gets REFUSED', async (t) => {
  const badvers = await dig(server.port, ['www.example.test.', 'A', '+edns=1', '+noednsneg']);
  t.is(badvers.status, 'BADVERS');
  t.deepEqual(badvers.answer, []);
  const notify = await dig(server.port, ['example.test.', 'SOA', '+opcode=notify']);
  t.is(notify.status, 'NOTIMP');
  const chaos = await dig(server.port, ['version.bind', 'TXT', 'CH']);
  t.is(chaos.status, 'REFUSED');
});

test('ECS is echoed with family, source prefix and address, scope 0 for a static answer', async (t) => {
  const v4 = await dig(server.port, ['www.example.test.', 'A', '+subnet=198.51.100.0/24']);
  t.is(v4.ecs, '198.51.100.0/24/0');
  const v6 = await dig(server.port, ['www.example.test.', 'A', '+subnet=2001:db8:1234:5600::/56']);
  t.is(v6.ecs, '2001:db8:1234:5600::/56/0');
  const none = await dig(server.port, ['www.example.test.', 'A']);
  t.is(none.ecs, undefined, 'no ECS in the reply when the query had none');
});

test('TCP: pipelined queries in one segment are all answered, in order', async (t) => {
  const conn = await tcpConnect(server.port);
  const names = [
    'www.example.test.',
    'nope.example.test.',
    'alias.example.test.',
    'sub.example.test.',
  ];
  conn.socket.write(Buffer.concat(names.map((n, i) => frame(buildQuery(n, 'A', { id: 100 + i })))));
  t.true(await waitFor(() => conn.replies.length === names.length, 3000));
  const decoded = conn.replies.map((r) => decodeMessage(r));
  t.deepEqual(
    decoded.map((m) => m.id),
    [100, 101, 102, 103],
  );
  t.deepEqual(
    decoded.map((m) => m.rcode),
    [0, 3, 0, 0],
  );
  t.deepEqual(
    decoded.map((m) => m.question[0]?.name),
    names,
  );
  conn.socket.destroy();
});

test('TCP: a frame split across segments is reassembled', async (t) => {
  const conn = await tcpConnect(server.port);
  const bytes = frame(buildQuery('www.example.test.', 'A', { id: 7 }));
  for (let i = 0; i < bytes.length; i += 5) {
    conn.socket.write(bytes.subarray(i, i + 5));
    await new Promise((r) => setTimeout(r, 2));
  }
  t.true(await waitFor(() => conn.replies.length === 1, 3000));
  t.is(decodeMessage(conn.replies[0]!).answer.length, 2);
  conn.socket.destroy();
});

test('TCP: idle and half-open connections are closed after the idle timeout', async (t) => {
  const s = await startTestServer({ 'example.test.yaml': STATIC_ZONE }, { tcpIdleTimeoutMs: 300 });
  try {
    const idle = await tcpConnect(s.port);
    const half = await tcpConnect(s.port);
    half.socket.write(Buffer.from([0, 100, 1, 2, 3])); // promises 100 bytes, sends 3
    const started = Date.now();
    await Promise.all([idle.closed, half.closed]);
    const elapsed = Date.now() - started;
    t.true(elapsed >= 250 && elapsed < 3000, `closed after ${elapsed} ms`);
  } finally {
    await s.close();
  }
});

test(
  'TCP: a full table closes its idlest connection for a newcomer; a source at its own cap gives up ' +
    'its idlest',
  async (t) => {
    const s = await startTestServer(
      { 'example.test.yaml': STATIC_ZONE },
      { tcpMaxConnections: 3, tcpIdleTimeoutMs: 10_000 },
    );
    try {
      const held = [];
      for (let i = 0; i < 3; i++) held.push(await tcpConnect(s.port));
      const active = held[1]!;
      active.socket.write(frame(buildQuery('www.example.test.', 'A')));
      t.true(await waitFor(() => active.replies.length === 1, 3000));
      const extra = await tcpConnect(s.port);
      extra.socket.write(frame(buildQuery('www.example.test.', 'A')));
      t.true(await waitFor(() => extra.replies.length === 1, 3000), 'the newcomer is answered');
      await held[0]!.closed; // the oldest idle one made room
      t.false(active.socket.destroyed, 'the one that asked something recently stays');
      active.socket.write(frame(buildQuery('www.example.test.', 'A', { id: 2 })));
      t.true(await waitFor(() => active.replies.length === 2, 3000));
      [...held, extra].forEach((h) => h.socket.destroy());
    } finally {
      await s.close();
    }
    const perClient = await startTestServer(
      { 'example.test.yaml': STATIC_ZONE },
      { tcpMaxConnections: 100, tcpMaxPerClient: 2, tcpIdleTimeoutMs: 10_000 },
    );
    try {
      const first = await tcpConnect(perClient.port);
      const second = await tcpConnect(perClient.port);
      const fromElsewhere = await tcpConnect(perClient.port, '127.0.0.1', '127.0.0.9');
      const third = await tcpConnect(perClient.port);
      third.socket.write(frame(buildQuery('www.example.test.', 'A')));
      t.true(await waitFor(() => third.replies.length === 1, 3000));
      await first.closed;
      t.false(second.socket.destroyed);
      t.false(fromElsewhere.socket.destroyed, 'another source keeps its connection');
      [second, third, fromElsewhere].forEach((h) => h.socket.destroy());
    } finally {
      await perClient.close();
    }
  },
);

test('every --dns-listen address serves UDP and TCP, IPv4 and IPv6 side by side', async (t) => {
  const s = await startTestServer(
    { 'example.test.yaml': STATIC_ZONE },
    {
      listen: [
        { host: '127.0.0.1', port: 0 },
        { host: '::1', port: 0 },
        { host: '127.0.0.2', port: 0 },
      ],
    },
  );
  try {
    t.is(s.app.dns.length, 3);
    for (const listener of s.app.dns) {
      for (const transport of ['+notcp', '+tcp']) {
        const r = await dig(listener.port, ['www.example.test.', 'A', transport], listener.host);
        t.is(r.answer.length, 2, `${listener.host}:${listener.port} ${transport}`);
      }
    }
  } finally {
    await s.close();
  }
});
