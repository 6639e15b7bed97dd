// The lookup table run in-process: resolve() against the static zone, records compared as zone-file text sets.
import test from 'ava';
import { formatRR, typeCode } from '../../src/core/index.ts';
import { NO_HEALTH, resolve, type Snapshot } from '../../src/resolve/index.ts';
import { chooserOf } from '../helpers/snapshot.ts';
import { loadZones } from '../../src/zone/index.ts';
import { LOOKUP_CASES } from '../helpers/cases.ts';
import { STATIC_ZONE } from '../helpers/zones.ts';

const loaded = loadZones([{ path: 'example.test.yaml', text: STATIC_ZONE }], { defaultSerial: 1 });
const snapshot: Snapshot = { zones: loaded.zoneSet!, geo: undefined, health: NO_HEALTH };
const client = { address: Uint8Array.from([127, 0, 0, 1]), prefix: 32 };
const chooser = chooserOf(1);

test('the static zone loads without diagnostics', (t) => {
  t.deepEqual(loaded.diagnostics, []);
});

for (const c of LOOKUP_CASES) {
  test(`resolve ${c.name} ${c.type} → ${c.kind}`, (t) => {
    const answer = resolve({ name: c.name, type: typeCode(c.type)! }, client, snapshot, chooser);
    t.is(answer.kind, c.kind);
    if (answer.kind === 'refused') return;
    t.deepEqual(new Set(answer.answer.map(formatRR)), new Set(c.answer ?? []), 'answer');
    t.deepEqual(new Set(answer.authority.map(formatRR)), new Set(c.authority ?? []), 'authority');
    t.deepEqual(
      new Set(answer.additional.map(formatRR)),
      new Set(c.additional ?? []),
      'additional',
    );
    t.is(answer.scopePrefix, 0, 'static answers do not depend on the client');
  });
}

test('a DS query at a child apex is answered by the parent zone when both are served', (t) => {
  const child =
    "'':\n  - {type: SOA, value: {mname: ns1.sub.example.test., rname: h.example.test., refresh: 1, " +
    'retry: 1, expire: 1, minimum: 1}}\n  - {type: NS, values: [ns1.sub.example.test.]}\nns1: {type: ' +
    'A, value: 192.0.2.153}\n';
  const both = loadZones(
    [
      { path: 'example.test.yaml', text: STATIC_ZONE },
      { path: 'sub.example.test.yaml', text: child },
    ],
    { defaultSerial: 1 },
  );
  t.deepEqual(both.diagnostics, []);
  const s: Snapshot = { zones: both.zoneSet!, geo: undefined, health: NO_HEALTH };
  const ds = resolve({ name: 'sub.example.test.', type: typeCode('DS')! }, client, s, chooser);
  t.is(ds.kind, 'answer');
  t.is(ds.kind === 'answer' ? ds.zone : '', 'example.test.');
  const a = resolve({ name: 'ns1.sub.example.test.', type: typeCode('A')! }, client, s, chooser);
  t.is(a.kind, 'answer', 'the child zone answers its own names');
});
