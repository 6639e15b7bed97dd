// The query pipeline: request bytes → policy checks → resolve → reply bytes. Pure; the server room
// does the sockets.
// In phases: the request and its policy; the reply from the snapshot's cache (patched for this query); a fresh one
// (resolved and encoded); then remembered for the next query of the same shape.
import {
  addressBytes,
  Opcode,
  Rcode,
  RRClass,
  type RR,
  RRType,
  type Transport,
} from '../core/index.ts';
import {
  type ClientSubnet,
  EDNS_UDP_SIZE,
  type EdnsOption,
  encodeClientSubnet,
  encodeMessage,
  type Message,
  OPTION_CLIENT_SUBNET,
  parseRequest,
  type RawQuestion,
  type RequestEdns,
} from '../dns/index.ts';
import {
  type Answer,
  type Chooser,
  choose,
  type ClientAddress,
  type DynamicPlan,
  type DynamicTrace,
  resolve,
  resolveChoice,
  type Snapshot,
} from '../resolve/index.ts';
import { classHash } from '../rrl/index.ts';
import { type CachedReply, type EncodedReply, ReplyCache } from './reply-cache.ts';
import {
  chaosAnswer,
  chaosText,
  COOKIE_OPTION_BYTES,
  cookieOption,
  type CookiePolicy,
  nsidOption,
  type ReplyCookie,
  replyCookie,
  type ServerIdentity,
} from './extras.ts';

export interface RequestContext {
  readonly transport: Transport;
  readonly remoteAddress: string;
}

/** What the server adds to every reply: its identity and cookies, and the clock cookies are made with. */
export interface RespondOptions {
  readonly identity?: ServerIdentity;
  readonly cookies?: CookiePolicy;
  readonly nowSeconds?: () => number;
}

/** What happened, for logs, counters and rate limiting; `reply` is undefined when the request is dropped. */
export interface Outcome {
  readonly reply: Buffer | undefined;
  readonly rcode: number;
  readonly reason: string | undefined;
  readonly qtype: number | undefined;
  /** The zone that answered (undefined: none). */
  readonly zone: string | undefined;
  readonly ecs: boolean;
  /** A dynamic answer, for counters: its owner, the pool that answered (or the outcome), the outcome if degraded. */
  readonly dynamic: DynamicSummary | undefined;
  /** What rate limiting counts the reply as: a hash of its kind and of the name or zone it is about. */
  readonly responseClass: number;
  /** The query's cookie and the one the reply carries; undefined without a COOKIE option. */
  readonly cookie: ReplyCookie | undefined;
  /** The question, for a reply rate limiting sends instead (undefined when the request had none). */
  readonly question: RawQuestion | undefined;
}

export interface DynamicSummary {
  /** The dynamic record's key ("name|type", its own name: a wildcard's, not the query's). */
  readonly record: string;
  readonly answeredBy: string;
  readonly degraded: string | undefined;
}

const NO_OPTIONS: RespondOptions = {};

