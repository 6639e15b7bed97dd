// The zone of the failover drill: the SPEC's record with a redirect tier.
export const DRILL_ZONE = `'':
  - {type: SOA, value: {mname: ns1.drill.test., rname: h.drill.test., refresh: 1, retry: 1, expire: 1, minimum: 30}}
  - {type: NS, values: [ns1.drill.test.]}
ns1: {type: A, value: 192.0.2.53}
www:
  type: A
  ttl: 60
  values: [192.0.2.10, 192.0.2.11]
  dynamic:
    pools:
      cn-telecom: {fallback: apac, values: [{value: 198.51.100.1, weight: 3}, {value: 198.51.100.2, weight: 1}]}
      apac: {fallback: na, values: [{value: 203.0.113.1}, {value: 203.0.113.2}]}
      eu: {fallback: na, values: [{value: 192.0.2.100, host: fra1.example.com}]}
      na: {values: [{value: 192.0.2.200, host: iad1.example.com}, {value: 192.0.2.201, status: down}]}
    rules:
      - {geos: [AS-CN], asns: [4134, 4812], pool: cn-telecom}
      - {geos: [AS], pool: apac}
      - {geos: [EU, NA-US-CA], pool: eu}
      - {pool: na}
  ttl_degraded: 15
  redirect: {addresses: [192.0.2.80], fallback_url: "https://status.example.com/"}
plain: {type: A, value: 192.0.2.1}
`;

/** Extra records for the redirect tier: no fallback URL (503 when all is down), and mode always. */
export const REDIRECT_RECORDS = `bare:
  type: A
  values: [192.0.2.30]
  dynamic:
    pools: {p: {values: [{value: 192.0.2.31, status: down}]}}
    rules: [{pool: p}]
  ttl_degraded: 20
  redirect: {addresses: [192.0.2.80]}
live:
  type: A
  ttl: 300
  values: [192.0.2.40]
  dynamic:
    pools: {p: {values: [{value: 192.0.2.41, host: live1.example.com}]}}
    rules: [{pool: p}]
  redirect: {addresses: [192.0.2.80], mode: always, scheme: http, port: 8443}
`;
