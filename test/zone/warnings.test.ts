// Keys gslb recognises but does not act on yet, and data that would never be served, are warned about, not ignored.
import test from 'ava';
import { formatDiagnostic } from '../../src/core/index.ts';
import { parseZoneText } from '../../src/zone/index.ts';

const HEAD = `'':
  - {type: SOA, value: {mname: ns1.example.com., rname: h.example.com., refresh: 1, retry: 1, expire: 1, minimum: 1}}
  - {type: NS, values: [ns1.example.com.]}
ns1: {type: A, value: 192.0.2.53}
`;

test('data below a delegation other than glue is an OCCLUDED_DATA warning', (t) => {
  const text = `${HEAD}sub: {type: NS, values: [ns.sub.example.com.]}
ns.sub: {type: A, value: 192.0.2.1}
www.sub: {type: TXT, value: hidden}
`;
  const r = parseZoneText(text, 'example.com.yaml', 'example.com.', { defaultSerial: 1 });
  t.truthy(r.zone);
  t.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'example.com.yaml:7:17: OCCLUDED_DATA: warning: TXT at www.sub.example.com. is at or below the ' +
      'delegation sub.example.com. and is never served',
  ]);
});