/** Answers one DNS request. Expected faults are values; anything thrown is a bug (the caller answers SERVFAIL). */
export function respond(
  buf: Buffer,
  ctx: RequestContext,
  snapshot: Snapshot,
  chooser: Chooser,
  options: RespondOptions = NO_OPTIONS,
  replies?: ReplyCache,
): Outcome {
  const req = parseRequest(buf);
  if (req.kind === 'drop') return { ...NOTHING, reason: req.reason };
  const cookie =
    req.edns?.cookie && options.cookies
      ? replyCookie(
          req.edns.cookie,
          ctx.remoteAddress,
          options.cookies,
          (options.nowSeconds ?? nowSeconds)(),
        )
      : undefined;
  const base: ReplyBase = {
    id: req.id,
    opcode: req.opcode,
    rd: req.rd,
    cd: req.cd,
    question: req.question,
    edns: req.edns,
    cookie,
    identity: options.identity,
  };
  if (req.kind === 'error')
    return reply(base, ctx, { rcode: req.rcode, answer: undefined }, req.reason);
  const q = req.question;
  if (q.class === RRClass.CH) return chaos(base, ctx, q, options.identity);
  const refusal = refuseReason(q);
  if (refusal) return reply(base, ctx, { rcode: refusal.rcode, answer: undefined }, refusal.reason);
  // RFC 7873 §5.2.3: a server that requires cookies answers a UDP query without a valid one BADCOOKIE and a cookie.
  if (cookie && cookie.status !== 'valid' && options.cookies?.require && ctx.transport === 'udp') {
    return reply(
      base,
      ctx,
      { rcode: Rcode.BADCOOKIE, answer: undefined },
      'a valid server cookie is required',
    );
  }
  // Replies are encoded once per snapshot, then only ID, flags, the client's question bytes (its letter case), its
  // ECS address and its cookie (the reply's last bytes) are patched: static answers are the same for every client; a
  // question that leads to a dynamic record keeps that record, and its replies by what was picked, so a query runs
  // only the pick.
  const shape = replyShape(
    q.type,
    maxReplyBytes(ctx.transport, req.edns),
    req.edns,
    options.identity,
  );
  const cached = replies?.get(q.name, shape);
  if (cached?.kind === 'reply') return fromCache(cached, undefined, buf, q, req.edns, cookie);
  const client = clientOf(req.edns, ctx.remoteAddress);
  const choice =
    cached?.kind === 'dynamic' ? choose(snapshot, cached.record, client, chooser) : undefined;
  const hit = choice && cached?.kind === 'dynamic' ? cached.replies.get(choice.pickKey) : undefined;
  if (hit && choice && cached?.kind === 'dynamic')
    return fromCache(hit, summaryOf(cached.record.key, choice.plan), buf, q, req.edns, cookie);
  const query = { name: q.name, type: q.type };
  const answer = choice
    ? resolveChoice(query, client, snapshot, chooser, choice)
    : resolve(query, client, snapshot, chooser);
  const out = fresh(base, ctx, q, answer);
  if (replies && out.reply) remember(replies, q.name, shape, answer, out, cached);
  return out;
}

const NOTHING: Outcome = {
  reply: undefined,
  rcode: -1,
  reason: undefined,
  qtype: undefined,
  zone: undefined,
  ecs: false,
  dynamic: undefined,
  responseClass: 0,
  cookie: undefined,
  question: undefined,
};

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function fromCache(
  entry: EncodedReply,
  dynamic: DynamicSummary | undefined,
  buf: Buffer,
  q: RawQuestion,
  edns: RequestEdns | undefined,
  cookie: ReplyCookie | undefined,
): Outcome {
  return {
    reply: patchCached(entry.bytes, buf, q, edns?.clientSubnet, cookie),
    rcode: entry.rcode,
    reason: undefined,
    qtype: q.type,
    zone: entry.zone,
    ecs: edns?.clientSubnet !== undefined,
    dynamic,
    responseClass: entry.responseClass,
    cookie,
    question: q,
  };
}

/** A reply resolved and encoded for this query. */
function fresh(base: ReplyBase, ctx: RequestContext, q: RawQuestion, answer: Answer): Outcome {
  const zone = answer.kind === 'refused' ? undefined : answer.zone;
  const trace = answer.kind === 'refused' ? undefined : answer.trace;
  const record = answer.kind === 'refused' ? undefined : answer.record;
  const out = reply(
    base,
    ctx,
    { rcode: rcodeOf(answer), answer },
    answer.kind === 'refused' ? answer.reason : undefined,
  );
  return {
    ...out,
    zone,
    dynamic: trace && record ? summaryOf(record.key, trace) : undefined,
    responseClass: classHash(responseClass(answer, q)),
  };
}

