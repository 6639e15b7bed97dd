// Writes dnsperf binary query files (`dnsperf -B`) of A queries for one name with EDNS Client Subnet from real client
// diversity: IPv4 /24s drawn (seeded) from routable unicast space, and IPv6 /48s inside networks GeoLite2-City has.
// Usage: node --import=tsx bench/real-ecs.ts NAME OUT4 OUT6 [N4=20000] [N6=2000]
import { paths } from 'geolite2';
import { readFileSync, writeFileSync } from 'node:fs';
import { openMmdb } from '../src/geo/index.ts';
import { ecsQuery } from './query.ts';

const [given, out4, out6, n4 = '20000', n6 = '2000'] = process.argv.slice(2);
if (!given || !out4 || !out6) {
  console.error('usage: real-ecs.ts NAME OUT4 OUT6 [N4] [N6]');
  process.exit(2);
}
const name = given.endsWith('.') ? given : `${given}.`;
let seed = 0x2545f491;
const random = (): number =>
  (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;

// Not routable unicast: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, 224/3 and above.
const unroutable = (a: number, b: number): boolean =>
  a === 0 ||
  a === 10 ||
  a === 127 ||
  a >= 224 ||
  (a === 100 && b >= 64 && b < 128) ||
  (a === 169 && b === 254) ||
  (a === 172 && b >= 16 && b < 32) ||
  (a === 192 && b === 168);
const v4 = new Set<number>();
while (v4.size < Number(n4)) {
  const x = Math.floor(random() * 2 ** 24);
  if (!unroutable(x >>> 16, (x >>> 8) & 255)) v4.add(x);
}

const city = openMmdb('city', readFileSync(paths.city!));
if (!city.ok) throw new Error(city.error);
const tree = city.value.tree;
const v6 = new Map<string, Uint8Array>();
while (v6.size < Number(n6)) {
  const bytes = new Uint8Array(16);
  let node = tree.root;
  for (let depth = 0; depth < 48; depth++) {
    let bit = random() < 0.5 ? 0 : 1;
    if (node < tree.nodeCount && tree.child(node, bit) === tree.nodeCount) bit ^= 1;
    if (node < tree.nodeCount) node = tree.child(node, bit);
    if (bit) bytes[depth >> 3]! |= 0x80 >> (depth & 7);
  }
  if (node !== tree.nodeCount && bytes[0]! >= 0x20 && bytes[0]! < 0x40)
    v6.set(bytes.join(','), bytes);
}

writeFileSync(
  out4,
  Buffer.concat(
    [...v4].flatMap((x) =>
      ecsQuery(name, 1, 24, new Uint8Array([x >>> 16, (x >>> 8) & 255, x & 255, 0])),
    ),
  ),
);
writeFileSync(out6, Buffer.concat([...v6.values()].flatMap((b) => ecsQuery(name, 2, 48, b))));
console.log(`${v4.size} IPv4 /24s -> ${out4}; ${v6.size} IPv6 /48s -> ${out6}`);
