// Zone-level rules over parsed records: apex SOA/NS, CNAME exclusivity, delegations, DS and glue.
import { isAtOrBelow, parentName } from '../core/index.ts';
import type { SourceRecord } from './records.ts';
import type { Collector, YamlNode } from '../yaml/index.ts';

type ByName = ReadonlyMap<string, readonly SourceRecord[]>;

/**
 * `declared` holds "name TYPE" for records given in the file, including broken ones already reported. In steps: it
 * yields after each name (see loadZoneSteps).
 */
export function* checkZone(
  c: Collector,
  origin: string,
  root: YamlNode | undefined,
  byName: ByName,
  declared: ReadonlySet<string>,
): Generator<void, void> {
  if (!declared.has(`${origin} SOA`))
    c.report(root, 'MISSING_SOA', `zone ${origin} has no SOA record at its apex ('')`);
  if (!declared.has(`${origin} NS`))
    c.report(root, 'MISSING_NS', `zone ${origin} has no NS record at its apex ('')`);
  const cuts = new Set<string>();
  for (const [name, records] of byName) {
    if (name !== origin && records.some((r) => r.type === 'NS')) cuts.add(name);
  }
  for (const [name, records] of byName) {
    yield;
    checkName(c, origin, name, records, cuts);
    checkGlue(c, origin, name, records, cuts, declared);
  }
}

function checkName(
  c: Collector,
  origin: string,
  name: string,
  records: readonly SourceRecord[],
  cuts: ReadonlySet<string>,
): void {
  const cname = records.find((r) => r.type === 'CNAME');
  if (cname && name === origin)
    c.report(cname.node, 'CNAME_AT_APEX', 'a CNAME cannot live at the zone apex beside SOA and NS');
  else if (cname && records.length > 1) {
    const others = records
      .filter((r) => r !== cname)
      .map((r) => r.type)
      .join(', ');
    c.report(
      cname.node,
      'CNAME_AND_OTHER',
      `${name} has a CNAME beside ${others} (RFC 1034 §3.6.2)`,
    );
  }
  for (const r of records) {
    if (r.type === 'SOA' && name !== origin)
      c.report(r.node, 'SOA_NOT_AT_APEX', `SOA at ${name}; it belongs at the apex ('')`);
    if (r.type === 'DS' && !cuts.has(name))
      c.report(
        r.node,
        'DS_NOT_AT_DELEGATION',
        `DS at ${name}, which has no NS records (DS belongs at a delegation point)`,
      );
  }
  const cut = enclosingCut(name, cuts);
  if (cut === undefined) return;
  for (const r of records) {
    const atCut = cut === name && (r.type === 'NS' || r.type === 'DS');
    const glue = r.type === 'A' || r.type === 'AAAA';
    if (!atCut && !glue) {
      c.report(
        r.node,
        'OCCLUDED_DATA',
        `${r.type} at ${name} is at or below the delegation ${cut} and is never served`,
        'warning',
      );
    }
  }
}

/** The highest delegation point at or above `name`, if any: its ancestors looked up, not every cut compared. */
function enclosingCut(name: string, cuts: ReadonlySet<string>): string | undefined {
  if (cuts.size === 0) return undefined;
  let found: string | undefined;
  for (let n: string | undefined = name; n !== undefined; n = parentName(n))
    if (cuts.has(n)) found = n;
  return found;
}

/** Name servers inside this zone must have addresses here, or no resolver can reach them. */
function checkGlue(
  c: Collector,
  origin: string,
  name: string,
  records: readonly SourceRecord[],
  cuts: ReadonlySet<string>,
  declared: ReadonlySet<string>,
): void {
  for (const r of records) {
    if (r.type !== 'NS') continue;
    r.data.forEach((d, i) => {
      if (d.type !== 'NS' || !isAtOrBelow(d.target, origin)) return;
      const hasAddress = declared.has(`${d.target} A`) || declared.has(`${d.target} AAAA`);
      if (hasAddress) return;
      const where = enclosingCut(d.target, cuts);
      const why = where
        ? `glue for the delegation ${name}`
        : `an address for name server ${d.target}`;
      c.report(
        r.valueNodes[i],
        'MISSING_GLUE',
        `${d.target} is inside ${where ?? origin} but has no A or AAAA record: ${why} is needed`,
      );
    });
  }
}
