// Keys gslb recognises but does not act on yet, and data that would never be served, are warned about, not ignored.
import test from 'ava';
import { formatDiagnostic } from '../../src/core/index.ts';
import { parseZoneText } from '../../src/zone/index.ts';

const HEAD = `'':
  - {type: SOA, value: {mname: ns1.example.com., rname: h.example.com., refresh: 1, retry: 1, expire: 1, minimum: 1}}
  - {type: NS, values: [ns1.example.com.]}
ns1: {type: A, value: 192.0.2.53}
`;

test('dynamic-record keys on an A record load with a DYNAMIC_NOT_SERVED warning per key', (t) => {
  const text = `${HEAD}www:
  type: A
  values: [192.0.2.10]
  dynamic:
    pools: {eu: {values: [{value: 192.0.2.100}]}}
    rules: [{pool: eu}]
  healthcheck: {protocol: HTTP}
`;
  const r = parseZoneText(text, 'example.com.yaml', 'example.com.', { defaultSerial: 1 });
  t.truthy(r.zone, 'the zone is served');
  t.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'example.com.yaml:8:3: DYNAMIC_NOT_SERVED: warning: "dynamic" is not acted on by this server yet; the record\'s own values are answered',
    'example.com.yaml:11:3: DYNAMIC_NOT_SERVED: warning: "healthcheck" is not acted on by this server yet; the record\'s own values are answered',
  ]);
});

test('data below a delegation other than glue is an OCCLUDED_DATA warning', (t) => {
  const text = `${HEAD}sub: {type: NS, values: [ns.sub.example.com.]}
ns.sub: {type: A, value: 192.0.2.1}
www.sub: {type: TXT, value: hidden}
`;
  const r = parseZoneText(text, 'example.com.yaml', 'example.com.', { defaultSerial: 1 });
  t.truthy(r.zone);
  t.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'example.com.yaml:7:17: OCCLUDED_DATA: warning: TXT at www.sub.example.com. is at or below the delegation sub.example.com. and is never served',
  ]);
});