/** Keeps a fresh reply in the cache: the reply itself, or for a dynamic record, by what was picked. */
function remember(
  cache: ReplyCache,
  name: string,
  shape: number,
  answer: Answer,
  out: Outcome,
  cached: CachedReply | undefined,
): void {
  const encoded: EncodedReply = {
    bytes: out.reply!,
    rcode: out.rcode,
    zone: out.zone,
    responseClass: out.responseClass,
  };
  const trace = answer.kind === 'refused' ? undefined : answer.trace;
  const record = answer.kind === 'refused' ? undefined : answer.record;
  if (!trace || !record || out.zone === undefined) {
    cache.set(name, { kind: 'reply', shape, ...encoded }, isNegative(answer));
    return;
  }
  const owner = answer.kind === 'refused' ? name : (answer.answer.at(-1)?.name ?? name);
  let route = cached?.kind === 'dynamic' ? cached : undefined;
  if (!route)
    cache.set(
      name,
      (route = { kind: 'dynamic', shape, record, zone: out.zone, owner, replies: new Map() }),
    );
  cache.setPick(route, trace.pickKey, encoded);
}

/**
 * What rate limiting counts a response as (the response classes of BIND's and NSD's RRL): an answer by its name (a
 * wildcard's own, so random names under it share one) and type; NXDOMAIN, NODATA, referrals and errors by their zone,
 * so a flood of random names or types is one class.
 */
function responseClass(answer: Answer, q: RawQuestion): string {
  switch (answer.kind) {
    case 'answer':
      return q.type === RRType.ANY
        ? `any ${q.name}`
        : `answer ${answer.wildcard ?? q.name} ${q.type}`;
    case 'nodata':
      return `nodata ${answer.zone}`;
    case 'nxdomain':
      return `nxdomain ${answer.zone}`;
    case 'delegation':
      return `referral ${answer.zone}`;
    case 'refused':
      return 'error';
    default: {
      const never: never = answer;
      throw new Error(`unhandled answer ${String(never)}`);
    }
  }
}

/** An answer with no data: what random names and types get (cached in the small tier, see ReplyCache). */
function isNegative(answer: Answer): boolean {
  return answer.kind === 'nxdomain' || answer.kind === 'refused' || answer.kind === 'nodata';
}

/** CH TXT id.server, hostname.bind, version.bind: what the operator configured, REFUSED for the rest. */
function chaos(
  base: ReplyBase,
  ctx: RequestContext,
  q: RawQuestion,
  identity: ServerIdentity | undefined,
): Outcome {
  const text = chaosText(q, identity);
  if (text === undefined)
    return reply(
      base,
      ctx,
      { rcode: Rcode.REFUSED, answer: undefined },
      `class CH ${q.name} is not answered`,
    );
  return reply(
    base,
    ctx,
    { rcode: Rcode.NOERROR, answer: undefined, chaos: chaosAnswer(q, text) },
    undefined,
  );
}

/**
 * Everything besides the name that a reply's bytes depend on, as one number: type, size limit, EDNS and DO, the ECS
 * family and source prefix (the address itself is patched in), whether it carries NSID and a cookie (patched in).
 */
function replyShape(
  type: number,
  maxBytes: number,
  edns: RequestEdns | undefined,
  identity: ServerIdentity | undefined,
): number {
  const size = maxBytes >= 65535 ? 1023 : maxBytes - 512; // 0..720 over UDP
  const ednsCode = edns ? (edns.dnssecOk ? 2 : 1) : 0;
  const ecs = edns?.clientSubnet;
  const ecsCode = ecs ? 1 + (ecs.family - 1) * 129 + ecs.sourcePrefix : 0;
  const extras = (edns?.nsid && identity?.nsid !== undefined ? 1 : 0) + (edns?.cookie ? 2 : 0);
  return (((type * 1024 + size) * 4 + ednsCode) * 512 + ecsCode) * 4 + extras;
}

