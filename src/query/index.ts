// Public surface of query: request bytes in, reply bytes out.
export { type CookiePolicy, type ReplyCookie, type ServerIdentity, slipReply } from './extras.ts';
export { type CachedReply, type EncodedReply, ReplyCache } from './reply-cache.ts';
export {
  requestOpcode,
  Responder,
  respond,
  type RespondOptions,
  servfailFor,
  type Outcome,
  type RequestContext,
} from './respond.ts';
