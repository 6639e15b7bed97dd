// DNS Cookies (RFC 7873) with interoperable server cookies (RFC 9018): the nodes of a cluster that share the secret
// accept each other's cookies.
import { SipHash24 } from './siphash.ts';

/** Version 1, reserved, a 4-byte timestamp and an 8-byte SipHash-2-4 (RFC 9018 §4.2). */
export const SERVER_COOKIE_BYTES = 16;
const VERSION = 1;
/**
 * RFC 9018 §4.3: a cookie is good for an hour (and five minutes early, for clocks that differ); renewed
 * after half.
 */
const VALID_BEFORE_S = 3600;
const VALID_AFTER_S = 300;
const RENEW_AFTER_S = 1800;

export type CookieCheck = 'valid' | 'renew' | 'invalid';

/** The server secret as SipHash's key. */
export class CookieSecret {
  private readonly key = new Uint32Array(4);
  private readonly input = new Uint8Array(8 + 8 + 16); // client cookie | version, reserved, time | client address
  private readonly sip = new SipHash24();

  constructor(secret: Uint8Array) {
    if (secret.length !== 16) throw new Error('a cookie secret is 16 bytes');
    const view = new DataView(secret.buffer, secret.byteOffset, 16);
    for (let i = 0; i < 4; i++) this.key[i] = view.getUint32(i * 4, true);
  }

  /** A fresh server cookie for this client cookie and client address, written at `out[at..at+16]`. */
  write(
    out: Uint8Array,
    at: number,
    client: Uint8Array,
    address: Uint8Array,
    nowSeconds: number,
  ): void {
    out[at] = VERSION;
    out[at + 1] = out[at + 2] = out[at + 3] = 0;
    out[at + 4] = (nowSeconds >>> 24) & 0xff;
    out[at + 5] = (nowSeconds >>> 16) & 0xff;
    out[at + 6] = (nowSeconds >>> 8) & 0xff;
    out[at + 7] = nowSeconds & 0xff;
    this.mac(out, at + 8, client, out.subarray(at, at + 8), address);
  }

  /** Whether `server` is a cookie this secret made for this client cookie and address, and still good. */
  check(
    server: Uint8Array,
    client: Uint8Array,
    address: Uint8Array,
    nowSeconds: number,
  ): CookieCheck {
    if (server.length !== SERVER_COOKIE_BYTES || server[0] !== VERSION) return 'invalid';
    const time = ((server[4]! << 24) | (server[5]! << 16) | (server[6]! << 8) | server[7]!) >>> 0;
    const age = (nowSeconds - time) | 0; // RFC 1982 serial arithmetic on the 32-bit clock
    if (age > VALID_BEFORE_S || age < -VALID_AFTER_S) return 'invalid';
    const expected = new Uint8Array(8);
    this.mac(expected, 0, client, server.subarray(0, 8), address);
    let diff = 0;
    for (let i = 0; i < 8; i++) diff |= expected[i]! ^ server[8 + i]!;
    if (diff !== 0) return 'invalid';
    return age > RENEW_AFTER_S ? 'renew' : 'valid';
  }

  /** SipHash-2-4(client cookie | version | reserved | timestamp | client address), little-endian (RFC 9018 §4.4). */
  private mac(
    out: Uint8Array,
    at: number,
    client: Uint8Array,
    head: Uint8Array,
    address: Uint8Array,
  ): void {
    const input = this.input;
    input.set(client.subarray(0, 8), 0);
    input.set(head, 8);
    input.set(address, 16);
    this.sip.hash(this.key, input, 16 + address.length, out, at);
  }
}
