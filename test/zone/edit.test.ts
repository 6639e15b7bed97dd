// editZone (a served zone after updates) against buildZone over the same RRsets from scratch: after every step of a
// seeded run of additions and removals at names one to three labels deep, the same names (empty non-terminals
// included, and gone when nothing is left below them), the same RRsets, child counts, cuts and serial.
import test from 'ava';
import { RRClass, RRType } from '../../src/core/index.ts';
import { buildZone, editZone, type RRset, type Zone } from '../../src/zone/index.ts';
import { mulberry32 } from '../helpers/random.ts';

const ORIGIN = 'edit.test.';
const rrset = (name: string, type: number, value: string): RRset => ({
  name,
  type,
  ttl: 60,
  dynamic: undefined,
  records: [
    {
      name,
      type,
      class: RRClass.IN,
      ttl: 60,
      data: type === RRType.NS ? { type: 'NS', target: value } : { type: 'A', address: value },
    },
  ],
});
const SOA: RRset = {
  name: ORIGIN,
  type: RRType.SOA,
  ttl: 60,
  dynamic: undefined,
  records: [
    {
      name: ORIGIN,
      type: RRType.SOA,
      class: RRClass.IN,
      ttl: 60,
      data: {
        type: 'SOA',
        mname: `ns.${ORIGIN}`,
        rname: `h.${ORIGIN}`,
        serial: 1,
        refresh: 1,
        retry: 1,
        expire: 1,
        minimum: 1,
      },
    },
  ],
};
const APEX_NS = rrset(ORIGIN, RRType.NS, `ns.${ORIGIN}`);

function shape(zone: Zone): unknown {
  const nodes = [...zone.nodes.values()].map((n) => [
    n.name,
    n.children,
    [...n.rrsets.values()]
      .map((r) => [r.type, r.records.map((rr) => JSON.stringify(rr.data))])
      .sort(),
  ]);
  return {
    nodes: nodes.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    cuts: [...zone.cuts].sort(),
    soa: zone.soa.data,
    size: zone.nodes.size,
  };
}

test('a seeded run of edits leaves the zone buildZone makes of the same RRsets', (t) => {
  const rand = mulberry32(42);
  const labels = ['a', 'b', 'c', 'd'];
  const randomLabel = (): string => labels[Math.floor(rand() * labels.length)]!;
  const randomName = (): string =>
    `${Array.from({ length: 1 + Math.floor(rand() * 3) }, randomLabel).join('.')}.${ORIGIN}`;
  const current = new Map<string, RRset>([
    [`${ORIGIN}|6`, SOA],
    [`${ORIGIN}|2`, APEX_NS],
  ]);
  let zone = buildZone(ORIGIN, 'edit.test.yaml', current.values());
  for (let step = 1; step <= 600; step++) {
    const changes = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
      const name = randomName();
      const type = rand() < 0.15 ? RRType.NS : RRType.A;
      const remove = rand() < 0.45;
      const set = remove
        ? undefined
        : rrset(
            name,
            type,
            type === RRType.NS ? `ns.${name}` : `192.0.2.${Math.floor(rand() * 250)}`,
          );
      return { name, type, rrset: set };
    });
    for (const c of changes) {
      if (c.rrset) current.set(`${c.name}|${c.type}`, c.rrset);
      else current.delete(`${c.name}|${c.type}`);
    }
    zone = editZone(zone, changes, step + 1);
    const soaNow = {
      ...SOA,
      records: [
        {
          ...SOA.records[0]!,
          data: { ...SOA.records[0]!.data, serial: step + 1 } as (typeof SOA.records)[0]['data'],
        },
      ],
    };
    const expected = buildZone(
      ORIGIN,
      'edit.test.yaml',
      [...current.values()].map((r) => (r.type === RRType.SOA ? soaNow : r)),
    );
    t.deepEqual(shape(zone), shape(expected), `after step ${step}`);
  }
  t.true(zone.nodes.size > 5, 'the run left a zone with names in it');
});
