// What a reply carries beside the answer: DNS Cookies (RFC 7873), NSID (RFC 5001), the CH TXT identity names, and
// the small replies rate limiting sends instead of an answer.
import { addressBytes, Opcode, Rcode, RRClass, RRType } from '../core/index.ts';
import {
  type CookieSecret,
  EDNS_UDP_SIZE,
  encodeMessage,
  type Message,
  OPTION_COOKIE,
  OPTION_NSID,
  type RawQuestion,
  type RequestCookie,
  SERVER_COOKIE_BYTES,
} from '../dns/index.ts';

/** What the server says of itself and how it treats cookies; from the server config. */
export interface ServerIdentity {
  /** Answered to NSID and to CH TXT id.server / hostname.bind; undefined: neither is answered. */
  readonly nsid: string | undefined;
  /** Answered to CH TXT version.bind / version.server; undefined: refused. */
  readonly version: string | undefined;
}

export interface CookiePolicy {
  readonly secret: CookieSecret;
  /** UDP queries with a client cookie but no valid server cookie get BADCOOKIE instead of an answer. */
  readonly require: boolean;
}

/**
 * A query's cookie: `valid` (a server cookie we made, still good: the client is who it says), `fresh` (a client
 * cookie alone, or a server cookie we do not accept), with the 24 bytes the reply's COOKIE option carries.
 */
export interface ReplyCookie {
  readonly status: 'valid' | 'fresh';
  readonly bytes: Uint8Array; // client cookie, then our server cookie
}

export const COOKIE_OPTION_BYTES = 4 + 8 + SERVER_COOKIE_BYTES;

/**
 * RFC 7873 §5.2: checks the query's server cookie and makes the one the reply carries (the same, while it
 * is young).
 */
export function replyCookie(
  cookie: RequestCookie,
  source: string,
  policy: CookiePolicy,
  nowSeconds: number,
): ReplyCookie {
  const address = addressBytes(source) ?? new Uint8Array(4);
  const bytes = new Uint8Array(8 + SERVER_COOKIE_BYTES);
  bytes.set(cookie.client, 0);
  const verdict = cookie.server
    ? policy.secret.check(cookie.server, cookie.client, address, nowSeconds)
    : 'invalid';
  if (verdict === 'valid') bytes.set(cookie.server!, 8);
  else policy.secret.write(bytes, 8, cookie.client, address, nowSeconds);
  return { status: verdict === 'invalid' ? 'fresh' : 'valid', bytes };
}

export function cookieOption(cookie: ReplyCookie): { code: number; data: Uint8Array } {
  return { code: OPTION_COOKIE, data: cookie.bytes };
}

export function nsidOption(
  identity: ServerIdentity | undefined,
): { code: number; data: Uint8Array } | undefined {
  return identity?.nsid === undefined
    ? undefined
    : { code: OPTION_NSID, data: Buffer.from(identity.nsid, 'utf8') };
}

const IDENTITY_NAMES = new Set(['id.server.', 'hostname.bind.']);
const VERSION_NAMES = new Set(['version.server.', 'version.bind.']);

/** CH TXT id.server, hostname.bind, version.bind, version.server: the configured text, or undefined (REFUSED). */
export function chaosText(
  q: RawQuestion,
  identity: ServerIdentity | undefined,
): string | undefined {
  if (q.type !== RRType.TXT && q.type !== RRType.ANY) return undefined;
  if (IDENTITY_NAMES.has(q.name)) return identity?.nsid;
  if (VERSION_NAMES.has(q.name)) return identity?.version;
  return undefined;
}

export function chaosAnswer(q: RawQuestion, text: string): Message['answer'] {
  return [
    {
      name: q.name,
      type: RRType.TXT,
      class: RRClass.CH,
      ttl: 0,
      data: { type: 'TXT', strings: [text] },
    },
  ];
}

/**
 * What rate limiting sends instead of an answer (RFC 7873 §5.4, BIND's and Knot's slip): to a client that sent a
 * cookie, BADCOOKIE with a fresh one, so it comes back verified; to any other, TC=1 and the question only, so it
 * retries over TCP. Either is no larger than the query.
 */
export function slipReply(
  request: Buffer,
  question: RawQuestion,
  cookie: ReplyCookie | undefined,
): Buffer {
  const message: Message = {
    id: request.readUInt16BE(0),
    qr: true,
    opcode: Opcode.QUERY,
    aa: false,
    tc: cookie === undefined,
    rd: (request[2]! & 1) !== 0,
    ra: false,
    ad: false,
    cd: (request[3]! & 0x10) !== 0,
    rcode: cookie ? Rcode.BADCOOKIE : Rcode.NOERROR,
    question: [],
    answer: [],
    authority: [],
    additional: [],
    edns: cookie
      ? {
          udpSize: EDNS_UDP_SIZE,
          extendedRcode: 0,
          version: 0,
          dnssecOk: false,
          options: [cookieOption(cookie)],
        }
      : undefined,
  };
  return encodeMessage(message, { rawQuestion: question });
}
