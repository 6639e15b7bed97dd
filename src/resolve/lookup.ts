// Authoritative lookup (RFC 1034 §4.3.2, RFC 4592 wildcards, RFC 8482 ANY, RFC 2308 negative answers).
import { isAtOrBelow, parentName, type RR, RRType } from '../core/index.ts';
import type { RRset, Zone, ZoneSet } from '../zone/index.ts';
import type { Answer, AnswerWithSections, Query } from './answer.ts';
import type { DynamicDecision } from './dynamic.ts';

/** Decides a dynamic RRset's records for this query (the caller binds client, health and randomness). */
export type DecideDynamic = (rrset: RRset) => DynamicDecision;

const MAX_CNAME_CHAIN = 16;

/** The zone that answers `name`: longest suffix; DS at a zone apex is the parent's (RFC 4035 §3.1.4.1). */
export function findZone(zones: ZoneSet, name: string, type: number): Zone | undefined {
  let found: Zone | undefined;
  for (let n: string | undefined = name; n !== undefined; n = parentName(n)) {
    const zone = zones.zones.get(n);
    if (!zone) continue;
    if (!found) {
      found = zone;
      if (!(type === RRType.DS && n === name)) return found;
    } else {
      return zone;
    }
  }
  return found;
}

type Step =
  | { readonly kind: 'records'; readonly rrset: RRset }
  | { readonly kind: 'cname'; readonly rrset: RRset }
  | { readonly kind: 'nodata' }
  | { readonly kind: 'nxdomain' }
  | { readonly kind: 'cut'; readonly cut: string };

/** Answers a query from the zones, following in-zone CNAME chains; dynamic RRsets are decided by `decide`. */
export function lookup(zones: ZoneSet, query: Query, decide: DecideDynamic): Answer {
  const zone = findZone(zones, query.name, query.type);
  if (!zone) return { kind: 'refused', reason: `no zone for ${query.name}` };
  const chain: RR[] = [];
  const seen = new Set<string>();
  let name = query.name;
  for (;;) {
    seen.add(name);
    const step = lookupName(zone, name, query.type);
    switch (step.kind) {
      case 'records': {
        const wildcard = step.rrset.name === name ? undefined : step.rrset.name;
        if (step.rrset.dynamic)
          return withWildcard(dynamicAnswer(zone, chain, name, decide(step.rrset)), wildcard);
        // Addresses of in-zone name servers ride along with an NS answer, as NSD and BIND do.
        const extra =
          step.rrset.type === RRType.NS ? nameServerAddresses(zone, step.rrset.records) : [];
        return withWildcard(
          sections('answer', zone, [...chain, ...ownedBy(step.rrset, name)], [], extra),
          wildcard,
        );
      }
      case 'nodata':
      case 'nxdomain':
        return sections(step.kind, zone, chain, [negativeSoa(zone)]);
      case 'cut':
        return referral(zone, step.cut, chain);
      case 'cname': {
        const rr = ownedBy(step.rrset, name)[0]!;
        chain.push(rr);
        const target = rr.data.type === 'CNAME' ? rr.data.target : name;
        // Chains stop at the zone's edge, at a loop, or after MAX_CNAME_CHAIN links.
        if (
          !isAtOrBelow(target, zone.origin) ||
          seen.has(target) ||
          chain.length >= MAX_CNAME_CHAIN
        ) {
          return sections('answer', zone, chain, []);
        }
        name = target;
        break;
      }
      default: {
        const never: never = step;
        throw new Error(`unhandled step ${String(never)}`);
      }
    }
  }
}

function lookupName(zone: Zone, name: string, type: number): Step {
  const cut = delegationAbove(zone, name, type);
  if (cut !== undefined) return { kind: 'cut', cut };
  const node = zone.nodes.get(name) ?? zone.nodes.get(wildcardFor(zone, name));
  if (!node) return { kind: 'nxdomain' };
  if (node.rrsets.size === 0) return { kind: 'nodata' }; // empty non-terminal, RFC 4592 §2.2.2
  const cname = node.rrsets.get(RRType.CNAME);
  if (cname && type !== RRType.CNAME)
    return type === RRType.ANY
      ? { kind: 'records', rrset: cname }
      : { kind: 'cname', rrset: cname };
  if (type === RRType.ANY) return { kind: 'records', rrset: minimalAny(node.rrsets) };
  const rrset = node.rrsets.get(type);
  return rrset ? { kind: 'records', rrset } : { kind: 'nodata' };
}

