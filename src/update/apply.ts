// RFC 2136 §3.4: prescan every update, then apply them all to a working copy; the result is one changeset or nothing.
import {
  ok,
  parseRecordKey,
  type Result,
  recordKey,
  addressText,
  ipv4Bytes,
  ipv6Bytes,
  isAtOrBelow,
  Rcode,
  RRClass,
  type RR,
  RRType,
  typeName,
} from '../core/index.ts';
import {
  type Change,
  type Refusal,
  refuse,
  type UpdateRR,
  type UpdateSource,
  type UpdateZone,
} from './model.ts';
import { rdataKey } from './rdata.ts';

const META_TYPES: ReadonlySet<number> = new Set([
  RRType.ANY,
  RRType.AXFR,
  RRType.IXFR,
  253,
  254,
  RRType.OPT,
  RRType.TSIG,
]);
/** Types an update may add: what the zone files can hold (SOA is the server's own: its serial counts updates). */
const ADDABLE: ReadonlySet<number> = new Set([
  RRType.A,
  RRType.AAAA,
  RRType.CNAME,
  RRType.NS,
  RRType.MX,
  RRType.TXT,
  RRType.SRV,
  RRType.CAA,
  RRType.PTR,
  RRType.DS,
]);

/** RFC 2136 §3.4.1. */
export function prescan(
  updates: readonly UpdateRR[],
  zone: UpdateZone,
): Result<undefined, Refusal> {
  for (const rr of updates) {
    if (!isAtOrBelow(rr.name, zone.origin))
      return refuse(Rcode.NOTZONE, `${rr.name} is outside ${zone.origin}`);
    if (rr.class === RRClass.IN) {
      if (META_TYPES.has(rr.type) || rr.data === undefined)
        return refuse(Rcode.FORMERR, `cannot add type ${typeName(rr.type)} without data`);
    } else if (rr.class === RRClass.ANY) {
      if (
        rr.ttl !== 0 ||
        rr.data !== undefined ||
        (META_TYPES.has(rr.type) && rr.type !== RRType.ANY)
      )
        return refuse(Rcode.FORMERR, `bad delete-RRset record for ${rr.name}`);
    } else if (rr.class === RRClass.NONE) {
      if (rr.ttl !== 0 || rr.data === undefined || META_TYPES.has(rr.type))
        return refuse(Rcode.FORMERR, `bad delete-RR record for ${rr.name}`);
    } else {
      return refuse(Rcode.FORMERR, `update of class ${rr.class}`);
    }
  }
  return ok(undefined);
}

/** What an accepted update changes, and the parts of it RFC 2136 says to skip (with why). */
export interface Applied {
  readonly changes: readonly Change[];
  readonly skipped: readonly string[];
}

/** RFC 2136 §3.4.2, with SOA and the apex NS protected; dynamic records change members' service (or health) state. */
export function applyUpdates(
  updates: readonly UpdateRR[],
  zone: UpdateZone,
  source: UpdateSource,
): Result<Applied, Refusal> {
  const work = new WorkingCopy(zone, source);
  for (const rr of updates) {
    const refused =
      rr.class === RRClass.IN
        ? work.add(rr)
        : rr.class === RRClass.ANY
          ? work.deleteRRsets(rr)
          : work.deleteRR(rr);
    if (refused) return refuse(Rcode.REFUSED, refused);
  }
  return ok({ changes: work.changes(), skipped: work.skipped });
}

/** An RRset as the update leaves it: its records by identity (see rdataKey), and its TTL. */
interface Touched {
  readonly before: ReadonlyMap<string, RR>;
  readonly records: Map<string, RR>;
  ttl: number;
}

/**
 * The zone as the update changes it. Each RRset it touches is copied once (by record identity); after that an
 * addition or deletion costs the same whatever the RRset's size, so a message costs what it holds.
 */
class WorkingCopy {
  readonly skipped: string[] = [];
  /** name → type → the touched RRset. */
  private readonly touched = new Map<string, Map<number, Touched>>();
  /** Dynamic records' members: "name|type" → address → in service (or up). */
  private readonly members = new Map<string, Map<string, boolean>>();

  constructor(
    private readonly zone: UpdateZone,
    private readonly source: UpdateSource,
  ) {}

  private current(name: string, type: number): Touched {
    let byType = this.touched.get(name);
    if (!byType) this.touched.set(name, (byType = new Map<number, Touched>()));
    let t = byType.get(type);
    if (!t) {
      const records = this.zone.rrset(name, type);
      const before = new Map(records.map((rr) => [rdataKey(rr.data), rr]));
      byType.set(type, (t = { before, records: new Map(before), ttl: records[0]?.ttl ?? 0 }));
    }
    return t;
  }

  private typesAt(name: string): number[] {
    const types = new Set(this.zone.types(name));
    for (const [type, t] of this.touched.get(name) ?? []) {
      if (t.records.size > 0) types.add(type);
      else types.delete(type);
    }
    return [...types];
  }

  private setMember(name: string, type: number, address: string, value: boolean): void {
    const key = recordKey(name, type);
    let m = this.members.get(key);
    if (!m) this.members.set(key, (m = new Map<string, boolean>()));
    m.set(address, value);
  }