function summaryOf(record: string, d: DynamicPlan | DynamicTrace): DynamicSummary {
  return { record, answeredBy: d.answeredBy, degraded: d.degraded ? d.outcome : undefined };
}

/**
 * A copy of a cached reply with this request's ID, RD and CD bits and question bytes; with ECS, its address; with a
 * cookie, its cookie. The OPT record is the reply's last and its options end ECS, COOKIE: the cookie is the last 24
 * bytes, the address the ceil(source/8) before its option header (family and prefixes are in the shape).
 */
function patchCached(
  cached: Buffer,
  request: Buffer,
  q: RawQuestion,
  ecs: ClientSubnet | undefined,
  cookie: ReplyCookie | undefined,
): Buffer {
  // TypedArray set and byte loops: Buffer#copy's argument checks cost more than these few bytes.
  const out = Buffer.allocUnsafe(cached.length);
  out.set(cached);
  out[0] = request[0]!;
  out[1] = request[1]!;
  out[2] = (out[2]! & 0xfe) | (request[2]! & 0x01);
  out[3] = (out[3]! & 0xef) | (request[3]! & 0x10);
  out.set(q.bytes, 12);
  let end = out.length;
  if (cookie) {
    out.set(cookie.bytes, end - cookie.bytes.length);
    end -= COOKIE_OPTION_BYTES;
  }
  if (ecs) {
    const n = (ecs.sourcePrefix + 7) >> 3;
    const at = end - n;
    for (let i = 0; i < n; i++) out[at + i] = ecs.address[i]!;
  }
  return out;
}

/**
 * RFC 7871 §7.1.2: the ECS address when the resolver sent one; a /0 option opts out, so the source address
 * decides.
 */
function clientOf(edns: RequestEdns | undefined, remoteAddress: string): ClientAddress {
  const ecs = edns?.clientSubnet;
  if (ecs && ecs.sourcePrefix > 0) return { address: ecs.address, prefix: ecs.sourcePrefix };
  const address = addressBytes(remoteAddress);
  return { address, prefix: address ? address.length * 8 : 0 };
}

/** Checks before any lookup (STYLE §5): class, meta types, transfers. */
function refuseReason(q: RawQuestion): { rcode: number; reason: string } | undefined {
  if (q.class !== RRClass.IN)
    return { rcode: Rcode.REFUSED, reason: `class ${q.class} is not served` };
  if (q.type === RRType.AXFR || q.type === RRType.IXFR)
    return { rcode: Rcode.REFUSED, reason: 'zone transfers are not allowed' };
  if (q.type === RRType.OPT || q.type === RRType.TSIG)
    return { rcode: Rcode.FORMERR, reason: `type ${q.type} cannot be queried` };
  return undefined;
}

function rcodeOf(answer: Answer): number {
  switch (answer.kind) {
    case 'answer':
    case 'nodata':
    case 'delegation':
      return Rcode.NOERROR;
    case 'nxdomain':
      return Rcode.NXDOMAIN;
    case 'refused':
      return Rcode.REFUSED;
    default: {
      const never: never = answer;
      throw new Error(`unhandled answer ${String(never)}`);
    }
  }
}

interface ReplyBase {
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  readonly cd: boolean;
  readonly question: RawQuestion | undefined;
  readonly edns: RequestEdns | undefined;
  readonly cookie: ReplyCookie | undefined;
  readonly identity: ServerIdentity | undefined;
}

const NONE: readonly RR[] = [];

