// What rate limiting and cookies add to the query path, in-process (no sockets, alternating rounds cancel drift):
// respond() alone, respond() with the limiter's bookkeeping (a loopback source is exempt but counted, as in the
// server by default), and respond() for queries with a client cookie and with a valid server cookie.
// Run from the repository root: node --import=tsx bench/rrl-cost.ts
import { readFileSync } from 'node:fs';
import { parseCidr } from '../src/core/index.ts';
import { CookieSecret, type EdnsOption } from '../src/dns/index.ts';
import { loadGeoDatabase } from '../src/geo/index.ts';
import { Responder, type RespondOptions } from '../src/query/index.ts';
import { cachingSnapshot, NO_HEALTH, type Snapshot } from '../src/resolve/index.ts';
import { RateLimiter } from '../src/rrl/index.ts';
import { loadZones } from '../src/zone/index.ts';
import { aQuery, ecsOption } from './query.ts';

const zones = loadZones(
  [{ path: 'example.test.yaml', text: readFileSync('bench/zones/example.test.yaml', 'utf8') }],
  { defaultSerial: 1 },
).zoneSet!;
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
const secret = new CookieSecret(Buffer.alloc(16, 7));
const options: RespondOptions = {
  cookies: { secret, require: false },
  identity: { nsid: undefined, version: undefined },
};
const limiter = new RateLimiter({
  responsesPerSecond: 200,
  slip: 2,
  windowSeconds: 15,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  exempt: [parseCidr('127.0.0.0/8')].flatMap((c) => (c.ok ? [c.value] : [])),
});

const query = aQuery;
const ecs = (b: number, c: number): EdnsOption => ecsOption(1, 24, new Uint8Array([127, b, c, 0]));
const client = Buffer.from('0102030405060708', 'hex');
const server = new Uint8Array(16);
secret.write(server, 0, client, new Uint8Array([127, 0, 0, 1]), Math.floor(Date.now() / 1000));
const subnets = [1, 2, 3, 4, 5, 10, 11, 12, 20, 21, 22, 30, 40, 50].flatMap((b) =>
  Array.from({ length: 256 }, (_, c) => ecs(b, c)),
);
const workloads: Record<string, Buffer[]> = {
  static: [query('static.example.test.', [])],
  'geo-3584-ecs': subnets.map((o) => query('geo.example.test.', [o])),
  'static+client-cookie': [query('static.example.test.', [{ code: 10, data: client }])],
  'static+valid-cookie': [
    query('static.example.test.', [{ code: 10, data: Buffer.concat([client, server]) }]),
  ],
};
const N = 300_000;
const clock = { seconds: Math.floor(Date.now() / 1000) }; // the server's clock, kept by a timer
const ctx = { transport: 'udp', remoteAddress: '127.0.0.1' } as const;

const responder = new Responder(chooser, options); // as the server answers: with a reply cache for the snapshot

function round(packets: Buffer[], snapshot: Snapshot, limit: boolean): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const out = responder.respond(packets[i % packets.length]!, ctx, snapshot);
    if (limit && out.cookie?.status !== 'valid')
      limiter.check(ctx.remoteAddress, out.responseClass, clock.seconds);
  }
  return Number(process.hrtime.bigint() - start) / N;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(
  Array.from({ length: 5 }, () =>
    round(workloads['static']!, cachingSnapshot({ zones, geo, health: NO_HEALTH }), false),
  ),
);
for (const [name, packets] of Object.entries(workloads)) {
  const snapshot: Snapshot = cachingSnapshot({ zones, geo, health: NO_HEALTH });
  round(packets, snapshot, true);
  const plain: number[] = [];
  const limited: number[] = [];
  for (let r = 0; r < 12; r++) {
    plain.push(round(packets, snapshot, false));
    limited.push(round(packets, snapshot, true));
  }
  const [p, l] = [median(plain), median(limited)];
  console.log(
    `${name.padEnd(21)} respond ${(p / 1000).toFixed(3)} µs (${(p / base).toFixed(2)}× static), with the limiter ${(l / 1000).toFixed(3)} µs: +${(l - p).toFixed(0)} ns (${(((l - p) / p) * 100).toFixed(1)} %)`,
  );
}
