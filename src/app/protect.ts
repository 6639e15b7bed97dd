// What the DNS handler adds against abuse, from the server config: the rate limiter, the cookie secret, the identity.
import { randomBytes } from 'node:crypto';
import type { CookieSettings, IdentitySettings, RateLimitSettings } from '../config/index.ts';
import { parseCidr } from '../core/index.ts';
import { CookieSecret } from '../dns/index.ts';
import type { RespondOptions } from '../query/index.ts';
import { RateLimiter } from '../rrl/index.ts';

export interface Protection {
  readonly limiter: RateLimiter;
  /**
   * The time in whole seconds, as the limiter and cookies read it: kept by a timer, not asked of the system
   * per query.
   */
  readonly clock: { readonly seconds: number };
  readonly respondOptions: RespondOptions;
  /** The cookie secret in use (hex): what worker processes are given, so their cookies are this process's. */
  readonly cookieSecret: string;
  stop(): void;
}

const CLOCK_TICK_MS = 250;

export function protection(
  rateLimit: RateLimitSettings,
  cookies: CookieSettings,
  identity: IdentitySettings,
): Protection {
  // Entries were checked as CIDRs when the config was read.
  const exempt = rateLimit.exempt.map((c) => parseCidr(c)).flatMap((c) => (c.ok ? [c.value] : []));
  const cookieSecret = cookies.secret ?? randomBytes(16).toString('hex');
  const clock = { seconds: Math.floor(Date.now() / 1000) };
  const tick = setInterval(() => (clock.seconds = Math.floor(Date.now() / 1000)), CLOCK_TICK_MS);
  tick.unref();
  return {
    limiter: new RateLimiter({ ...rateLimit, exempt }),
    clock,
    respondOptions: {
      cookies: {
        secret: new CookieSecret(Buffer.from(cookieSecret, 'hex')),
        require: cookies.require,
      },
      identity: { nsid: identity.nsid, version: identity.version },
      nowSeconds: () => clock.seconds,
    },
    cookieSecret,
    stop: () => clearInterval(tick),
  };
}
