// RFC 2136 phases as tables: prerequisite × zone state → rcode; prescan → rcode; update → changeset.
import test from 'ava';
import {
  formatRR,
  Rcode,
  type Result,
  RRClass,
  type RData,
  typeCode,
} from '../../src/core/index.ts';
import { EMPTY_LIVE, updateView } from '../../src/state/index.ts';
import {
  applyUpdates,
  checkPrerequisites,
  prescan,
  type Refusal,
  type UpdateRR,
  type UpdateZone,
} from '../../src/update/index.ts';
import { snapshotOf } from '../helpers/snapshot.ts';

const ZONE = `'':
  - {type: SOA, value: {mname: ns1.up.test., rname: h.up.test., refresh: 1, retry: 1, expire: 1, minimum: 60}}
  - {type: NS, values: [ns1.up.test., ns2.up.test.]}
ns1: {type: A, value: 192.0.2.53}
ns2: {type: A, value: 192.0.2.54}
www: {type: A, ttl: 60, values: [192.0.2.10, 192.0.2.11]}
alias: {type: CNAME, value: www.up.test.}
txt: {type: TXT, value: hello}
leaf.ent: {type: TXT, value: below an empty non-terminal}
dyn:
  type: A
  values: [192.0.2.100]
  dynamic:
    pools: {p: {values: [{value: 192.0.2.100}, {value: 192.0.2.101}]}}
    rules: [{pool: p}]
`;
const zone: UpdateZone = updateView(
  snapshotOf({ 'up.test.yaml': ZONE }).zones.zones.get('up.test.')!,
  EMPTY_LIVE,
);

const ANY = RRClass.ANY;
const NONE = RRClass.NONE;
const IN = RRClass.IN;
function rr(name: string, type: string, klass: number, data?: RData, ttl = 0): UpdateRR {
  return { name: `${name}up.test.`, type: typeCode(type)!, class: klass, ttl, data };
}
const a = (address: string): RData => ({ type: 'A', address });

const PREREQUISITES: [string, UpdateRR[], number][] = [
  ['name in use: exists', [rr('www.', 'ANY', ANY)], Rcode.NOERROR],
  ['name in use: missing', [rr('nope.', 'ANY', ANY)], Rcode.NXDOMAIN],
  [
    'name in use: an empty non-terminal holds no RR, so it is not (RFC 2136 §2.4.4)',
    [rr('ent.', 'ANY', ANY)],
    Rcode.NXDOMAIN,
  ],
  ['name in use: the apex', [rr('', 'ANY', ANY)], Rcode.NOERROR],
  ['RRset exists: yes', [rr('www.', 'A', ANY)], Rcode.NOERROR],
  ['RRset exists: no', [rr('www.', 'MX', ANY)], Rcode.NXRRSET],
  ['name not in use: free', [rr('nope.', 'ANY', NONE)], Rcode.NOERROR],
  ['name not in use: taken', [rr('www.', 'ANY', NONE)], Rcode.YXDOMAIN],
  ['RRset does not exist: absent', [rr('www.', 'MX', NONE)], Rcode.NOERROR],
  ['RRset does not exist: present', [rr('www.', 'A', NONE)], Rcode.YXRRSET],
  [
    'value-dependent: exact set',
    [rr('www.', 'A', IN, a('192.0.2.10')), rr('www.', 'A', IN, a('192.0.2.11'))],
    Rcode.NOERROR,
  ],
  ['value-dependent: subset is not enough', [rr('www.', 'A', IN, a('192.0.2.10'))], Rcode.NXRRSET],
  [
    'value-dependent: a value too many',
    [
      rr('www.', 'A', IN, a('192.0.2.10')),
      rr('www.', 'A', IN, a('192.0.2.11')),
      rr('www.', 'A', IN, a('192.0.2.12')),
    ],
    Rcode.NXRRSET,
  ],
  [
    'value-dependent: dynamic record lists its members in service',
    [rr('dyn.', 'A', IN, a('192.0.2.100')), rr('dyn.', 'A', IN, a('192.0.2.101'))],
    Rcode.NOERROR,
  ],
  ['TTL not 0', [rr('www.', 'A', ANY, undefined, 5)], Rcode.FORMERR],
  ['data on class ANY', [rr('www.', 'A', ANY, a('192.0.2.10'))], Rcode.FORMERR],
  ['class CH', [rr('www.', 'A', 3)], Rcode.FORMERR],
  [
    'outside the zone',
    [{ name: 'www.example.com.', type: 1, class: ANY, ttl: 0, data: undefined }],
    Rcode.NOTZONE,
  ],
  ['first failure decides', [rr('nope.', 'ANY', ANY), rr('www.', 'A', NONE)], Rcode.NXDOMAIN],
];

