// HTTP listeners (the API and the redirect tier) behind one boundary: bodies bounded before they are read, every
// request answered, nothing a peer sends able to throw past it.
import { errorMessage } from '../core/index.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { route } from './routes.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

export interface HttpListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A request with its whole body (at most `maxBodyBytes`); it may answer later. */
export type HttpHandler = (
  req: http.IncomingMessage,
  body: Buffer,
  res: http.ServerResponse,
) => void | Promise<void>;

export interface HttpOptions {
  /** Larger bodies are refused (413): from Content-Length before a byte is read, or once a chunked body passes it. */
  readonly maxBodyBytes: number;
  /** How an error the boundary answers is written (the API answers JSON, the redirect tier text). */
  readonly errorBody: (
    status: number,
    code: string,
    message: string,
  ) => { contentType: string; text: string };
  /** A request that threw inside the server: our bug, answered 500 and reported here (the caller logs it). */
  readonly onError: (error: unknown, req: http.IncomingMessage) => void;
}

/**
 * Open connections beyond this are refused by the kernel's backlog, not held (idle ones close after
 * keepAliveTimeout).
 */
const MAX_HTTP_CONNECTIONS = 512;

export async function listenHttp(
  host: string,
  port: number,
  handle: HttpHandler,
  options: HttpOptions,
): Promise<HttpListener> {
  const server = http.createServer((req, res) => receive(req, res, handle, options));
  server.maxConnections = MAX_HTTP_CONNECTIONS;
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.on('error', () => undefined); // accept errors (EMFILE) are retried by the next connection
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function receive(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  handle: HttpHandler,
  options: HttpOptions,
): void {
  const fail = (status: number, code: string, message: string): void =>
    refuse(req, res, options, status, code, message);
  const declared = req.headers['content-length'];
  if (declared !== undefined && !/^\d{1,15}$/.test(declared))
    return fail(400, 'BAD_REQUEST', 'Content-Length is not a number');
  if (declared !== undefined && Number(declared) > options.maxBodyBytes) {
    return fail(413, 'BODY_TOO_LARGE', `the body is larger than ${options.maxBodyBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= options.maxBodyBytes) chunks.push(c);
    else if (!res.headersSent)
      fail(413, 'BODY_TOO_LARGE', `the body is larger than ${options.maxBodyBytes} bytes`);
  });
  req.on('end', () => {
    if (size > options.maxBodyBytes) return;
    try {
      const done = handle(req, Buffer.concat(chunks), res);
      if (done instanceof Promise) done.catch((e: unknown) => failed(e, req, res, options));
    } catch (e) {
      failed(e, req, res, options);
    }
  });
  req.on('error', () => res.destroy());
}

/** After an early answer, what is left of a body is read and dropped for this long (at most this much), then cut. */
const LINGER_MS = 2000;
const LINGER_BYTES = 4 * 1024 * 1024;

/**
 * Answers an error without keeping what is left of the body. The connection is not closed at once: the client's
 * remaining bytes are read and dropped for a moment (an answer followed by a close with bytes unread would be lost to
 * a reset), then it is cut if the body is still coming.
 */
function refuse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: HttpOptions,
  status: number,
  code: string,
  message: string,
): void {
  req.removeAllListeners('data');
  const body = options.errorBody(status, code, message);
  res.writeHead(status, {
    'content-type': body.contentType,
    'content-length': Buffer.byteLength(body.text),
    'cache-control': 'no-store',
  });
  res.end(body.text);
  const socket = req.socket;
  let dropped = 0;
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  cut.unref();
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > LINGER_BYTES) socket.destroy();
  });
  req.on('end', () => clearTimeout(cut));
  req.on('close', () => clearTimeout(cut));
  req.resume();
}

function failed(
  e: unknown,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: HttpOptions,
): void {
  options.onError(e, req);
  if (res.headersSent) res.destroy();
  else refuse(req, res, options, 500, 'INTERNAL', 'internal error');
}

/** JSON errors, as every API answer. */
export function jsonError(
  _status: number,
  code: string,
  message: string,
): { contentType: string; text: string } {
  return {
    contentType: 'application/json; charset=utf-8',
    text: `${JSON.stringify({ error: { code, message } }, null, 2)}\n`,
  };
}

export function apiHandler(ctx: ApiContext): HttpHandler {
  return async (req, body, res) => {
    const target = requestTarget(req.url);
    if (!target)
      return send(
        res,
        {
          status: 400,
          body: { error: { code: 'BAD_REQUEST', message: 'the request target is not a path' } },
        },
        false,
      );
    let parsed: unknown;
    let bodyError: string | undefined;
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (e) {
        bodyError = `the body is not JSON: ${errorMessage(e)}`;
      }
    }
    const request: ApiRequest = {
      method: req.method ?? 'GET',
      path: target.pathname,
      query: target.searchParams,
      authorization: req.headers.authorization,
      body: parsed,
      ...(bodyError ? { bodyError } : {}),
    };
    send(res, await route(request, ctx), req.method === 'HEAD');
  };
}

/**
 * The path and query of a request target: origin form ("/a/b?c=d") or absolute form ("http://host/a"); undefined
 * for anything else ("*", "x", a path with characters a URI may not hold, "//[").
 */
function requestTarget(
  url: string | undefined,
): { pathname: string; searchParams: URLSearchParams } | undefined {
  if (url === undefined) return undefined;
  if (url.startsWith('/')) {
    // RFC 3986 §3.3, §3.4: a path and query hold pchar, "/" and "?" only; "[", "]", "{", "|", ... must be encoded.
    if (!/^[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*$/.test(url)) return undefined;
    const q = url.indexOf('?');
    return {
      pathname: q < 0 ? url : url.slice(0, q),
      searchParams: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    };
  }
  if (!/^https?:\/\//i.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return { pathname: parsed.pathname, searchParams: parsed.searchParams };
  } catch {
    return undefined;
  }
}

function send(res: http.ServerResponse, r: ApiResponse, head: boolean): void {
  const text = typeof r.body === 'string' ? r.body : `${JSON.stringify(r.body, null, 2)}\n`;
  res.writeHead(r.status, {
    ...r.headers,
    'content-type': r.contentType ?? 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(head ? undefined : text);
}
