// gslb explain and gslb geoip: one decision, or one address, against the data on disk.
import { absoluteName, addressText, type Cidr, type Diagnostic } from '../core/index.ts';
import { formatExplanation, NO_HEALTH, resolve, type Snapshot } from '../resolve/index.ts';
import { randomChooser } from './chooser.ts';
import { loadData, loadGeoDir } from './data.ts';

export interface ExplainRequest {
  readonly name: string;
  readonly type: number;
  readonly client: Uint8Array;
  readonly clientText: string;
  readonly ecs: Cidr | undefined;
  readonly ecsText: string | undefined;
}

/** One real decision against the zones and GeoIP data on disk; no health state here, so every member counts as up. */
export async function explainQuery(
  zonesDir: string,
  geoipDir: string | undefined,
  r: ExplainRequest,
): Promise<{ text: string | undefined; diagnostics: readonly Diagnostic[] }> {
  const loaded = await loadData(zonesDir, geoipDir);
  if (!loaded.data) return { text: undefined, diagnostics: loaded.diagnostics };
  const snapshot: Snapshot = { ...loaded.data, health: NO_HEALTH };
  // As on the wire: an ECS address decides unless its prefix is /0.
  const address = r.ecs && r.ecs.prefix > 0 ? r.ecs.bytes : r.client;
  const prefix = r.ecs && r.ecs.prefix > 0 ? r.ecs.prefix : address.length * 8;
  const query = { name: absoluteName(r.name.replace(/\.$/, ''), '.'), type: r.type };
  const answer = resolve(query, { address, prefix }, snapshot, randomChooser());
  const facts = snapshot.geo?.lookup(address);
  return {
    text: formatExplanation({ query, client: r.clientText, ecs: r.ecsText, facts, answer }),
    diagnostics: loaded.diagnostics,
  };
}

/** What the GeoIP data says of one address, field by field with sources; undefined text when there is no data. */
export async function describeAddress(
  geoipDir: string | undefined,
  ip: string,
  address: Uint8Array,
): Promise<{ text: string | undefined; diagnostics: readonly Diagnostic[] }> {
  const { geo, diagnostics } = await loadGeoDir(geoipDir);
  if (!geo) return { text: undefined, diagnostics };
  const f = geo.lookup(address);
  const [continent, country, subdivision] = (f.geo ?? '').split('-');
  const row = (label: string, value: string | number | undefined, source?: string): string =>
    `${label.padEnd(12)} ${value || value === 0 ? value : '-'}${source ? `    (${source})` : ''}`;
  const lines = [
    `${ip}${addressText(address) !== ip ? ` (${addressText(address)})` : ''}`,
    row('continent', continent, f.sources.geo),
    row('country', country, f.sources.geo),
    row('subdivision', subdivision, f.sources.geo),
    row('geo code', f.geo),
    row('asn', f.asn, f.sources.asn),
    row('isp', f.isp, f.sources.isp),
    row('same for', `location /${f.geoScope}, network /${f.networkScope}`),
  ];
  return { text: lines.join('\n'), diagnostics };
}