/** The rcode a phase's result stands for: NOERROR when it let the update through. */
const rcodeOf = (r: Result<unknown, Refusal>): number => (r.ok ? Rcode.NOERROR : r.error.rcode);

for (const [title, prereqs, rcode] of PREREQUISITES) {
  test(`prerequisite: ${title}`, (t) => {
    t.is(rcodeOf(checkPrerequisites(prereqs, zone)), rcode);
  });
}

const PRESCAN: [string, UpdateRR, number][] = [
  ['add', rr('x.', 'A', IN, a('192.0.2.1'), 60), Rcode.NOERROR],
  ['add of a meta type', rr('x.', 'ANY', IN, a('192.0.2.1'), 60), Rcode.FORMERR],
  ['delete RRset with TTL', rr('x.', 'A', ANY, undefined, 60), Rcode.FORMERR],
  ['delete RRset with data', rr('x.', 'A', ANY, a('192.0.2.1')), Rcode.FORMERR],
  ['delete RRset of AXFR', rr('x.', 'AXFR', ANY), Rcode.FORMERR],
  ['delete name', rr('x.', 'ANY', ANY), Rcode.NOERROR],
  ['delete RR with TTL', rr('x.', 'A', NONE, a('192.0.2.1'), 60), Rcode.FORMERR],
  ['delete RR of type ANY', rr('x.', 'ANY', NONE, a('192.0.2.1')), Rcode.FORMERR],
  ['class HS', rr('x.', 'A', 4, a('192.0.2.1')), Rcode.FORMERR],
  [
    'outside the zone',
    { name: 'x.example.com.', type: 1, class: IN, ttl: 60, data: a('192.0.2.1') },
    Rcode.NOTZONE,
  ],
];

for (const [title, update, rcode] of PRESCAN) {
  test(`prescan: ${title}`, (t) => {
    t.is(rcodeOf(prescan([update], zone)), rcode);
  });
}

function changes(updates: UpdateRR[], source: 'update' | 'health' = 'update'): string[] | string {
  const r = applyUpdates(updates, zone, source);
  if (!r.ok) return `${r.error.rcode}: ${r.error.reason}`;
  return r.value.changes.map((c) =>
    c.kind === 'rrset'
      ? `rrset ${c.name} ${c.type}: ${c.records.map((x) => formatRR(x).replace(/^\S+ /, '')).join(', ') || 'deleted'}`
      : c.kind === 'service'
        ? `service ${c.address} ${c.inService}`
        : c.kind === 'health'
          ? `health ${c.address} ${c.up}`
          : `override ${c.key} ${c.status}`,
  );
}

