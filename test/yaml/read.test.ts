// The two YAML readers give the same tree: kinds, values and positions, for every YAML file in the repository and for
// constructs the fast one must decline (so the yaml package reads them); the entry-by-entry path agrees too.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadZones } from '../../src/zone/index.ts';
import { type Collector, parseYaml, readYamlMapping, type YamlNode } from '../../src/yaml/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIRS = [
  'zones',
  'geoip',
  'bench/zones',
  'bench/zones-peers',
  'test/fixtures/bad-zones',
  'test/fixtures/static',
  'test/fixtures/octodns',
];
const FILES = DIRS.flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => join(d, n)),
);

/** Every node as "path kind value @line:col". */
function flatten(
  node: YamlNode | undefined,
  c: Collector,
  path = '',
  out: string[] = [],
): string[] {
  if (!node) {
    out.push(`${path} none`);
    return out;
  }
  const p = c.at(node);
  out.push(
    `${path} ${node.kind} ${node.kind === 'scalar' ? JSON.stringify(node.value) : ''} @${p.line}:${p.col}`,
  );
  if (node.kind === 'map')
    node.items.forEach(
      (pair, i) => (
        flatten(pair.key, c, `${path}/k${i}`, out),
        flatten(pair.value, c, `${path}/v${i}`, out)
      ),
    );
  if (node.kind === 'seq') node.items.forEach((item, i) => flatten(item, c, `${path}/${i}`, out));
  return out;
}

test('js-yaml and the yaml package read every YAML file here to the same tree, positions included', (t) => {
  t.true(FILES.length > 50);
  let fast = 0;
  for (const file of FILES) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const a = parseYaml(text, file);
    const b = parseYaml(text, file, 'yaml');
    t.is(b.reader, 'yaml');
    if (a.reader === 'yaml') continue;
    fast++;
    t.deepEqual(flatten(a.root, a.collector), flatten(b.root, b.collector), file);
  }
  t.true(fast >= FILES.length - 2, `the fast reader read ${fast} of ${FILES.length} files`);
});

const CASES: [string, 'fast' | 'yaml'][] = [
  ['a: 1\nb:\n  - x\n  - {c: 2, d: [3, 4]}\ne:\n', 'fast'],
  [
    "'': {type: SOA}\n# comment\nwww:\n  # another\n  type: A\n  values: [192.0.2.1, 192.0.2.2]\n",
    'fast',
  ],
  [
    "x: |\n  text\n  more\ny: 2024-01-01\nz: 0x1f\nw: yes\nv: ~\nu: \"\\u00e9\"\nt: 'it''s'\n",
    'fast',
  ],
  ['1: one\n2: two\n"3": three\n', 'fast'],
  ['a: 1\na: 2\n', 'fast'], // a repeated key: both pairs, reported later with their positions
  ['a: {d}\n', 'yaml'], // a key without a value
  ['a: [b: 1, c]\n', 'yaml'], // a pair inside a flow sequence
  ['a: &x {b: 1}\nc: *x\n', 'yaml'], // an alias
  ['? [k]\n: v\n', 'yaml'], // a complex key
  ['a: 1\n---\nb: 2\n', 'yaml'], // two documents
  ['a: [1,\n', 'yaml'], // a syntax error: reported by the yaml package
];

test('constructs the fast reader vouches for, and the ones it leaves to the yaml package', (t) => {
  for (const [text, reader] of CASES) {
    const a = parseYaml(text, 'case.yaml');
    t.is(a.reader, reader, JSON.stringify(text));
    const b = parseYaml(text, 'case.yaml', 'yaml');
    t.deepEqual(flatten(a.root, a.collector), flatten(b.root, b.collector), JSON.stringify(text));
    t.deepEqual(a.collector.diagnostics, b.collector.diagnostics);
  }
});

/** The top-level pairs and collector that readYamlMapping hands over, flattened. */
function entriesOf(text: string): { lines: string[]; runs: number } {
  let runs = 0;
  const g = readYamlMapping(text, 'case.yaml', function* (c, _root, entries) {
    runs++;
    const lines: string[] = [];
    for (const { pair } of entries ?? []) {
      yield;
      flatten(pair?.key, c, 'k', lines);
      flatten(pair?.value, c, 'v', lines);
    }
    return lines;
  });
  for (;;) {
    const r = g.next();
    if (r.done) return { lines: r.value, runs };
  }
}

test(
  'entry by entry: the same pairs and positions as the whole file; an entry that cannot stand alone ' +
    'starts over whole',
  (t) => {
    for (const file of [
      'zones/example.com.yaml',
      'bench/zones/example.test.yaml',
      'test/fixtures/static/example.test.yaml',
    ]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const whole = parseYaml(text, file, 'yaml');
      const expected =
        whole.root?.kind === 'map'
          ? whole.root.items.flatMap((p) => [
              ...flatten(p.key, whole.collector, 'k'),
              ...flatten(p.value, whole.collector, 'v'),
            ])
          : [];
      const chunked = entriesOf(text);
      t.deepEqual(chunked.lines, expected, file);
      t.is(chunked.runs, 1, `${file}: read entry by entry`);
    }
    // The alias refers to an earlier entry: entry by entry fails there, and the whole file is read instead.
    const aliased = entriesOf('a: &x {b: 1}\nc: 2\nd: *x\n');
    t.is(aliased.runs, 2);
    t.true(aliased.lines.some((l) => l.startsWith('v map') || l.startsWith('v alias')));
  },
);

test(
  'a generated zone of 3,000 records loads entry by entry; a broken record far down is reported at ' +
    'its own line',
  (t) => {
    const lines = [
      "'':",
      '  - {type: SOA, value: {mname: ns1.gen.test., rname: h.gen.test., refresh: 1, retry: 1, expire: 1, ' +
        'minimum: 60}}',
      '  - {type: NS, values: [ns1.gen.test.]}',
      'ns1: {type: A, value: 192.0.2.53}',
    ];
    for (let i = 0; i < 3000; i++)
      lines.push(`h${i}: {type: A, ttl: ${60 + (i % 7)}, value: 10.0.${i >> 8}.${i & 255}}`);
    const text = `${lines.join('\n')}\n`;
    const fast = loadZones([{ path: 'gen.test.yaml', text }], { defaultSerial: 1 });
    t.deepEqual(fast.diagnostics, []);
    const zone = fast.zoneSet!.zones.get('gen.test.')!;
    t.is(zone.nodes.size, 3001 + 1);
    t.is(zone.nodes.get('h2999.gen.test.')!.rrsets.get(1)!.records[0]!.ttl, 60 + (2999 % 7));
    // A broken record far down the file is reported at its line, entry by entry as in the whole file.
    const broken = text.replace(
      'h2500: {type: A, ttl: 61, value: 10.0.9.196}',
      'h2500: {type: A, ttl: 61, value: 10.0.9.300}',
    );
    t.not(broken, text);
    const r = loadZones([{ path: 'gen.test.yaml', text: broken }], { defaultSerial: 1 });
    t.is(r.zoneSet, undefined);
    t.is(r.diagnostics.length, 1);
    t.is(r.diagnostics[0]!.line, 2505);
  },
);
