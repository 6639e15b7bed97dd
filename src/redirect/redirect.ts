// The HTTP 302 tier (SPEC §7): Host → the record's member chosen as DNS would, from the client's address.
import type http from 'node:http';
import { addressBytes, type Cidr, cidrContains } from '../core/index.ts';

export type RedirectChoice =
  | { readonly kind: 'unknown-host' }
  | { readonly kind: 'member'; readonly location: string } // scheme://host[:port], no path
  | {
      readonly kind: 'none';
      readonly fallbackUrl: string | undefined;
      readonly retryAfterSeconds: number;
    };

export interface RedirectContext {
  /** The choice for a request to `host` (lower case, no port) from `client`. */
  choose(host: string, client: Uint8Array): RedirectChoice;
  /** Peers whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly Cidr[];
}

export interface RedirectReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function redirect(
  req: {
    method: string;
    url: string;
    host: string | undefined;
    peer: string;
    forwardedFor: string | undefined;
  },
  ctx: RedirectContext,
): RedirectReply {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return reply(405, 'only GET and HEAD are redirected\n', { allow: 'GET, HEAD' });
  const host = hostOf(req.host);
  const client = clientOf(req.peer, req.forwardedFor, ctx.trustedProxies);
  if (!host || !client) return reply(404, 'unknown host\n');
  const choice = ctx.choose(host, client);
  switch (choice.kind) {
    case 'unknown-host':
      return reply(404, `no redirect for ${host}\n`);
    case 'member':
      return reply(302, '', { location: `${choice.location}${pathOf(req.url)}` });
    case 'none':
      if (choice.fallbackUrl) return reply(302, '', { location: choice.fallbackUrl });
      return reply(503, 'no healthy member\n', { 'retry-after': String(choice.retryAfterSeconds) });
    default: {
      const never: never = choice;
      throw new Error(`unhandled choice ${String(never)}`);
    }
  }
}

function reply(status: number, body: string, headers: Record<string, string> = {}): RedirectReply {
  return {
    status,
    body,
    headers: {
      'cache-control': 'no-store',
      'content-type': 'text/plain; charset=utf-8',
      ...headers,
    },
  };
}

/**
 * The request's path and query for the Location: an absolute-form target's own path, and every character a URI may
 * not hold percent-encoded (a header value must not carry what the peer put in its request line as it is).
 */
function pathOf(url: string): string {
  const path = /^https?:\/\/[^/?#]*/i.test(url) ? url.replace(/^https?:\/\/[^/?#]*/i, '') : url;
  const absolute = path.startsWith('/') ? path : `/${path}`;
  return absolute.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/g, (c) =>
    Buffer.from(c, 'latin1').toString('hex').replace(/../g, '%$&').toUpperCase(),
  );
}

/** "WWW.Example.com:8080" → "www.example.com"; "[2001:db8::1]:80" → undefined (an address names no record). */
function hostOf(header: string | undefined): string | undefined {
  if (!header || header.startsWith('[')) return undefined;
  const host = header.replace(/:\d+$/, '').toLowerCase().replace(/\.$/, '');
  return /^[a-z0-9_*.-]+$/.test(host) ? host : undefined;
}

/** The peer, or for a trusted peer the right-most X-Forwarded-For entry that is not itself a trusted proxy. */
export function clientOf(
  peer: string,
  forwardedFor: string | undefined,
  trusted: readonly Cidr[],
): Uint8Array | undefined {
  let client = addressBytes(peer);
  const isTrusted = (a: Uint8Array): boolean => trusted.some((c) => cidrContains(c, a));
  if (!client || !forwardedFor || !isTrusted(client)) return client;
  for (const hop of forwardedFor
    .split(',')
    .map((s) => s.trim())
    .reverse()) {
    const a = addressBytes(hop);
    if (!a) break;
    client = a;
    if (!isTrusted(a)) break;
  }
  return client;
}

/** Serves the tier on an http.Server request. */
export function redirectHandler(ctx: RedirectContext) {
  return (req: http.IncomingMessage, _body: Buffer | undefined, res: http.ServerResponse): void => {
    const forwarded = req.headers['x-forwarded-for'];
    const r = redirect(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        host: req.headers.host,
        peer: req.socket.remoteAddress ?? '',
        forwardedFor: Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      },
      ctx,
    );
    res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
    res.end(req.method === 'HEAD' ? undefined : r.body);
  };
}
