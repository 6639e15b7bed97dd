// Differential test: the same static zone served by gslb (YAML) and NSD (RFC 1035 file) must answer alike.
import test from 'ava';
import { type DigReply, dig } from '../helpers/dig.ts';
import { LOOKUP_CASES } from '../helpers/cases.ts';
import { type Nsd, startNsd } from '../helpers/nsd.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STATIC_ZONE, STATIC_ZONE_RFC1035 } from '../helpers/zones.ts';

let gslb: TestServer;
let nsd: Nsd;

test.before(async () => {
  gslb = await startTestServer({ 'example.test.yaml': STATIC_ZONE });
  nsd = await startNsd({ 'example.test': STATIC_ZONE_RFC1035 });
});

test.after.always(async () => {
  await gslb?.close();
  await nsd?.stop();
});

interface DiffQuery {
  readonly args: readonly string[];
}

const queries: DiffQuery[] = [
  ...LOOKUP_CASES.map((c) => ({ args: [c.name, c.type, ...(c.large ? ['+tcp'] : [])] })),
  // ANY is answered minimally by both (RFC 8482): one RRset, the SOA at the apex.
  { args: ['example.test.', 'ANY', '+tcp'] },
  // Letter case of the question is echoed; lookups ignore it.
  { args: ['WwW.ExAmPlE.TeSt.', 'A'] },
  { args: ['FOO.Wild.example.test.', 'A'] },
  // Truncation: no EDNS (512 bytes), EDNS with small and large buffers, and TCP.
  { args: ['many.example.test.', 'A', '+noedns', '+ignore'] },
  { args: ['many.example.test.', 'A', '+bufsize=512', '+ignore'] },
  { args: ['many.example.test.', 'A', '+bufsize=1232'] },
  { args: ['big.example.test.', 'TXT', '+bufsize=1232', '+ignore'] },
  { args: ['big.example.test.', 'TXT', '+bufsize=4096', '+ignore'] },
  { args: ['big.example.test.', 'TXT', '+noedns', '+ignore'] },
  { args: ['many.example.test.', 'A', '+noedns', '+tcp'] },
  { args: ['sub.example.test.', 'A', '+noedns'] },
  { args: ['nope.example.test.', 'AAAA', '+tcp'] },
];

function differences(ours: DigReply, theirs: DigReply): string[] {
  const out: string[] = [];
  if (ours.status !== theirs.status) out.push(`rcode ${ours.status} vs ${theirs.status}`);
  for (const flag of ['aa', 'tc']) {
    if (ours.flags.has(flag) !== theirs.flags.has(flag))
      out.push(`${flag} ${ours.flags.has(flag)} vs ${theirs.flags.has(flag)}`);
  }
  for (const section of ['answer', 'authority', 'additional'] as const) {
    const a = new Set(ours[section]);
    const b = new Set(theirs[section]);
    const missing = [...b].filter((r) => !a.has(r));
    const extra = [...a].filter((r) => !b.has(r));
    if (extra.length > 0) out.push(`${section}: gslb has ${extra.join(' | ')}`);
    if (missing.length > 0) out.push(`${section}: nsd has ${missing.join(' | ')}`);
  }
  return out;
}

test(`gslb and NSD agree on ${queries.length} queries`, async (t) => {
  t.true(queries.length >= 40);
  const failures: string[] = [];
  for (const q of queries) {
    const [ours, theirs] = await Promise.all([dig(gslb.port, q.args), dig(nsd.port, q.args)]);
    const diff = differences(ours, theirs);
    if (diff.length > 0) failures.push(`${q.args.join(' ')}: ${diff.join('; ')}`);
  }
  t.deepEqual(failures, []);
});
