// Real HTTP backends on 127.0.0.x for health tests, each switchable between ok, 500, hang, flap and stopped.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Mode = 'ok' | '500' | 'hang' | 'flap';

export interface Backend {
  readonly address: string;
  port: number;
  mode: Mode;
  requests: number;
  /** Source addresses whose connections are closed at once (a firewall in front of one vantage point). */
  readonly refuse: Set<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startBackend(address: string, port: number): Promise<Backend> {
  const sockets = new Set<Socket>();
  let server: http.Server | undefined;
  const backend: Backend = {
    address,
    port,
    mode: 'ok',
    requests: 0,
    refuse: new Set(),
    start: async () => {
      const s = http.createServer((_req, res) => {
        backend.requests++;
        if (backend.mode === 'hang') return; // never answers
        const ok = backend.mode === 'ok' || (backend.mode === 'flap' && backend.requests % 2 === 0);
        res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'failing');
      });
      s.on('connection', (c) => {
        if (c.remoteAddress && backend.refuse.has(c.remoteAddress)) return void c.destroy();
        sockets.add(c);
        c.once('close', () => sockets.delete(c));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(backend.port, address, () => resolve());
      });
      backend.port = (s.address() as AddressInfo).port;
      server = s;
    },
    stop: async () => {
      const s = server;
      if (!s) return;
      server = undefined;
      const closing = new Promise<void>((resolve) => s.close(() => resolve()));
      for (const c of sockets) c.destroy();
      await closing;
    },
  };
  await backend.start();
  return backend;
}

/** Backends on 127.0.0.2, .3, ... sharing one port (a health check has one port for all members). */
export async function startBackends(count: number): Promise<Backend[]> {
  for (let attempt = 0; ; attempt++) {
    const started: Backend[] = [await startBackend('127.0.0.2', 0)];
    try {
      for (let i = 1; i < count; i++)
        started.push(await startBackend(`127.0.0.${2 + i}`, started[0]!.port));
      return started;
    } catch (e) {
      await Promise.all(started.map((b) => b.stop()));
      if (attempt >= 5) throw e;
    }
  }
}
