// Public surface of redirect: the HTTP 302 tier.
export {
  clientOf,
  redirect,
  type RedirectChoice,
  type RedirectContext,
  redirectHandler,
  type RedirectReply,
} from './redirect.ts';
