// geoip/networks.yaml: the operator's own networks (ISP lines, offices), which win over the MaxMind databases.
import { type Cidr, type Diagnostic, geoCodeProblem, parseCidr } from '../core/index.ts';
import { parseYaml, readInteger, readMapping, readString, seqItems } from '../yaml/index.ts';

export interface CustomNetwork {
  readonly cidr: Cidr;
  readonly text: string;
  readonly geo: string | undefined;
  readonly asn: number | undefined;
  readonly isp: string | undefined;
}

export function parseNetworks(
  text: string,
  file: string,
): { networks: CustomNetwork[]; diagnostics: readonly Diagnostic[] } {
  const { root, collector: c } = parseYaml(text, file);
  const networks: CustomNetwork[] = [];
  if (root === undefined || root === null) return { networks, diagnostics: c.sorted() };
  const items = seqItems(root);
  if (!items) c.report(root, 'BAD_STRUCTURE', 'networks.yaml is a list of {cidr, geo, asn, isp}');
  const seen = new Set<string>();
  for (const item of items ?? []) {
    const keys = readMapping(c, item, ['cidr', 'geo', 'asn', 'isp'], 'a network');
    const cidrPair = keys?.get('cidr');
    if (!keys) continue;
    if (!cidrPair) {
      c.report(item, 'MISSING_KEY', 'a network needs "cidr"');
      continue;
    }
    const cidrText = readString(c, cidrPair.value, 'cidr') ?? '';
    const cidr = parseCidr(cidrText);
    if (!cidr.ok) c.report(cidrPair.value, 'BAD_VALUE', cidr.error);
    const geoPair = keys.get('geo');
    const geo = geoPair ? readString(c, geoPair.value, 'geo') : undefined;
    const geoProblem = geo === undefined ? undefined : geoCodeProblem(geo);
    if (geoProblem) c.report(geoPair?.value, 'BAD_VALUE', geoProblem);
    const asnPair = keys.get('asn');
    const asn = asnPair ? readInteger(c, asnPair.value, 0, 4294967295, 'asn') : undefined;
    const ispPair = keys.get('isp');
    const isp = ispPair ? readString(c, ispPair.value, 'isp') : undefined;
    if (!cidr.ok || geoProblem) continue;
    if (seen.has(cidrText))
      c.report(cidrPair.value, 'DUPLICATE_RECORD', `${cidrText} is listed twice`);
    seen.add(cidrText);
    networks.push({ cidr: cidr.value, text: cidrText, geo, asn, isp });
  }
  return { networks, diagnostics: c.sorted() };
}
