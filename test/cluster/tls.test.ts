// TLS to etcd: a real etcd member serving its clients over TLS and asking each for a certificate, with a CA made
// for the test by openssl. A node with the CA and its own pair follows etcd and commits; one without a client
// certificate is refused by etcd and serves what it has; a TLS setting that cannot work stops the start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Rcode } from '../../src/core/index.ts';
import { decodeMessage } from '../../src/dns/index.ts';
import { type EtcdCluster, startEtcd } from '../helpers/etcd.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testCa } from '../helpers/tls.ts';
import { rrOf, signedUpdate } from '../helpers/wire.ts';
import { serviceZone } from '../helpers/zones.ts';

const SECRET = Buffer.from('tls-test-secret-0123456789abcdef').toString('base64');
const KEY = {
  name: 'ops-key.',
  algorithm: 'hmac-sha256' as const,
  secret: Buffer.from(SECRET, 'base64'),
};

let etcd: EtcdCluster;
let dir: string;
let files: { ca: string; cert: string; key: string };

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gslb-etcd-tls-'));
  const ca = testCa(dir);
  const server = ca.pair('etcd', 'serverAuth');
  const client = ca.pair('gslb', 'clientAuth');
  files = { ca: ca.ca, ...client };
  etcd = await startEtcd(1, {
    ca: ca.ca,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
  });
});

test.after.always(async () => {
  await etcd?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function node(
  name: string,
  tls: { ca: string | undefined; cert: string | undefined; key: string | undefined },
  endpoints = etcd.endpoints,
): Promise<TestServer> {
  return startTestServer(
    { 't.test.yaml': serviceZone('t.test', 2, 3) },
    {
      dbPath: join(dir, `${name}.sqlite`),
      tsigKeys: [{ name: 'ops-key.', algorithm: 'hmac-sha256', secret: SECRET, zones: undefined }],
      cluster: {
        node: name,
        etcd: {
          endpoints,
          prefix: 'tls/',
          username: undefined,
          password: undefined,
          maxTxnOps: 128,
          tls,
        },
        healthQuorum: 'majority',
      },
    },
  );
}

test.serial('with the CA and a client pair a node follows etcd over TLS and commits', async (t) => {
  t.true(etcd.endpoints.every((e) => e.startsWith('https://')));
  const a = await node('a', files);
  try {
    t.true(
      a.logs.some((l) => /cluster: node a follows etcd/.test(l)),
      a.logs.join('\n'),
    );
    const update = signedUpdate('t.test.', [rrOf('over.t.test. 60 IN A 192.0.2.44')], KEY, {
      id: 1,
    });
    t.is(decodeMessage((await a.app.update(update, '127.0.0.1')).reply).rcode, Rcode.NOERROR);
    t.is(a.app.live().serials.get('t.test.'), 4);
  } finally {
    await a.close();
  }
});

test.serial(
  'without a client certificate etcd refuses the node: it serves what it has, writes refused',
  async (t) => {
    const b = await node('b', { ca: files.ca, cert: undefined, key: undefined });
    try {
      t.true(
        b.logs.some((l) => /etcd does not answer/.test(l)),
        b.logs.join('\n'),
      );
      const update = signedUpdate('t.test.', [rrOf('no.t.test. 60 IN A 192.0.2.45')], KEY, {
        id: 2,
      });
      t.is(decodeMessage((await b.app.update(update, '127.0.0.1')).reply).rcode, Rcode.SERVFAIL);
    } finally {
      await b.close();
    }
  },
);

test.serial('TLS settings that cannot work stop the start with what is wrong', async (t) => {
  const plain = etcd.endpoints.map((e) => e.replace('https://', 'http://'));
  await t.throwsAsync(node('c', files, plain), { message: /tls needs https:\/\/ endpoints/ });
  await t.throwsAsync(node('d', { ...files, key: undefined }), {
    message: /cert and key go together/,
  });
  await t.throwsAsync(node('e', { ...files, ca: join(dir, 'missing.pem') }), {
    message: /cluster\.etcd\.tls\.ca: .*ENOENT/,
  });
});
