// The API on node:http: requests become ApiRequest values, responses JSON; bodies are bounded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { route } from './routes.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

const MAX_BODY_BYTES = 64 * 1024;

export interface HttpListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `handle` on host:port; `handle` gets the request's parsed body. */
export async function listenHttp(host: string, port: number, handle: (req: http.IncomingMessage, body: Buffer | undefined, res: http.ServerResponse) => void): Promise<HttpListener> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => handle(req, size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks), res));
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host, port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export function apiHandler(ctx: ApiContext, onError: (e: unknown) => void) {
  return (req: http.IncomingMessage, body: Buffer | undefined, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://api');
    let parsed: unknown;
    let bodyError: string | undefined;
    if (body === undefined) bodyError = `the body is larger than ${MAX_BODY_BYTES} bytes`;
    else if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (e) {
        bodyError = `the body is not JSON: ${(e as Error).message}`;
      }
    }
    const request: ApiRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, body: parsed, ...(bodyError ? { bodyError } : {}) };
    route(request, ctx).then(
      (r) => send(res, r, req.method === 'HEAD'),
      (e: unknown) => {
        onError(e);
        send(res, { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } }, false);
      },
    );
  };
}

function send(res: http.ServerResponse, r: ApiResponse, head: boolean): void {
  const text = typeof r.body === 'string' ? r.body : `${JSON.stringify(r.body, null, 2)}\n`;
  res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(head ? undefined : text);
}
