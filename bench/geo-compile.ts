// Compiling decision trees over the real GeoLite2 databases (npm package geolite2): time, nodes, memory, and a spot
// check of every answer against the rules evaluated on looked-up facts. Run: node --import=tsx bench/geo-compile.ts
import { readFileSync } from 'node:fs';
import { paths } from 'geolite2';
import { type Cidr, parseCidr } from '../src/core/index.ts';
import { loadGeoDatabase } from '../src/geo/index.ts';
import { compileRules } from '../src/resolve/tree.ts';
import { matchRule } from '../src/resolve/rules.ts';
import type { Rule } from '../src/zone/index.ts';

const mb = () => Math.round(process.memoryUsage().rss / 1e6);
const rss0 = mb();
let t = performance.now();
const { geo } = loadGeoDatabase({
  networks: undefined,
  databases: [paths.city!, paths.asn!].map((path) => ({ path, bytes: readFileSync(path) })),
});
console.log(`open: ${Math.round(performance.now() - t)} ms, RSS ${rss0} → ${mb()} MB`);

const rule = (index: number, pool: string, over: Partial<Rule>): Rule => ({
  index,
  pool,
  geos: [],
  subnets: [],
  asns: [],
  isps: [],
  ...over,
});
function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c.ok) throw new Error(c.error);
  return c.value;
}
const sets: Record<string, Rule[]> = {
  continents: [
    rule(0, 'eu', { geos: ['EU'] }),
    rule(1, 'na', { geos: ['NA'] }),
    rule(2, 'as', { geos: ['AS'] }),
  ],
  countries: [
    rule(0, 'de', { geos: ['EU-DE'] }),
    rule(1, 'us-ca', { geos: ['NA-US-CA'] }),
    rule(2, 'na', { geos: ['NA'] }),
  ],
  'asn+subnet': [
    rule(0, 'office', { subnets: [{ text: '203.0.113.0/24', cidr: cidr('203.0.113.0/24') }] }),
    rule(1, 'isp', { geos: ['EU'], asns: [3320, 3209] }),
    rule(2, 'eu', { geos: ['EU'] }),
  ],
};
for (const [name, rules] of Object.entries(sets)) {
  t = performance.now();
  let pauses = 0;
  const tree = await compileRules(rules, geo, () => Promise.resolve(void pauses++));
  const ms = Math.round(performance.now() - t);
  let wrong = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const a = i % 10 === 0 ? new Uint8Array(16) : new Uint8Array(4);
    for (let j = 0; j < (a.length === 16 ? 6 : 4); j++) a[j] = (Math.random() * 256) | 0;
    if (a.length === 16) a[0] = 0x20 + (a[0]! & 1);
    const found = tree.find(a);
    const want = rules.find((r) => matchRule(r, a, () => geo.lookup(a)).matched)?.pool;
    if (tree.outcomes[Math.floor(found / 256)] !== want) wrong++;
  }
  console.log(
    `${name}: ${ms} ms, ${pauses} slices, ${tree.size} nodes, RSS ${mb()} MB; ${wrong} of ${n} differ`,
  );
}
