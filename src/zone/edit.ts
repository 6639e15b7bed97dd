// A served zone after a change to some of its RRsets: only the changed names (and the empty non-terminals above
// them) are built again, over the zone's nodes as they were; a change costs what it touches, not the zone's size.
import { LayeredMap, parentName, type RR, RRType } from '../core/index.ts';
import type { RRset, Zone, ZoneNode } from './model.ts';

export interface RRsetChange {
  readonly name: string;
  readonly type: number;
  /** The new RRset; undefined removes it. */
  readonly rrset: RRset | undefined;
}

const NO_RRSETS: ReadonlyMap<number, RRset> = new Map();

/**
 * The zone with these RRsets set or removed and its SOA serial set. A name left with no RRset and no name below it
 * goes, and so does each empty non-terminal above it that is left with nothing below; a new name brings the empty
 * non-terminals between it and the nearest existing ancestor.
 */
export function editZone(zone: Zone, changes: readonly RRsetChange[], serial: number): Zone {
  const edits = new Map<string, ZoneNode | undefined>();
  const node = (name: string): ZoneNode | undefined =>
    edits.has(name) ? edits.get(name) : zone.nodes.get(name);
  let cuts: Set<string> | undefined;
  const adopt = (name: string): void => {
    for (
      let child = name, parent = parentName(name);
      parent !== undefined && child !== zone.origin;
      child = parent, parent = parentName(parent)
    ) {
      const above = node(parent);
      if (above) {
        edits.set(parent, { ...above, children: above.children + 1 });
        return;
      }
      edits.set(parent, Object.freeze({ name: parent, rrsets: NO_RRSETS, children: 1 }));
    }
  };
  const release = (name: string): void => {
    for (let parent = parentName(name); parent !== undefined; parent = parentName(parent)) {
      const above = node(parent)!;
      const left = above.children - 1;
      if (left > 0 || above.rrsets.size > 0 || parent === zone.origin) {
        edits.set(parent, { ...above, children: left });
        return;
      }
      edits.set(parent, undefined);
    }
  };
  for (const change of changes) {
    const before = node(change.name);
    const rrsets = new Map(before?.rrsets ?? NO_RRSETS);
    if (change.rrset && (change.rrset.records.length > 0 || change.rrset.dynamic))
      rrsets.set(change.type, change.rrset);
    else rrsets.delete(change.type);
    if (change.type === RRType.NS && change.name !== zone.origin) {
      cuts ??= new Set(zone.cuts);
      if (rrsets.has(RRType.NS)) cuts.add(change.name);
      else cuts.delete(change.name);
    }
    if (!before && rrsets.size > 0) {
      edits.set(change.name, Object.freeze({ name: change.name, rrsets, children: 0 }));
      adopt(change.name);
    } else if (
      before &&
      rrsets.size === 0 &&
      before.children === 0 &&
      change.name !== zone.origin
    ) {
      edits.set(change.name, undefined);
      release(change.name);
    } else if (before) {
      edits.set(
        change.name,
        Object.freeze({ ...before, rrsets: rrsets.size === 0 ? NO_RRSETS : rrsets }),
      );
    }
  }
  const soa = withSerial(node(zone.origin)!.rrsets.get(RRType.SOA)!, serial);
  if (soa !== node(zone.origin)!.rrsets.get(RRType.SOA)) {
    const apex = node(zone.origin)!;
    edits.set(
      zone.origin,
      Object.freeze({ ...apex, rrsets: new Map(apex.rrsets).set(RRType.SOA, soa) }),
    );
  }
  const nodes = LayeredMap.over(zone.nodes).with(edits);
  return Object.freeze({
    origin: zone.origin,
    file: zone.file,
    soa: soa.records[0]!,
    nodes,
    cuts: cuts ?? zone.cuts,
  });
}

function withSerial(soa: RRset, serial: number): RRset {
  const record: RR = soa.records[0]!;
  if (record.data.type !== 'SOA' || record.data.serial === serial) return soa;
  return Object.freeze({ ...soa, records: [{ ...record, data: { ...record.data, serial } }] });
}