/** The highest delegation point on the way from the apex to `name`; a DS query at the cut itself stays here. */
function delegationAbove(zone: Zone, name: string, type: number): string | undefined {
  if (zone.cuts.size === 0) return undefined;
  let highest: string | undefined;
  for (let n: string | undefined = name; n !== undefined && n !== zone.origin; n = parentName(n)) {
    if (zone.cuts.has(n) && !(n === name && type === RRType.DS)) highest = n;
  }
  return highest;
}

/** `*.<closest encloser>` (RFC 4592 §3.3.1): the nearest existing ancestor, empty non-terminals included. */
function wildcardFor(zone: Zone, name: string): string {
  let encloser = parentName(name);
  while (encloser !== undefined && !zone.nodes.has(encloser)) encloser = parentName(encloser);
  return encloser === '.' || encloser === undefined ? '*.' : `*.${encloser}`;
}

/**
 * RFC 8482 §4.2: one RRset instead of all: the SOA at an apex (as NSD), else the lowest type code, so the
 * choice is stable.
 */
function minimalAny(rrsets: ReadonlyMap<number, RRset>): RRset {
  let best = rrsets.get(RRType.SOA);
  if (best) return best;
  for (const rrset of rrsets.values()) if (!best || rrset.type < best.type) best = rrset;
  return best!;
}

/** Records of `rrset` owned by `name`: the same records, or synthesized from a wildcard. */
function ownedBy(rrset: RRset, name: string): readonly RR[] {
  return rrset.name === name ? rrset.records : rrset.records.map((rr) => ({ ...rr, name }));
}

/** RFC 2308 §3: the SOA in authority, its TTL the lesser of its own TTL and its minimum field. */
function negativeSoa(zone: Zone): RR {
  const soa = zone.soa;
  const minimum = soa.data.type === 'SOA' ? soa.data.minimum : soa.ttl;
  return minimum < soa.ttl ? { ...soa, ttl: minimum } : soa;
}

function referral(zone: Zone, cut: string, chain: readonly RR[]): Answer {
  const ns = zone.nodes.get(cut)?.rrsets.get(RRType.NS)?.records ?? [];
  return {
    kind: 'delegation',
    zone: zone.origin,
    answer: chain,
    authority: ns,
    additional: nameServerAddresses(zone, ns),
    scopePrefix: 0,
  };
}

/** A and AAAA records this zone holds for the targets of NS records: glue below a cut, addresses elsewhere. */
function nameServerAddresses(zone: Zone, ns: readonly RR[]): RR[] {
  const out: RR[] = [];
  for (const rr of ns) {
    if (rr.data.type !== 'NS' || !isAtOrBelow(rr.data.target, zone.origin)) continue;
    const target = zone.nodes.get(rr.data.target);
    for (const type of [RRType.A, RRType.AAAA])
      out.push(...(target?.rrsets.get(type)?.records ?? []));
  }
  return out;
}

function dynamicAnswer(
  zone: Zone,
  chain: readonly RR[],
  name: string,
  decision: DynamicDecision,
): AnswerWithSections {
  const { scopePrefix, trace, record } = decision;
  if (decision.records.length === 0)
    return {
      kind: 'nodata',
      zone: zone.origin,
      answer: chain,
      authority: [negativeSoa(zone)],
      additional: [],
      scopePrefix,
      trace,
      record,
    };
  const records = decision.records.map((rr) => (rr.name === name ? rr : { ...rr, name }));
  return {
    kind: 'answer',
    zone: zone.origin,
    answer: chain.length === 0 ? records : [...chain, ...records],
    authority: [],
    additional: [],
    scopePrefix,
    trace,
    record,
  };
}

function withWildcard(
  answer: AnswerWithSections,
  wildcard: string | undefined,
): AnswerWithSections {
  return wildcard === undefined ? answer : { ...answer, wildcard };
}

function sections(
  kind: 'answer' | 'nodata' | 'nxdomain',
  zone: Zone,
  answer: readonly RR[],
  authority: readonly RR[],
  additional: readonly RR[] = [],
): AnswerWithSections {
  return { kind, zone: zone.origin, answer, authority, additional, scopePrefix: 0 };
}
