// npm run geoip:build: geoip/sample.yaml → geoip/sample-City.mmdb and geoip/sample-ASN.mmdb.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../src/core/index.ts';
import { buildSampleDatabases } from '../src/geo/index.ts';

const dir = fileURLToPath(new URL('../geoip/', import.meta.url));
const source = `${dir}sample.yaml`;
const built = buildSampleDatabases(readFileSync(source, 'utf8'), source);
for (const d of built.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
if (built.diagnostics.some((d) => d.severity === 'error')) process.exit(1);
writeFileSync(`${dir}sample-City.mmdb`, built.city);
writeFileSync(`${dir}sample-ASN.mmdb`, built.asn);
process.stdout.write(
  `wrote sample-City.mmdb (${built.city.length} bytes) and sample-ASN.mmdb (${built.asn.length} bytes)\n`,
);
