// The DNS handler the listeners call: queries through respond(), UPDATE to the update path, rate limiting of UDP
// responses, and the edge's safety net.
import { errorStack, Opcode } from '../core/index.ts';
import type { Metrics } from '../metrics/index.ts';
import {
  requestOpcode,
  Responder,
  type RespondOptions,
  servfailFor,
  slipReply,
} from '../query/index.ts';
import type { Snapshot } from '../resolve/index.ts';
import type { RateLimiter } from '../rrl/index.ts';
import type { DnsHandler } from '../server/index.ts';
import { randomChooser } from './chooser.ts';
import type { LimitedLog } from './log.ts';
import { count } from './metrics.ts';

/** Answers an UPDATE message from `from` (a worker's answer comes later, from the primary). */
export type UpdateHandler = (message: Buffer, from: string) => Buffer | Promise<Buffer>;

export interface DnsHandlerParts {
  readonly snapshot: () => Snapshot;
  readonly update: UpdateHandler;
  readonly metrics: Metrics;
  readonly limited: LimitedLog;
  /** Response rate limiting of UDP replies; a client with a valid server cookie is not limited. */
  readonly limiter: RateLimiter;
  readonly clock: { readonly seconds: number };
  readonly respondOptions: RespondOptions;
}

/** A thrown error answers SERVFAIL and is logged (a few lines a minute per source prefix, the rest counted). */
export function dnsHandler(parts: DnsHandlerParts): DnsHandler {
  const { snapshot, update, metrics, limited, limiter, clock, respondOptions } = parts;
  const responder = new Responder(randomChooser(), respondOptions);
  return (request, ctx) => {
    try {
      if (requestOpcode(request) === Opcode.UPDATE) {
        const reply = update(request, ctx.remoteAddress);
        return reply instanceof Promise ? reply.catch(() => servfailFor(request)) : reply;
      }
      const out = responder.respond(request, ctx, snapshot());
      if (!out.reply) return undefined;
      count(metrics, out, ctx.transport);
      // TCP sources are real (the handshake proved them), and so are those that return our cookie.
      if (ctx.transport === 'tcp' || out.cookie?.status === 'valid') return out.reply;
      const verdict = limiter.check(ctx.remoteAddress, out.responseClass, clock.seconds);
      if (verdict === 'send') return out.reply;
      metrics.rateLimited(verdict);
      if (verdict === 'exempt') return out.reply;
      return verdict === 'slip' && out.question
        ? slipReply(request, out.question, out.cookie)
        : undefined;
    } catch (e) {
      limited.write(
        'error',
        'request failed',
        ctx.remoteAddress,
        `request from ${ctx.remoteAddress} failed: ${errorStack(e)}`,
      );
      return servfailFor(request);
    }
  };
}
