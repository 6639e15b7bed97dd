// Public surface of dns: the wire codec, EDNS/ECS and the request policy table.
export { WireError, Writer, readName } from './wire.ts';
export {
  decodeMessage,
  encodeMessage,
  type EncodeOptions,
  type Message,
  type Question,
  readRecordHeader,
} from './message.ts';
export { canonicalRData, readRData } from './rdata.ts';
export { type CookieCheck, CookieSecret, SERVER_COOKIE_BYTES } from './cookies.ts';
export {
  EDNS_UDP_SIZE,
  Family,
  OPTION_CLIENT_SUBNET,
  encodeClientSubnet,
  parseClientSubnet,
  type ClientSubnet,
  type Edns,
  type EdnsOption,
} from './edns.ts';
export {
  OPTION_COOKIE,
  OPTION_NSID,
  parseRequest,
  type RawQuestion,
  type Request,
  type RequestCookie,
  type RequestEdns,
} from './request.ts';
export {
  DEFAULT_FUDGE_SECONDS,
  findTsig,
  macOf,
  signMessage,
  type SignOptions,
  type TsigAlgorithm,
  TsigError,
  type TsigKey,
  type TsigRecord,
  type TsigFailure,
  type TsigVerdict,
  verifyRequest,
} from './tsig.ts';
