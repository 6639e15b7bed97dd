// RFC 2136 §3.4: prescan every update, then apply them all to a working copy; the result is one changeset or nothing.
import { addressText, ipv4Bytes, ipv6Bytes, isAtOrBelow, Rcode, RRClass, type RR, RRType, typeName } from '../core/index.ts';
import type { Change, UpdateRR, UpdateSource, UpdateZone } from './model.ts';
import { sameRData } from './rdata.ts';

const META_TYPES: ReadonlySet<number> = new Set([RRType.ANY, RRType.AXFR, RRType.IXFR, 253, 254, RRType.OPT, RRType.TSIG]);
/** Types an update may add: what the zone files can hold (SOA is the server's own: its serial counts updates). */
const ADDABLE: ReadonlySet<number> = new Set([RRType.A, RRType.AAAA, RRType.CNAME, RRType.NS, RRType.MX, RRType.TXT, RRType.SRV, RRType.CAA, RRType.PTR, RRType.DS]);

/** RFC 2136 §3.4.1. */
export function prescan(updates: readonly UpdateRR[], zone: UpdateZone): { rcode: number; reason: string } {
  for (const rr of updates) {
    if (!isAtOrBelow(rr.name, zone.origin)) return { rcode: Rcode.NOTZONE, reason: `${rr.name} is outside ${zone.origin}` };
    if (rr.class === RRClass.IN) {
      if (META_TYPES.has(rr.type) || rr.data === undefined) return { rcode: Rcode.FORMERR, reason: `cannot add type ${typeName(rr.type)} without data` };
    } else if (rr.class === RRClass.ANY) {
      if (rr.ttl !== 0 || rr.data !== undefined || (META_TYPES.has(rr.type) && rr.type !== RRType.ANY)) return { rcode: Rcode.FORMERR, reason: `bad delete-RRset record for ${rr.name}` };
    } else if (rr.class === RRClass.NONE) {
      if (rr.ttl !== 0 || rr.data === undefined || META_TYPES.has(rr.type)) return { rcode: Rcode.FORMERR, reason: `bad delete-RR record for ${rr.name}` };
    } else {
      return { rcode: Rcode.FORMERR, reason: `update of class ${rr.class}` };
    }
  }
  return { rcode: Rcode.NOERROR, reason: '' };
}

export type ApplyResult = { readonly ok: true; readonly changes: readonly Change[]; readonly skipped: readonly string[] } | { readonly ok: false; readonly rcode: number; readonly reason: string };

/** RFC 2136 §3.4.2, with SOA and the apex NS protected; dynamic records change members' service (or health) state. */
export function applyUpdates(updates: readonly UpdateRR[], zone: UpdateZone, source: UpdateSource): ApplyResult {
  const work = new WorkingCopy(zone, source);
  for (const rr of updates) {
    const refused = rr.class === RRClass.IN ? work.add(rr) : rr.class === RRClass.ANY ? work.deleteRRsets(rr) : work.deleteRR(rr);
    if (refused) return { ok: false, rcode: Rcode.REFUSED, reason: refused };
  }
  return { ok: true, changes: work.changes(), skipped: work.skipped };
}

class WorkingCopy {
  readonly skipped: string[] = [];
  private readonly rrsets = new Map<string, RR[]>();
  private readonly members = new Map<string, boolean>(); // "name|type|address" → in service (or up)

  constructor(
    private readonly zone: UpdateZone,
    private readonly source: UpdateSource,
  ) {}

  private current(name: string, type: number): RR[] {
    const key = `${name}|${type}`;
    if (!this.rrsets.has(key)) this.rrsets.set(key, [...this.zone.rrset(name, type)]);
    return this.rrsets.get(key)!;
  }

  private typesAt(name: string): number[] {
    const types = new Set(this.zone.types(name));
    for (const [key, rrs] of this.rrsets) {
      const [n, t] = key.split('|');
      if (n === name) rrs.length > 0 ? types.add(Number(t)) : types.delete(Number(t));
    }
    return [...types];
  }

