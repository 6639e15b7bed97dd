// Writes a dnsperf binary query file (`dnsperf -B`: each message preceded by its 16-bit length) of A queries for one
// name, each carrying an EDNS Client Subnet /24 from a different client subnet: every /24 of the sample GeoIP places
// (127.x.0.0/16, 14 places) and of 100.64.0.0/16 (in no database: the catch-all rule), 3,840 subnets in a seeded
// shuffled order, so answers cannot come from a cache keyed by one subnet.
// Usage: node --import=tsx bench/ecs-queries.ts NAME OUTFILE
import { writeFileSync } from 'node:fs';
import { ecsQuery } from './query.ts';

const [given, out] = process.argv.slice(2);
const name = given?.endsWith('.') ? given : `${given}.`;
if (!given || !out) {
  console.error('usage: ecs-queries.ts NAME OUTFILE');
  process.exit(2);
}
const places = [1, 2, 3, 4, 5, 10, 11, 12, 20, 21, 22, 30, 40, 50];
const subnets: [number, number, number][] = [];
for (const b of places) for (let c = 0; c < 256; c++) subnets.push([127, b, c]);
for (let c = 0; c < 256; c++) subnets.push([100, 64, c]);
let seed = 0x9e3779b9;
const random = (): number =>
  (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
for (let i = subnets.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [subnets[i], subnets[j]] = [subnets[j]!, subnets[i]!];
}
const chunks: Buffer[] = [];
for (const [a, b, c] of subnets)
  chunks.push(...ecsQuery(name, 1, 24, new Uint8Array([a, b, c, 0])));
writeFileSync(out, Buffer.concat(chunks));
console.log(
  `${subnets.length} queries for ${name} (${new Set(subnets.map((s) => s.join('.'))).size} distinct /24 subnets) -> ${out}`,
);
