// One list of resolution cases over the static zone, run in-process through resolve() and over the wire with dig.
export interface LookupCase {
  readonly name: string;
  readonly type: string;
  readonly kind: 'answer' | 'nodata' | 'nxdomain' | 'delegation' | 'refused';
  readonly answer?: readonly string[];
  readonly authority?: readonly string[];
  readonly additional?: readonly string[];
  /** Larger than a UDP reply may be: the wire run uses TCP. */
  readonly large?: boolean;
}

const SOA =
  'example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2026112101 3600 600 604800 300';
const WWW_A = ['www.example.test. 60 IN A 192.0.2.10', 'www.example.test. 60 IN A 192.0.2.11'];
const SUB_NS = [
  'sub.example.test. 3600 IN NS ns1.sub.example.test.',
  'sub.example.test. 3600 IN NS ns2.example.net.',
];
const SUB_GLUE = ['ns1.sub.example.test. 3600 IN A 192.0.2.153'];
const DS =
  'sub.example.test. 3600 IN DS 60485 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118E4A5C5E5E3F7E6B1D7D3E2A0';

export const LOOKUP_CASES: readonly LookupCase[] = [
  { name: 'www.example.test.', type: 'A', kind: 'answer', answer: WWW_A },
  {
    name: 'www.example.test.',
    type: 'AAAA',
    kind: 'answer',
    answer: ['www.example.test. 60 IN AAAA 2001:db8::10'],
  },
  { name: 'www.example.test.', type: 'MX', kind: 'nodata', authority: [SOA] },
  { name: 'nope.example.test.', type: 'A', kind: 'nxdomain', authority: [SOA] },
  {
    name: 'example.test.',
    type: 'SOA',
    kind: 'answer',
    answer: [SOA.replace(' 300 IN', ' 3600 IN')],
  },
  {
    name: 'example.test.',
    type: 'NS',
    kind: 'answer',
    answer: [
      'example.test. 3600 IN NS ns1.example.test.',
      'example.test. 3600 IN NS ns2.example.test.',
    ],
    additional: [
      'ns1.example.test. 3600 IN A 192.0.2.53',
      'ns2.example.test. 3600 IN A 192.0.2.54',
      'ns2.example.test. 3600 IN AAAA 2001:db8::54',
    ],
  },
  {
    name: 'example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['example.test. 300 IN A 192.0.2.1'],
  },
  {
    name: 'example.test.',
    type: 'MX',
    kind: 'answer',
    answer: ['example.test. 3600 IN MX 10 mail.example.test.'],
  },
  {
    name: 'example.test.',
    type: 'TXT',
    kind: 'answer',
    answer: ['example.test. 3600 IN TXT "v=spf1 mx -all"'],
  },
  {
    name: 'example.test.',
    type: 'CAA',
    kind: 'answer',
    answer: ['example.test. 3600 IN CAA 0 issue "ca.example.net"'],
  },
  { name: 'example.test.', type: 'DS', kind: 'nodata', authority: [SOA] },
  {
    name: 'example.test.',
    type: 'ANY',
    kind: 'answer',
    answer: [SOA.replace(' 300 IN', ' 3600 IN')],
  },
  { name: 'www.example.test.', type: 'ANY', kind: 'answer', answer: WWW_A },
  {
    name: 'alias.example.test.',
    type: 'ANY',
    kind: 'answer',
    answer: ['alias.example.test. 3600 IN CNAME alias2.example.test.'],
  },
  {
    name: 'alias.example.test.',
    type: 'A',
    kind: 'answer',
    answer: [
      'alias.example.test. 3600 IN CNAME alias2.example.test.',
      'alias2.example.test. 3600 IN CNAME www.example.test.',
      ...WWW_A,
    ],
  },
  {
    name: 'alias.example.test.',
    type: 'CNAME',
    kind: 'answer',
    answer: ['alias.example.test. 3600 IN CNAME alias2.example.test.'],
  },
  {
    name: 'loop1.example.test.',
    type: 'A',
    kind: 'answer',
    answer: [
      'loop1.example.test. 3600 IN CNAME loop2.example.test.',
      'loop2.example.test. 3600 IN CNAME loop1.example.test.',
    ],
  },
  {
    name: 'ext.example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['ext.example.test. 3600 IN CNAME target.example.net.'],
  },
  {
    name: 'dangling.example.test.',
    type: 'A',
    kind: 'nxdomain',
    answer: ['dangling.example.test. 3600 IN CNAME nothere.example.test.'],
    authority: [SOA],
  },
  {
    name: 'todeleg.example.test.',
    type: 'A',
    kind: 'delegation',
    answer: ['todeleg.example.test. 3600 IN CNAME host.sub.example.test.'],
    authority: SUB_NS,
    additional: SUB_GLUE,
  },
  {
    name: 'foo.wild.example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['foo.wild.example.test. 120 IN A 192.0.2.80'],
  },
  {
    name: 'foo.wild.example.test.',
    type: 'TXT',
    kind: 'answer',
    answer: ['foo.wild.example.test. 120 IN TXT "wildcard"'],
  },
  { name: 'foo.wild.example.test.', type: 'MX', kind: 'nodata', authority: [SOA] },
  {
    name: 'x.y.wild.example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['x.y.wild.example.test. 120 IN A 192.0.2.80'],
  },
  {
    name: 'sub.wild.example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['sub.wild.example.test. 3600 IN A 192.0.2.81'],
  },
  { name: 'x.sub.wild.example.test.', type: 'A', kind: 'nxdomain', authority: [SOA] },
  { name: 'wild.example.test.', type: 'A', kind: 'nodata', authority: [SOA] },
  {
    name: '*.wild.example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['*.wild.example.test. 120 IN A 192.0.2.80'],
  },
  {
    name: 'foo.wc.example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['foo.wc.example.test. 3600 IN CNAME www.example.test.', ...WWW_A],
  },
  { name: 'c.example.test.', type: 'A', kind: 'nodata', authority: [SOA] },
  { name: 'b.c.example.test.', type: 'A', kind: 'nodata', authority: [SOA] },
  {
    name: 'a.b.c.example.test.',
    type: 'A',
    kind: 'answer',
    answer: ['a.b.c.example.test. 3600 IN A 192.0.2.90'],
  },
  { name: 'x.c.example.test.', type: 'A', kind: 'nxdomain', authority: [SOA] },
  {
    name: '_sip._tcp.example.test.',
    type: 'SRV',
    kind: 'answer',
    answer: ['_sip._tcp.example.test. 3600 IN SRV 10 5 5060 sip.example.test.'],
  },
  {
    name: '10.example.test.',
    type: 'PTR',
    kind: 'answer',
    answer: ['10.example.test. 3600 IN PTR www.example.test.'],
  },
  {
    name: 'sub.example.test.',
    type: 'A',
    kind: 'delegation',
    authority: SUB_NS,
    additional: SUB_GLUE,
  },
  {
    name: 'host.sub.example.test.',
    type: 'A',
    kind: 'delegation',
    authority: SUB_NS,
    additional: SUB_GLUE,
  },
  {
    name: 'ns1.sub.example.test.',
    type: 'A',
    kind: 'delegation',
    authority: SUB_NS,
    additional: SUB_GLUE,
  },
  {
    name: 'sub.example.test.',
    type: 'NS',
    kind: 'delegation',
    authority: SUB_NS,
    additional: SUB_GLUE,
  },
  { name: 'sub.example.test.', type: 'DS', kind: 'answer', answer: [DS] },
  { name: 'nods.example.test.', type: 'DS', kind: 'nodata', authority: [SOA] },
  {
    name: 'nods.example.test.',
    type: 'A',
    kind: 'delegation',
    authority: ['nods.example.test. 3600 IN NS ns.example.net.'],
  },
  { name: 'example.org.', type: 'A', kind: 'refused' },
  { name: 'test.', type: 'SOA', kind: 'refused' },
  {
    name: 'big.example.test.',
    type: 'TXT',
    kind: 'answer',
    large: true,
    answer: Array.from(
      { length: 20 },
      (_, i) =>
        `big.example.test. 3600 IN TXT "big-${String(i).padStart(2, '0')}-${'x'.repeat(90)}"`,
    ),
  },
  {
    name: 'many.example.test.',
    type: 'A',
    kind: 'answer',
    answer: Array.from({ length: 40 }, (_, i) => `many.example.test. 3600 IN A 192.0.2.${100 + i}`),
  },
];

/** The rcode dig prints for a case's kind. */
export function statusOf(kind: LookupCase['kind']): string {
  return kind === 'nxdomain' ? 'NXDOMAIN' : kind === 'refused' ? 'REFUSED' : 'NOERROR';
}
