// Writes a large zone for the scale benchmark (bench/scale.sh): RECORDS records in all, DYNAMIC of them dynamic
// (two pools with a fallback, a geo rule), the rest static A records. Deterministic: the same arguments, the same file.
// Usage: node --import=tsx bench/big-zone.ts OUTFILE [RECORDS=100000] [DYNAMIC=10000] [ORIGIN=big.test]
import { createWriteStream } from 'node:fs';

const [out, recordsText = '100000', dynamicText = '10000', origin = 'big.test'] =
  process.argv.slice(2);
if (!out) {
  console.error('usage: big-zone.ts OUTFILE [RECORDS] [DYNAMIC] [ORIGIN]');
  process.exit(2);
}
const records = Number(recordsText);
const dynamic = Number(dynamicText);
const file = createWriteStream(out);
const lines: string[] = [
  "'':",
  `  - {type: SOA, value: {mname: ns1.${origin}., rname: h.${origin}., refresh: 3600, retry: 600, expire: 604800, minimum: 60}}`,
  `  - {type: NS, values: [ns1.${origin}.]}`,
  'ns1: {type: A, value: 192.0.2.53}',
];
const two = (i: number): string => `${(i >> 8) & 255}.${i & 255}`;
const three = (i: number): string => `${(i >> 16) & 255}.${two(i)}`;
for (let i = 0; i < records - dynamic; i++) lines.push(`h${i}: {type: A, value: 10.${three(i)}}`);
for (let i = 0; i < dynamic; i++) {
  lines.push(
    `d${i}:`,
    '  type: A',
    `  values: [172.16.${two(i)}]`,
    '  dynamic:',
    '    pools:',
    `      eu: {fallback: na, values: [{value: 172.17.${two(i)}, weight: 2}, {value: 172.18.${two(i)}}]}`,
    `      na: {values: [{value: 172.19.${two(i)}}]}`,
    '    rules:',
    '      - {geos: [EU], pool: eu}',
    '      - {pool: na}',
  );
}
file.end(`${lines.join('\n')}\n`);
file.on('finish', () =>
  console.log(`${records} records (${dynamic} dynamic) in ${origin} -> ${out}`),
);
