// Rule matching (octoDNS semantics plus asns/isps), and the address block each test depended on (ECS scope).
import { cidrContains, commonPrefixLength, geoMatches } from '../core/index.ts';
import type { ClientFacts } from '../geo/index.ts';
import type { Rule } from '../zone/index.ts';

export interface RuleResult {
  readonly matched: boolean;
  /** The prefix length of the client's block over which this rule's result is the same. */
  readonly scopePrefix: number;
  readonly detail: string;
}

/**
 * location  = no geos and no subnets, or client in any subnet, or client in any geo
 * matched   = location and (no asns or asn listed) and (no isps or isp listed)
 */
export function matchRule(
  rule: Rule,
  address: Uint8Array | undefined,
  facts: () => ClientFacts,
): RuleResult {
  let scope = 0;
  let location = rule.geos.length === 0 && rule.subnets.length === 0;
  let why = location ? 'matches every location' : '';
  for (const s of rule.subnets) {
    if (!address || address.length !== s.cidr.bytes.length) continue;
    const inside = cidrContains(s.cidr, address);
    // Inside: the subnet decides. Outside: the largest block around the client that misses the subnet.
    scope = Math.max(
      scope,
      inside
        ? s.cidr.prefix
        : Math.min(commonPrefixLength(s.cidr.bytes, address) + 1, address.length * 8),
    );
    if (inside && !location) [location, why] = [true, `client in subnet ${s.text}`];
  }
  if (!location && rule.geos.length > 0) {
    const f = facts();
    scope = Math.max(scope, f.geoScope);
    const geo = rule.geos.find((g) => geoMatches(f.geo, g));
    if (geo !== undefined) [location, why] = [true, `client geo ${f.geo} is in ${geo}`];
  }
  if (!location)
    return {
      matched: false,
      scopePrefix: scope,
      detail: `client not in ${[...rule.geos, ...rule.subnets.map((s) => s.text)].join(', ')}`,
    };
  if (rule.asns.length > 0 || rule.isps.length > 0) {
    const f = facts();
    scope = Math.max(scope, f.networkScope);
    if (rule.asns.length > 0 && (f.asn === undefined || !rule.asns.includes(f.asn))) {
      return {
        matched: false,
        scopePrefix: scope,
        detail: `${why}, but AS${f.asn ?? '?'} is not in ${rule.asns.join(', ')}`,
      };
    }
    if (rule.isps.length > 0 && (f.isp === undefined || !rule.isps.includes(f.isp.toLowerCase()))) {
      return {
        matched: false,
        scopePrefix: scope,
        detail: `${why}, but ISP "${f.isp ?? '?'}" is not in ${rule.isps.join(', ')}`,
      };
    }
    why += rule.asns.length > 0 ? `, AS${f.asn}` : `, ISP ${f.isp}`;
  }
  return { matched: true, scopePrefix: scope, detail: why };
}