function reply(
  base: ReplyBase,
  ctx: RequestContext,
  result: { rcode: number; answer: Answer | undefined; chaos?: readonly RR[] },
  reason: string | undefined,
): Outcome {
  const a = result.answer && result.answer.kind !== 'refused' ? result.answer : undefined;
  // AA: we are the authority for every answer except a bare referral (RFC 1034 §4.3.2 step 3b).
  const aa =
    (a !== undefined && !(a.kind === 'delegation' && a.answer.length === 0)) ||
    result.chaos !== undefined;
  const message: Message = {
    id: base.id,
    qr: true,
    opcode: base.opcode,
    aa,
    tc: false,
    rd: base.rd,
    ra: false,
    ad: false,
    cd: base.cd,
    rcode: base.edns ? result.rcode : result.rcode & 0xf,
    question: [],
    answer: a?.answer ?? result.chaos ?? NONE,
    authority: a?.authority ?? NONE,
    additional: a?.additional ?? NONE,
    edns: replyEdns(base, a?.scopePrefix ?? 0),
  };
  const encoded = encodeMessage(message, {
    maxBytes: maxReplyBytes(ctx.transport, base.edns),
    additionalRequired: a?.kind === 'delegation',
    ...(base.question && base.opcode === Opcode.QUERY ? { rawQuestion: base.question } : {}),
  });
  return {
    reply: encoded,
    rcode: result.rcode,
    reason,
    qtype: base.question?.type,
    zone: undefined,
    ecs: base.edns?.clientSubnet !== undefined,
    dynamic: undefined,
    responseClass: classHash('error'),
    cookie: base.cookie,
    question: base.question,
  };
}

/** The reply's OPT record: NSID, then ECS, then COOKIE, the order patchCached relies on. */
function replyEdns(base: ReplyBase, scopePrefix: number): Message['edns'] {
  const edns = base.edns;
  if (!edns) return undefined;
  const options: EdnsOption[] = [];
  const nsid = edns.nsid ? nsidOption(base.identity) : undefined;
  if (nsid) options.push(nsid);
  const ecs = edns.clientSubnet;
  if (ecs)
    options.push({
      code: OPTION_CLIENT_SUBNET,
      data: encodeClientSubnet(ecs, ecs.sourcePrefix === 0 ? 0 : scopePrefix),
    });
  if (base.cookie) options.push(cookieOption(base.cookie));
  return { udpSize: EDNS_UDP_SIZE, extendedRcode: 0, version: 0, dnssecOk: edns.dnssecOk, options };
}

/** UDP: the client's EDNS size capped at what we advertise, 512 without EDNS (RFC 6891 §6.2.5); TCP: all of it. */
function maxReplyBytes(transport: Transport, edns: RequestEdns | undefined): number {
  if (transport === 'tcp') return 65535;
  return edns ? Math.min(Math.max(512, edns.udpSize), EDNS_UDP_SIZE) : 512;
}

/** The opcode of a request, or undefined for what the policy table drops (short, or QR set). */
export function requestOpcode(buf: Buffer): number | undefined {
  if (buf.length < 12 || buf[2]! & 0x80) return undefined;
  return (buf[2]! >> 3) & 0xf;
}

/** A bare SERVFAIL for a request that made the pipeline throw; undefined if it was not a request at all. */
export function servfailFor(buf: Buffer): Buffer | undefined {
  if (buf.length < 12 || buf[2]! & 0x80) return undefined;
  const out = Buffer.alloc(12);
  buf.copy(out, 0, 0, 4);
  out[2] = (buf[2]! & 0x79) | 0x80; // keep opcode and RD, set QR
  out[3] = Rcode.SERVFAIL;
  return out;
}

/**
 * Answers requests with a reply cache for the snapshot they are answered from: a new snapshot (a commit, a reload)
 * gets a new, empty cache, so nothing cached can outlive what it was made from.
 */
export class Responder {
  private cache: { readonly snapshot: Snapshot; readonly replies: ReplyCache } | undefined;

  constructor(
    private readonly chooser: Chooser,
    private readonly options: RespondOptions = NO_OPTIONS,
  ) {}

  respond(buf: Buffer, ctx: RequestContext, snapshot: Snapshot): Outcome {
    if (this.cache?.snapshot !== snapshot) this.cache = { snapshot, replies: new ReplyCache() };
    return respond(buf, ctx, snapshot, this.chooser, this.options, this.cache.replies);
  }
}
