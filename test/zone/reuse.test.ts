// A reload takes unchanged entries from the zones in service: the same RRset and node objects, no parse; changed
// entries are parsed, and problems are still reported at the right lines, wherever the entries moved.
import test from 'ava';
import { formatDiagnostic } from '../../src/core/index.ts';
import { loadZones, type ZoneSet } from '../../src/zone/index.ts';

const HEAD = `'':
  - {type: SOA, value: {mname: ns1.reuse.test., rname: h.reuse.test., serial: 7, \
refresh: 1, retry: 1, expire: 1, minimum: 60}}
  - {type: NS, values: [ns1.reuse.test.]}
ns1: {type: A, value: 192.0.2.53}
`;
const BODY = `www: {type: A, value: 192.0.2.1}
mail:
  - {type: A, value: 192.0.2.2}
  - {type: MX, value: {preference: 10, exchange: mail.reuse.test.}}
app:
  type: A
  values: [192.0.2.10]
  dynamic:
    pools:
      one: {values: [{value: 192.0.2.11, weight: 2}, {value: 192.0.2.12}]}
    rules: [{pool: one}]
`;

function load(
  text: string,
  previous?: ZoneSet,
): { zones: ZoneSet | undefined; problems: string[] } {
  const r = loadZones([{ path: 'reuse.test.yaml', text }], {
    defaultSerial: 1,
    ...(previous ? { previous } : {}),
  });
  return { zones: r.zoneSet, problems: r.diagnostics.map(formatDiagnostic) };
}

const rrset = (z: ZoneSet, name: string, type = 1) =>
  z.zones.get('reuse.test.')!.nodes.get(`${name}.reuse.test.`)?.rrsets.get(type);
const node = (z: ZoneSet, name: string) =>
  z.zones.get('reuse.test.')!.nodes.get(`${name}.reuse.test.`);

test('unchanged entries keep their objects; a changed one is new; the result equals a load from scratch', (t) => {
  const first = load(HEAD + BODY).zones!;
  const text =
    HEAD + BODY.replace('www: {type: A, value: 192.0.2.1}', 'www: {type: A, value: 192.0.2.9}');
  const second = load(text, first).zones!;
  t.is(rrset(second, 'mail'), rrset(first, 'mail'));
  t.is(rrset(second, 'mail', 15), rrset(first, 'mail', 15));
  t.is(node(second, 'mail'), node(first, 'mail'), 'the node itself');
  t.is(rrset(second, 'app'), rrset(first, 'app'));
  t.is(rrset(second, 'app')!.dynamic, rrset(first, 'app')!.dynamic);
  t.not(rrset(second, 'www'), rrset(first, 'www'));
  t.deepEqual(rrset(second, 'www')!.records[0]!.data, { type: 'A', address: '192.0.2.9' });
  const scratch = load(text).zones!;
  const shape = (z: ZoneSet) =>
    [...z.zones.get('reuse.test.')!.nodes.values()].map((n) => [
      n.name,
      [...n.rrsets.values()].map((r) => JSON.stringify(r)),
    ]);
  t.deepEqual(shape(second), shape(scratch));
});

test('entries that moved are still taken as they are; a new problem is reported at its own line', (t) => {
  const first = load(HEAD + BODY).zones!;
  // Three lines inserted above everything else, and a record whose name clashes with a known one (names are
  // case-insensitive): the clash is reported at the entry that comes second, on the line it is on now.
  const moved =
    `${HEAD}# a comment\n# and another\nnew: {type: A, value: 192.0.2.3}\n${BODY}WWW: {type: ` +
    `A, value: 192.0.2.4}\n`;
  const r = load(moved, first);
  t.is(r.zones, undefined);
  const line = moved.split('\n').indexOf('WWW: {type: A, value: 192.0.2.4}') + 1;
  t.deepEqual(r.problems, [
    `reuse.test.yaml:${line}:1: DUPLICATE_RECORD: www.reuse.test. appears twice (names are case-insensitive)`,
  ]);
  // Fixed: the moved entries are the in-service objects still.
  const fixed = load(moved.replace('WWW: {type: A, value: 192.0.2.4}\n', ''), first).zones!;
  t.is(rrset(fixed, 'mail'), rrset(first, 'mail'));
  t.truthy(rrset(fixed, 'new'));
});

test('a known entry that now takes part in a zone-level problem is reported at its key', (t) => {
  const first = load(`${HEAD}x.sub: {type: TXT, value: hello}\n`);
  t.deepEqual(first.problems, []);
  // A delegation added above the known entry makes its TXT occluded: reported at the entry's key (line 5), where a
  // fresh load reports at the record's type.
  const text = `${HEAD}x.sub: {type: TXT, value: hello}\nsub: {type: NS, values: [ns.elsewhere.test.]}\n`;
  t.deepEqual(load(text, first.zones).problems, [
    'reuse.test.yaml:5:1: OCCLUDED_DATA: warning: TXT at x.sub.reuse.test. is at or below the delegation ' +
      'sub.reuse.test. and is never served',
  ]);
  t.deepEqual(load(text).problems, [
    'reuse.test.yaml:5:15: OCCLUDED_DATA: warning: TXT at x.sub.reuse.test. is at or below the ' +
      'delegation sub.reuse.test. and is never served',
  ]);
});

test('an entry whose text changed but whose records did not (comments) still shares the RRsets', (t) => {
  const first = load(HEAD + BODY).zones!;
  const text =
    HEAD +
    BODY.replace(
      '  values: [192.0.2.10]\n',
      '  # the default when no rule matches\n  values: [192.0.2.10]\n',
    ).replace('mail:\n', 'mail: # two records\n');
  const second = load(text, first).zones!;
  t.is(rrset(second, 'app'), rrset(first, 'app'));
  t.is(rrset(second, 'mail', 15), rrset(first, 'mail', 15));
});
