// Zone texts shared by tests.
import { readFileSync } from 'node:fs';

export const SAMPLE_ZONE = readFileSync(
  new URL('../../zones/example.com.yaml', import.meta.url),
  'utf8',
);

/**
 * A static zone with every case a lookup has to get right; test/fixtures/static/ holds the same data as an
 * RFC 1035 file.
 */
export const STATIC_ZONE = readFileSync(
  new URL('../fixtures/static/example.test.yaml', import.meta.url),
  'utf8',
);
export const STATIC_ZONE_RFC1035 = readFileSync(
  new URL('../fixtures/static/example.test.zone', import.meta.url),
  'utf8',
);

/**
 * A zone whose `svc` A record answers every up member among 127.0.0.2, .3, ... (one per backend, see backend.ts),
 * health-checked over HTTP on `port` with `check` (more healthcheck settings, e.g. "rise: 2, fall: 3").
 */
export function checkedZone(origin: string, port: number, members: number, check: string): string {
  return `${serviceZone(origin, members)}  healthcheck: {protocol: HTTP, port: ${port}, path: /health, ${check}}\n`;
}

/** The same zone without a health check (`serial` in its SOA when given). */
export function serviceZone(origin: string, members: number, serial?: number): string {
  const addresses = Array.from({ length: members }, (_, i) => `127.0.0.${2 + i}`);
  const soa = [
    `mname: ns1.${origin}., rname: h.${origin}.`,
    ...(serial === undefined ? [] : [`serial: ${serial}`]),
    'refresh: 1, retry: 1, expire: 1, minimum: 5',
  ].join(', ');
  return `'':
  - {type: SOA, value: {${soa}}}
  - {type: NS, values: [ns1.${origin}.]}
ns1: {type: A, value: 192.0.2.53}
svc:
  type: A
  ttl: 5
  values: [127.0.0.2]
  method: all
  dynamic:
    pools:
      all: {values: [${addresses.map((a) => `{value: ${a}}`).join(', ')}]}
    rules: [{pool: all}]
`;
}
