// The query path without sockets: microseconds per respond() call (parse, decide, encode or patch a cached reply),
// with the benchmark zone, the sample GeoIP data and a reply cache as the server has. For profiling the pure part
// of a query; what a client sees is what `npm run bench` measures.
// Run from the repository root: node --import=tsx bench/respond-cost.ts   (add --cpu-prof to profile)
import { readFileSync } from 'node:fs';
import { loadGeoDatabase } from '../src/geo/index.ts';
import { Responder } from '../src/query/index.ts';
import { cachingSnapshot, DecisionTrees, NO_HEALTH, type Snapshot } from '../src/resolve/index.ts';
import { loadZones } from '../src/zone/index.ts';
import { aQuery, ecsOption } from './query.ts';

const zoneText = readFileSync('bench/zones/example.test.yaml', 'utf8');
const zones = loadZones([{ path: 'example.test.yaml', text: zoneText }], {
  defaultSerial: 1,
}).zoneSet!;
const geo = loadGeoDatabase({
  networks: undefined,
  databases: ['sample-City.mmdb', 'sample-ASN.mmdb'].map((n) => ({
    path: n,
    bytes: readFileSync(`geoip/${n}`),
  })),
}).geo;
const chooser = {
  random: Math.random,
  next: (() => {
    let n = 0;
    return () => n++;
  })(),
};

const query = (name: string, subnet?: [number, number, number]): Buffer =>
  aQuery(name, subnet ? [ecsOption(1, 24, new Uint8Array([...subnet, 0]))] : []);
const subnets: [number, number, number][] = [];
for (const b of [1, 2, 3, 4, 5, 10, 11, 12, 20, 21, 22, 30, 40, 50])
  for (let c = 0; c < 256; c++) subnets.push([127, b, c]);
const workloads: Record<string, Buffer[]> = {
  static: [query('static.example.test.')],
  weighted: [query('www.example.test.')],
  'geo-one-ecs': [query('geo.example.test.', [127, 1, 0])],
  'geo-3584-ecs': subnets.map((s) => query('geo.example.test.', s)),
  'weighted-3584-ecs': subnets.map((s) => query('www.example.test.', s)),
  nxdomain: Array.from({ length: 1000 }, (_, i) => query(`nope-${i}.example.test.`)),
};
const N = 300_000;
const ctx = { transport: 'udp', remoteAddress: '127.0.0.1' } as const;

function round(packets: Buffer[], snapshot: Snapshot, responder: Responder): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) responder.respond(packets[i % packets.length]!, ctx, snapshot);
  return Number(process.hrtime.bigint() - start) / N;
}

const only = process.argv[2]; // one workload by name (for profiling)
for (const [name, packets] of Object.entries(workloads)) {
  if (only && name !== only) continue;
  const trees = new DecisionTrees(geo, process.env['PER_CLIENT'] === undefined);
  await trees.prepare(zones, () => Promise.resolve());
  const snapshot: Snapshot = cachingSnapshot({ zones, geo, health: NO_HEALTH, trees });
  const responder = new Responder(chooser); // as the server answers: with a reply cache for the snapshot
  round(packets, snapshot, responder);
  const times = Array.from({ length: 5 }, () => round(packets, snapshot, responder)).sort(
    (a, b) => a - b,
  );
  console.log(`${name.padEnd(13)} ${(times[2]! / 1000).toFixed(3)} µs/query`);
}

// `real`: the zone of bench:real on GeoLite2-City (npm package geolite2) with its rules compiled, as the server
// serves it, and ECS from 20,000 IPv4 /24s and 2,000 IPv6 /48s (files written by bench/real-ecs.ts).
if (only === 'real') {
  const { paths } = await import('geolite2');
  const { execFileSync } = await import('node:child_process');
  const real = loadZones(
    [{ path: 'real.test.yaml', text: readFileSync('bench/zones-real/real.test.yaml', 'utf8') }],
    { defaultSerial: 1 },
  ).zoneSet!;
  const city = loadGeoDatabase({
    networks: undefined,
    databases: [{ path: paths.city!, bytes: readFileSync(paths.city!) }],
  }).geo;
  const trees = new DecisionTrees(city);
  await trees.prepare(real, () => Promise.resolve());
  execFileSync(process.execPath, [
    '--import=tsx',
    'bench/real-ecs.ts',
    'geo.real.test',
    '/tmp/gslb-rc4.bin',
    '/tmp/gslb-rc6.bin',
  ]);
  const split = (file: string): Buffer[] => {
    const b = readFileSync(file);
    const out: Buffer[] = [];
    for (let at = 0; at < b.length; at += 2 + b.readUInt16BE(at))
      out.push(b.subarray(at + 2, at + 2 + b.readUInt16BE(at)));
    return out;
  };
  for (const [name, packets] of [
    ['real-v4', split('/tmp/gslb-rc4.bin')],
    ['real-v6', split('/tmp/gslb-rc6.bin')],
  ] as const) {
    const snapshot = cachingSnapshot({ zones: real, geo: city, health: NO_HEALTH, trees });
    const responder = new Responder(chooser);
    round(packets, snapshot, responder);
    const times = Array.from({ length: 5 }, () => round(packets, snapshot, responder)).sort(
      (a, b) => a - b,
    );
    console.log(`${name.padEnd(13)} ${(times[2]! / 1000).toFixed(3)} µs/query`);
  }
}
