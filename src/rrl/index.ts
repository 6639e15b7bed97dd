// Public surface of rrl: response rate limiting per source prefix and response class. Pure (the clock is a parameter).
export { classHash, type RateLimitOptions, RateLimiter, type Verdict } from './limiter.ts';
