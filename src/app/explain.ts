// gslb explain and gslb geoip: one decision, or one address, against the data on disk.
import { addressText, type Diagnostic } from '../core/index.ts';
import { explain, type ExplainRequest, NO_HEALTH } from '../resolve/index.ts';
import { randomChooser } from './chooser.ts';
import { loadData, loadGeoDir } from './data.ts';

/** One real decision against the zones and GeoIP data on disk; no health state here, so every member counts as up. */
export async function explainQuery(
  zonesDir: string,
  geoipDir: string | undefined,
  r: ExplainRequest,
): Promise<{ text: string | undefined; diagnostics: readonly Diagnostic[] }> {
  const loaded = await loadData(zonesDir, geoipDir);
  if (!loaded.data) return { text: undefined, diagnostics: loaded.diagnostics };
  const { text } = explain(r, { ...loaded.data, health: NO_HEALTH }, randomChooser());
  return { text, diagnostics: loaded.diagnostics };
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
