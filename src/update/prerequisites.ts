// RFC 2136 §3.2: prerequisites, checked in order; the first that fails decides the rcode.
import { isAtOrBelow, ok, Rcode, recordKey, type Result, RRClass, RRType } from '../core/index.ts';
import { type Refusal, refuse, type UpdateRR, type UpdateZone } from './model.ts';
import { rdataKey } from './rdata.ts';

/**
 * class  type   rdata   meaning                          fails with
 * ANY    ANY    empty   name is in use                   NXDOMAIN
 * ANY    T      empty   RRset exists (any value)         NXRRSET
 * NONE   ANY    empty   name is not in use               YXDOMAIN
 * NONE   T      empty   RRset does not exist             YXRRSET
 * IN     T      data    RRset exists with exactly these  NXRRSET
 * (TTL not 0, rdata where none belongs, other class: FORMERR; name outside the zone: NOTZONE)
 */
export function checkPrerequisites(
  prerequisites: readonly UpdateRR[],
  zone: UpdateZone,
): Result<undefined, Refusal> {
  const valueSets = new Map<string, UpdateRR[]>();
  for (const rr of prerequisites) {
    if (rr.ttl !== 0)
      return refuse(Rcode.FORMERR, `prerequisite ${rr.name} has TTL ${rr.ttl}, not 0`);
    if (!isAtOrBelow(rr.name, zone.origin))
      return refuse(Rcode.NOTZONE, `prerequisite ${rr.name} is outside ${zone.origin}`);
    const inUse = zone.types(rr.name).length > 0;
    if (rr.class === RRClass.ANY || rr.class === RRClass.NONE) {
      if (rr.data !== undefined)
        return refuse(Rcode.FORMERR, `prerequisite ${rr.name} of class ${rr.class} carries data`);
      const exists = rr.type === RRType.ANY ? inUse : zone.rrset(rr.name, rr.type).length > 0;
      if (rr.class === RRClass.ANY && !exists)
        return rr.type === RRType.ANY
          ? refuse(Rcode.NXDOMAIN, `${rr.name} is not in use`)
          : refuse(Rcode.NXRRSET, `no ${rr.type} RRset at ${rr.name}`);
      if (rr.class === RRClass.NONE && exists)
        return rr.type === RRType.ANY
          ? refuse(Rcode.YXDOMAIN, `${rr.name} is in use`)
          : refuse(Rcode.YXRRSET, `a ${rr.type} RRset exists at ${rr.name}`);
    } else if (rr.class === RRClass.IN) {
      const key = recordKey(rr.name, rr.type);
      const set = valueSets.get(key);
      if (set) set.push(rr);
      else valueSets.set(key, [rr]);
    } else {
      return refuse(Rcode.FORMERR, `prerequisite of class ${rr.class}`);
    }
  }
  // RFC 2136 §3.2.3: the RRset is exactly these records (compared by identity, each side once).
  for (const wanted of valueSets.values()) {
    const { name, type } = wanted[0]!;
    const have = new Set(zone.rrset(name, type).map((rr) => rdataKey(rr.data)));
    const want = new Set(wanted.map((w) => (w.data ? rdataKey(w.data) : '')));
    const same = have.size === want.size && [...want].every((k) => have.has(k));
    if (!same)
      return refuse(Rcode.NXRRSET, `the ${type} RRset at ${name} is not exactly as required`);
  }
  return ok(undefined);
}