  /** Returns a reason to refuse the whole update, or undefined. */
  add(rr: UpdateRR): string | undefined {
    const data = rr.data!;
    if (this.source === 'health' && !this.zone.dynamic(rr.name, rr.type))
      return `health updates touch only dynamic records, not ${rr.name} ${typeName(rr.type)}`;
    if (rr.type === RRType.SOA)
      return void this.skipped.push(`SOA of ${rr.name}: the serial is the server's`);
    const dynamic = this.zone.dynamic(rr.name, rr.type);
    if (dynamic) {
      const address =
        data.type === 'A' || data.type === 'AAAA' ? canonicalAddress(data.type, data.address) : '';
      if (!dynamic.addresses.has(address))
        return (
          `${address} is not a member of the dynamic record ${rr.name} ${typeName(rr.type)}; add it ` +
          `to a pool in the zone file`
        );
      this.setMember(rr.name, rr.type, address, true);
      return undefined;
    }
    if (!ADDABLE.has(rr.type)) return `type ${typeName(rr.type)} cannot be added to ${rr.name}`;
    const types = this.typesAt(rr.name);
    // RFC 2136 §3.4.2.2: CNAME and other data never share a name; the update that would mix them is skipped.
    if (
      rr.type === RRType.CNAME
        ? types.some((t) => t !== RRType.CNAME)
        : types.includes(RRType.CNAME)
    ) {
      return void this.skipped.push(
        `${typeName(rr.type)} at ${rr.name} would share the name with ` +
          `${rr.type === RRType.CNAME ? 'other data' : 'a CNAME'}`,
      );
    }
    const t = this.current(rr.name, rr.type);
    if (rr.type === RRType.CNAME) t.records.clear(); // a name has one CNAME: the new one replaces it
    const record = {
      name: rr.name,
      type: rr.type,
      class: RRClass.IN,
      ttl: rr.ttl,
      data: canonicalData(data),
    };
    t.records.set(rdataKey(record.data), record);
    t.ttl = rr.ttl; // RFC 2181 §5.2: one TTL per RRset, the last one given
    return undefined;
  }

  deleteRRsets(rr: UpdateRR): string | undefined {
    const apex = rr.name === this.zone.origin;
    const types = rr.type === RRType.ANY ? this.typesAt(rr.name) : [rr.type];
    for (const type of types) {
      if (apex && (type === RRType.SOA || type === RRType.NS)) {
        if (rr.type !== RRType.ANY)
          this.skipped.push(`the apex ${typeName(type)} cannot be deleted`);
        continue;
      }
      const dynamic = this.zone.dynamic(rr.name, type);
      if (dynamic) {
        for (const inService of this.zone.rrset(rr.name, type)) {
          if (inService.data.type === 'A' || inService.data.type === 'AAAA')
            this.setMember(rr.name, type, inService.data.address, false);
        }
      } else if (this.source === 'update') {
        this.current(rr.name, type).records.clear();
      }
    }
    return undefined;
  }

  deleteRR(rr: UpdateRR): string | undefined {
    const data = rr.data!;
    if (rr.type === RRType.SOA) return void this.skipped.push('the SOA cannot be deleted');
    const dynamic = this.zone.dynamic(rr.name, rr.type);
    if (dynamic) {
      const address =
        data.type === 'A' || data.type === 'AAAA' ? canonicalAddress(data.type, data.address) : '';
      if (dynamic.addresses.has(address)) this.setMember(rr.name, rr.type, address, false);
      return undefined;
    }
    if (this.source === 'health')
      return `health updates touch only dynamic records, not ${rr.name} ${typeName(rr.type)}`;
    const t = this.current(rr.name, rr.type);
    const key = rdataKey(canonicalData(data));
    // RFC 2136 §3.4.2.4: the last apex NS stays.
    if (
      rr.name === this.zone.origin &&
      rr.type === RRType.NS &&
      t.records.size === 1 &&
      t.records.has(key)
    )
      return void this.skipped.push('the last apex NS cannot be deleted');
    t.records.delete(key);
    return undefined;
  }

  /** What the update changed, one entry per RRset (with what it added and removed) and per member. */
  changes(): Change[] {
    const out: Change[] = [];
    for (const [name, byType] of this.touched) {
      for (const [type, t] of byType) {
        const added = [...t.records].filter(([key]) => !t.before.has(key)).map(([, rr]) => rr);
        const removed = [...t.before].filter(([key]) => !t.records.has(key)).map(([, rr]) => rr);
        const ttlBefore = t.before.values().next().value?.ttl;
        const ttlChanged = t.records.size > 0 && ttlBefore !== undefined && ttlBefore !== t.ttl;
        if (added.length === 0 && removed.length === 0 && !ttlChanged) continue;
        const records = [...t.records.values()].map((rr) =>
          rr.ttl === t.ttl ? rr : { ...rr, ttl: t.ttl },
        );
        out.push({ kind: 'rrset', name, type, ttl: t.ttl, records, added, removed });
      }
    }
    for (const [key, byAddress] of this.members) {
      const { name, type } = parseRecordKey(key);
      for (const [address, value] of byAddress) {
        out.push(
          this.source === 'health'
            ? { kind: 'health', name, type, address, up: value }
            : { kind: 'service', name, type, address, inService: value },
        );
      }
    }
    return out;
  }
}

function canonicalAddress(type: 'A' | 'AAAA', address: string): string {
  return addressText(type === 'A' ? ipv4Bytes(address) : ipv6Bytes(address));
}

function canonicalData(d: NonNullable<UpdateRR['data']>): NonNullable<UpdateRR['data']> {
  return d.type === 'AAAA' ? { type: 'AAAA', address: canonicalAddress('AAAA', d.address) } : d;
}
