import { readFileSync } from 'node:fs';
import { Reader } from 'maxmind';
const city = new Reader(readFileSync('geoip/sample-City.mmdb'));
const asn = new Reader(readFileSync('geoip/sample-ASN.mmdb'));
console.log(city.metadata.databaseType, city.metadata.nodeCount, city.metadata.recordSize, city.metadata.ipVersion);
for (const ip of ['127.1.2.3', '127.1.200.9', '127.0.0.1', '198.51.100.7', '203.0.113.200', '2001:db8:100::1', '2001:db8:1234:5600::', '::ffff:127.10.0.1', '2001:db9::1', '10.0.0.1']) {
  console.log(ip, JSON.stringify(city.getWithPrefixLength(ip)), JSON.stringify(asn.getWithPrefixLength(ip)));
}
