// The DNS handler the listeners call: queries through respond(), UPDATE to the update path, and the edge's safety net.
import { requestOpcode, respond, servfailFor } from '../query/index.ts';
import type { Snapshot } from '../resolve/index.ts';
import type { DnsHandler } from '../server/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { randomChooser } from './chooser.ts';
import type { LimitedLog } from './log.ts';
import { count } from './metrics.ts';

/** Answers an UPDATE message from `from` (a worker's answer comes later, from the primary). */
export type UpdateHandler = (message: Buffer, from: string) => Buffer | Promise<Buffer>;

/** A thrown error answers SERVFAIL and is logged (a few lines a minute per source prefix, the rest counted). */
export function dnsHandler(snapshot: () => Snapshot, update: UpdateHandler, metrics: Metrics, limited: LimitedLog): DnsHandler {
  const chooser = randomChooser();
  return (request, ctx) => {
    try {
      if (requestOpcode(request) === 5) {
        const reply = update(request, ctx.remoteAddress);
        return reply instanceof Promise ? reply.catch(() => servfailFor(request)) : reply;
      }
      const out = respond(request, ctx, snapshot(), chooser);
      if (out.reply) count(metrics, out, ctx.transport);
      return out.reply;
    } catch (e) {
      limited.write('error', 'request failed', ctx.remoteAddress, `request from ${ctx.remoteAddress} failed: ${(e as Error).stack ?? String(e)}`);
      return servfailFor(request);
    }
  };
}