const APPLY: [string, UpdateRR[], string[] | string, ('update' | 'health')?][] = [
  [
    'add to an RRset (one TTL for the RRset)',
    [rr('www.', 'A', IN, a('192.0.2.12'), 30)],
    ['rrset www.up.test. 1: 30 IN A 192.0.2.10, 30 IN A 192.0.2.11, 30 IN A 192.0.2.12'],
  ],
  [
    'add a new name',
    [rr('new.', 'TXT', IN, { type: 'TXT', strings: ['x'] }, 60)],
    ['rrset new.up.test. 16: 60 IN TXT "x"'],
  ],
  ['add an existing record: nothing changes', [rr('www.', 'A', IN, a('192.0.2.10'), 60)], []],
  [
    'delete one RR',
    [rr('www.', 'A', NONE, a('192.0.2.10'))],
    ['rrset www.up.test. 1: 60 IN A 192.0.2.11'],
  ],
  ['delete an RR that is not there: nothing changes', [rr('www.', 'A', NONE, a('192.0.2.99'))], []],
  ['delete an RRset', [rr('www.', 'A', ANY)], ['rrset www.up.test. 1: deleted']],
  ['delete a name', [rr('alias.', 'ANY', ANY)], ['rrset alias.up.test. 5: deleted']],
  ['delete at the apex keeps SOA and NS', [rr('', 'ANY', ANY)], []],
  ['delete the apex NS RRset: skipped', [rr('', 'NS', ANY)], []],
  [
    'delete both apex NS one by one: the last stays',
    [
      rr('', 'NS', NONE, { type: 'NS', target: 'ns1.up.test.' }),
      rr('', 'NS', NONE, { type: 'NS', target: 'ns2.up.test.' }),
    ],
    ['rrset up.test. 2: 3600 IN NS ns2.up.test.'],
  ],
  [
    'add an SOA: skipped (the serial is ours)',
    [
      rr(
        '',
        'SOA',
        IN,
        {
          type: 'SOA',
          mname: 'a.',
          rname: 'b.',
          serial: 9,
          refresh: 1,
          retry: 1,
          expire: 1,
          minimum: 1,
        },
        60,
      ),
    ],
    [],
  ],
  [
    'CNAME beside data: skipped',
    [rr('www.', 'CNAME', IN, { type: 'CNAME', target: 'x.up.test.' }, 60)],
    [],
  ],
  ['data beside a CNAME: skipped', [rr('alias.', 'A', IN, a('192.0.2.1'), 60)], []],
  [
    'replace a CNAME',
    [rr('alias.', 'CNAME', IN, { type: 'CNAME', target: 'txt.up.test.' }, 60)],
    ['rrset alias.up.test. 5: 60 IN CNAME txt.up.test.'],
  ],
  [
    'delete then add in one message',
    [rr('www.', 'A', ANY), rr('www.', 'A', IN, a('192.0.2.20'), 60)],
    ['rrset www.up.test. 1: 60 IN A 192.0.2.20'],
  ],
  [
    'dynamic: delete a member takes it out of service',
    [rr('dyn.', 'A', NONE, a('192.0.2.101'))],
    ['service 192.0.2.101 false'],
  ],
  [
    'dynamic: add a member back',
    [rr('dyn.', 'A', IN, a('192.0.2.101'), 60)],
    ['service 192.0.2.101 true'],
  ],
  [
    'dynamic: delete the RRset takes every member out',
    [rr('dyn.', 'A', ANY)],
    ['service 192.0.2.100 false', 'service 192.0.2.101 false'],
  ],
  [
    'dynamic: an unknown address is refused, with nothing else applied',
    [rr('www.', 'A', NONE, a('192.0.2.10')), rr('dyn.', 'A', IN, a('192.0.2.250'), 60)],
    `${Rcode.REFUSED}: 192.0.2.250 is not a member of the dynamic record dyn.up.test. A; add it to a ` +
      `pool in the zone file`,
  ],
  [
    'health: down and up',
    [rr('dyn.', 'A', NONE, a('192.0.2.100')), rr('dyn.', 'A', IN, a('192.0.2.101'), 60)],
    ['health 192.0.2.100 false', 'health 192.0.2.101 true'],
    'health',
  ],
  [
    'health may not touch ordinary records',
    [rr('www.', 'A', NONE, a('192.0.2.10'))],
    `${Rcode.REFUSED}: health updates touch only dynamic records, not www.up.test. A`,
    'health',
  ],
];

for (const [title, updates, expected, source] of APPLY) {
  test(`apply: ${title}`, (t) => {
    t.deepEqual(changes(updates, source), expected);
  });
}
