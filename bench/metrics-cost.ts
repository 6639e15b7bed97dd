// How much counting metrics adds to the query path: respond() alone vs respond() plus the counters the server bumps.
// Run: node --import=tsx bench/metrics-cost.ts   (in-process, no sockets; alternating rounds cancel drift)
import { readFileSync } from 'node:fs';
import { loadGeoDatabase } from '../src/geo/index.ts';
import { Metrics } from '../src/metrics/index.ts';
import { Responder } from '../src/query/index.ts';
import { cachingSnapshot, NO_HEALTH, type Snapshot } from '../src/resolve/index.ts';
import { loadZones } from '../src/zone/index.ts';
import { aQuery } from './query.ts';

const zones = loadZones(
  [
    {
      path: 'example.com.yaml',
      text: readFileSync(new URL('../zones/example.com.yaml', import.meta.url), 'utf8'),
    },
  ],
  { defaultSerial: 1 },
).zoneSet!;
const geo = loadGeoDatabase({
  networks: undefined,
  databases: ['sample-City.mmdb', 'sample-ASN.mmdb'].map((n) => ({
    path: n,
    bytes: readFileSync(new URL(`../geoip/${n}`, import.meta.url)),
  })),
}).geo;
const snapshot: Snapshot = cachingSnapshot({ zones, geo, health: NO_HEALTH });
const chooser = { random: Math.random, next: () => 0 };
const responder = new Responder(chooser); // as the server answers: with a reply cache for the snapshot
const metrics = new Metrics(
  { membersUp: () => [], serials: () => [] },
  { types: new Map([[1, 'A']]), rcode: String, record: String },
);
const workloads = { static: aQuery('www.example.com.'), dynamic: aQuery('app.example.com.') };
const N = 200_000;

function round(packet: Buffer, counting: boolean): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const out = responder.respond(
      packet,
      { transport: 'udp', remoteAddress: '127.10.0.1' },
      snapshot,
    );
    if (!counting) continue;
    // The same calls as count() in src/app/metrics.ts.
    metrics.query(out.zone ?? 'other', out.qtype ?? 0, out.rcode, false, out.ecs);
    const d = out.dynamic;
    if (d) metrics.answer(out.zone ?? 'other', d.record, d.answeredBy, d.degraded);
  }
  return Number(process.hrtime.bigint() - start) / N; // ns per query
}

for (const [name, packet] of Object.entries(workloads)) {
  round(packet, true);
  const plain: number[] = [];
  const counted: number[] = [];
  for (let r = 0; r < 6; r++) {
    plain.push(round(packet, false));
    counted.push(round(packet, true));
  }
  const median = (xs: number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [p, c] = [median(plain), median(counted)];
  console.log(
    `${name.padEnd(8)} respond ${(p / 1000).toFixed(2)} µs/query, with counting ${(c / 1000).toFixed(2)} µs/query: ${c >= p ? '+' : ''}${(((c - p) / p) * 100).toFixed(1)} %`,
  );
}
