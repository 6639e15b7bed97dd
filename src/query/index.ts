// Public surface of query: request bytes in, reply bytes out.
export { requestOpcode, respond, servfailFor, type Outcome, type RequestContext, type Transport } from './respond.ts';
