// Probes against real local servers: HTTPS with a self-signed certificate, the Host header, TCP; targets shared.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healthTargets, probe, type ProbeSpec } from '../../src/health/index.ts';
import { snapshotOf } from '../helpers/snapshot.ts';
import { requireTool } from '../helpers/tools.ts';

/** Answers 200 only when the Host header names the service, as a virtual-hosted backend would. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  res
    .writeHead(req.headers.host === 'svc.example.test' && req.url === '/healthz' ? 200 : 404)
    .end();
}

async function listen(server: http.Server | https.Server, address: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, address, () => resolve()));
  return (server.address() as AddressInfo).port;
}

const spec = (over: Partial<ProbeSpec>): ProbeSpec => ({
  protocol: 'HTTP',
  address: '127.0.0.5',
  port: 1,
  host: 'svc.example.test',
  path: '/healthz',
  expect: [200, 399],
  timeoutMs: 1000,
  tlsVerify: false,
  ...over,
});

test('HTTPS: a self-signed certificate passes unless tls_verify asks for it to be checked', async (t) => {
  requireTool('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'gslb-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=svc.example.test',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const server = https.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      handler,
    );
    const port = await listen(server, '127.0.0.5');
    try {
      t.like(await probe(spec({ protocol: 'HTTPS', port })), { ok: true, detail: 'HTTP 200' });
      t.like(await probe(spec({ protocol: 'HTTPS', port, tlsVerify: true })), { ok: false });
      t.like(
        await probe(spec({ protocol: 'HTTPS', port, host: 'other.example.test' })),
        { ok: false, detail: 'HTTP 404' },
        'the Host header is sent',
      );
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HTTP: status range and path; TCP: connect or refuse', async (t) => {
  const server = http.createServer(handler);
  const port = await listen(server, '127.0.0.6');
  try {
    t.like(await probe(spec({ address: '127.0.0.6', port })), { ok: true });
    t.like(await probe(spec({ address: '127.0.0.6', port, path: '/missing' })), {
      ok: false,
      detail: 'HTTP 404',
    });
    t.like(
      await probe(spec({ address: '127.0.0.6', port, path: '/missing', expect: [200, 499] })),
      { ok: true },
    );
    t.like(await probe(spec({ protocol: 'TCP', address: '127.0.0.6', port })), {
      ok: true,
      detail: 'connected',
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
  t.like(await probe(spec({ protocol: 'TCP', address: '127.0.0.6', port })), { ok: false });
});

test(
  'one target per distinct (protocol, address, port, host, path), whatever the number of records ' +
    'using it',
  (t) => {
    const record = (name: string, path: string) => `${name}:
  type: A
  values: [192.0.2.1]
  dynamic:
    pools: {p: {values: [{value: 192.0.2.1}, {value: 192.0.2.2}]}}
    rules: [{pool: p}]
  healthcheck: {protocol: HTTP, port: 80, host: svc.example.test, path: ${path}, interval: 5s, timeout: 1s}
`;
    const zone =
      `'':\n  - {type: SOA, value: {mname: ns1.t.test., rname: h.t.test., refresh: 1, retry: 1, ` +
      `expire: 1, minimum: 1}}\n  - {type: NS, values: [ns1.t.test.]}\nns1: {type: A, value: 192.0.2.53}\n` +
      `${record('a', '/healthz')}${record('b', '/healthz')}${record('c', '/other')}`;
    const targets = healthTargets(
      snapshotOf({ 't.test.yaml': zone }).zones.zones.values(),
      () => undefined,
    );
    t.deepEqual(targets.map((x) => [x.key, x.subscribers.map((s) => s.name)]).sort(), [
      ['HTTP|192.0.2.1|80|svc.example.test|/healthz', ['a.t.test.', 'b.t.test.']],
      ['HTTP|192.0.2.1|80|svc.example.test|/other', ['c.t.test.']],
      ['HTTP|192.0.2.2|80|svc.example.test|/healthz', ['a.t.test.', 'b.t.test.']],
      ['HTTP|192.0.2.2|80|svc.example.test|/other', ['c.t.test.']],
    ]);
  },
);
