// A throwaway certificate authority for TLS tests (openssl): a CA, and pairs it signed for 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './tools.ts';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[]): void {
  execFileSync(requireTool('openssl'), args, { stdio: 'ignore' });
}

/** ca.pem and ca.key in `dir`; `pair(name, usage)` writes name.pem and name.key signed by it. */
export function testCa(dir: string): {
  ca: string;
  pair(name: string, usage: 'serverAuth' | 'clientAuth'): { cert: string; key: string };
} {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  openssl([
    'req',
    '-x509',
    ...EC,
    '-days',
    '2',
    '-subj',
    '/CN=gslb test CA',
    '-keyout',
    caKey,
    '-out',
    ca,
  ]);
  return {
    ca,
    pair(name, usage) {
      const cert = join(dir, `${name}.pem`);
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `subjectAltName=IP:127.0.0.1\nextendedKeyUsage=${usage}\n`);
      openssl(['req', ...EC, '-subj', `/CN=${name}`, '-keyout', key, '-out', csr]);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          ca,
          '-CAkey',
          caKey,
          '-CAcreateserial',
          '-days',
          '2',
        ].concat(['-extfile', ext, '-out', cert]),
      );
      return { cert, key };
    },
  };
}
