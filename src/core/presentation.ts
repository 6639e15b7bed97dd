// Records as zone-file text ("www.example.com. 60 IN A 192.0.2.1"), for explain output, logs and tests.
import { type RData, type RR, RRClass, typeName } from './types.ts';

export function formatRR(rr: RR): string {
  const klass = rr.class === RRClass.IN ? 'IN' : `CLASS${rr.class}`;
  return `${rr.name} ${rr.ttl} ${klass} ${typeName(rr.type)} ${formatRData(rr.data)}`;
}

export function formatRData(d: RData): string {
  switch (d.type) {
    case 'A':
    case 'AAAA':
      return d.address;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return d.target;
    case 'MX':
      return `${d.preference} ${d.exchange}`;
    case 'TXT':
      return d.strings.map(quote).join(' ');
    case 'SRV':
      return `${d.priority} ${d.weight} ${d.port} ${d.target}`;
    case 'CAA':
      return `${d.flags} ${d.tag} ${quote(d.value)}`;
    case 'SOA':
      return `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'DS':
      return `${d.keyTag} ${d.algorithm} ${d.digestType} ${d.digest.toUpperCase()}`;
    case 'UNKNOWN':
      return `\\# ${d.data.length} ${Buffer.from(d.data).toString('hex').toUpperCase()}`;
    default: {
      const never: never = d;
      throw new Error(`unhandled rdata ${String(never)}`);
    }
  }
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