  /** Returns a reason to refuse the whole update, or undefined. */
  add(rr: UpdateRR): string | undefined {
    const data = rr.data!;
    if (this.source === 'health' && !this.zone.dynamic(rr.name, rr.type)) return `health updates touch only dynamic records, not ${rr.name} ${typeName(rr.type)}`;
    if (rr.type === RRType.SOA) return void this.skipped.push(`SOA of ${rr.name}: the serial is the server's`);
    const dynamic = this.zone.dynamic(rr.name, rr.type);
    if (dynamic) {
      const address = data.type === 'A' || data.type === 'AAAA' ? canonicalAddress(data.type, data.address) : '';
      const known = [...dynamic.defaults, ...[...dynamic.pools.values()].flatMap((p) => p.members)].some((m) => m.address === address);
      if (!known) return `${address} is not a member of the dynamic record ${rr.name} ${typeName(rr.type)}; add it to a pool in the zone file`;
      this.members.set(`${rr.name}|${rr.type}|${address}`, true);
      return undefined;
    }
    if (!ADDABLE.has(rr.type)) return `type ${typeName(rr.type)} cannot be added to ${rr.name}`;
    const types = this.typesAt(rr.name);
    // RFC 2136 §3.4.2.2: CNAME and other data never share a name; the update that would mix them is skipped.
    if (rr.type === RRType.CNAME ? types.some((t) => t !== RRType.CNAME) : types.includes(RRType.CNAME)) {
      return void this.skipped.push(`${typeName(rr.type)} at ${rr.name} would share the name with ${rr.type === RRType.CNAME ? 'other data' : 'a CNAME'}`);
    }
    const rrs = this.current(rr.name, rr.type);
    if (rr.type === RRType.CNAME) rrs.length = 0; // a name has one CNAME: the new one replaces it
    const kept = rrs.filter((x) => !sameRData(x.data, data)).map((x) => ({ ...x, ttl: rr.ttl })); // RFC 2181 §5.2: one TTL per RRset
    rrs.length = 0;
    rrs.push(...kept, { name: rr.name, type: rr.type, class: RRClass.IN, ttl: rr.ttl, data: canonicalData(data) });
    return undefined;
  }

  deleteRRsets(rr: UpdateRR): string | undefined {
    const apex = rr.name === this.zone.origin;
    const types = rr.type === RRType.ANY ? this.typesAt(rr.name) : [rr.type];
    for (const type of types) {
      if (apex && (type === RRType.SOA || type === RRType.NS)) {
        if (rr.type !== RRType.ANY) this.skipped.push(`the apex ${typeName(type)} cannot be deleted`);
        continue;
      }
      const dynamic = this.zone.dynamic(rr.name, type);
      if (dynamic) for (const rrOf of this.zone.rrset(rr.name, type)) this.setMember(rr.name, type, rrOf, false);
      else if (this.source === 'update') this.current(rr.name, type).length = 0;
    }
    return undefined;
  }

  deleteRR(rr: UpdateRR): string | undefined {
    const data = rr.data!;
    if (rr.type === RRType.SOA) return void this.skipped.push('the SOA cannot be deleted');
    const dynamic = this.zone.dynamic(rr.name, rr.type);
    if (dynamic) {
      const address = data.type === 'A' || data.type === 'AAAA' ? canonicalAddress(data.type, data.address) : '';
      const known = [...dynamic.defaults, ...[...dynamic.pools.values()].flatMap((p) => p.members)].some((m) => m.address === address);
      if (known) this.members.set(`${rr.name}|${rr.type}|${address}`, false);
      return undefined;
    }
    if (this.source === 'health') return `health updates touch only dynamic records, not ${rr.name} ${typeName(rr.type)}`;
    const rrs = this.current(rr.name, rr.type);
    const left = rrs.filter((x) => !sameRData(x.data, data));
    // RFC 2136 §3.4.2.4: the last apex NS stays.
    if (rr.name === this.zone.origin && rr.type === RRType.NS && left.length === 0) return void this.skipped.push('the last apex NS cannot be deleted');
    rrs.length = 0;
    rrs.push(...left);
    return undefined;
  }

  private setMember(name: string, type: number, rr: RR, value: boolean): void {
    if (rr.data.type === 'A' || rr.data.type === 'AAAA') this.members.set(`${name}|${type}|${rr.data.address}`, value);
  }

  changes(): Change[] {
    const out: Change[] = [];
    for (const [key, records] of this.rrsets) {
      const [name, type] = key.split('|') as [string, string];
      const before = this.zone.rrset(name, Number(type));
      const same = before.length === records.length && records.every((r) => before.some((b) => sameRData(b.data, r.data) && b.ttl === r.ttl));
      if (!same) out.push({ kind: 'rrset', name, type: Number(type), records });
    }
    for (const [key, value] of this.members) {
      const [name, type, address] = key.split('|') as [string, string, string];
      out.push(this.source === 'health' ? { kind: 'health', name, type: Number(type), address, up: value } : { kind: 'service', name, type: Number(type), address, inService: value });
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

