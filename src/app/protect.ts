// What the DNS handler adds against abuse, from the server config: the rate limiter, the cookie secret, the identity.
import { randomBytes } from 'node:crypto';
import type { CookieSettings, IdentitySettings, RateLimitSettings } from '../config/index.ts';
import { type Cidr, parseCidr } from '../core/index.ts';
import { CookieSecret } from '../dns/index.ts';
import type { RespondOptions } from '../query/index.ts';
import { RateLimiter } from '../rrl/index.ts';

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { responsesPerSecond: 200, slip: 2, windowSeconds: 15, ipv4Prefix: 24, ipv6Prefix: 56, exempt: ['127.0.0.0/8', '::1/128'] };

export interface Protection {
  readonly limiter: RateLimiter;
  readonly respondOptions: RespondOptions;
  /** The cookie secret in use (hex): what worker processes are given, so their cookies are this process's. */
  readonly cookieSecret: string;
}

export function protection(rateLimit: RateLimitSettings | undefined, cookies: CookieSettings | undefined, identity: IdentitySettings | undefined): Protection {
  const limits = rateLimit ?? DEFAULT_RATE_LIMIT;
  // Entries were checked as CIDRs when the config was read.
  const exempt = limits.exempt.map((c) => parseCidr(c)).filter((c): c is Cidr => typeof c !== 'string');
  const cookieSecret = cookies?.secret ?? randomBytes(16).toString('hex');
  return {
    limiter: new RateLimiter({ ...limits, exempt }),
    respondOptions: {
      cookies: { secret: new CookieSecret(Buffer.from(cookieSecret, 'hex')), require: cookies?.require ?? false },
      identity: { nsid: identity?.nsid, version: identity?.version },
    },
    cookieSecret,
  };
}
