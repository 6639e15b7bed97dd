// The query pipeline: request bytes → policy checks → resolve → reply bytes. Pure; the server room does the sockets.
import { addressBytes, Opcode, Rcode, RRClass, type RR, RRType } from '../core/index.ts';
import {
  type ClientSubnet, EDNS_UDP_SIZE, type EdnsOption, encodeClientSubnet, encodeMessage, type Message, OPTION_CLIENT_SUBNET,
  parseRequest, type RawQuestion, type RequestEdns,
} from '../dns/index.ts';
import {
  type Answer, type Chooser, choose, type ClientAddress, type DynamicPlan, type DynamicTrace, resolve, resolveChoice,
  type Snapshot,
} from '../resolve/index.ts';

export type Transport = 'udp' | 'tcp';

export interface RequestContext {
  readonly transport: Transport;
  readonly remoteAddress: string;
}

/** What happened, for logs and counters; `reply` is undefined when the request is dropped. */
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
}

export interface DynamicSummary {
  /** The dynamic record's key ("name|type", its own name: a wildcard's, not the query's). */
  readonly record: string;
  readonly answeredBy: string;
  readonly degraded: string | undefined;
}

/** Answers one DNS request. Expected faults are values; anything thrown is a bug (the caller answers SERVFAIL). */
export function respond(buf: Buffer, ctx: RequestContext, snapshot: Snapshot, chooser: Chooser): Outcome {
  const req = parseRequest(buf);
  if (req.kind === 'drop') return { reply: undefined, rcode: -1, reason: req.reason, qtype: undefined, zone: undefined, ecs: false, dynamic: undefined };
  const base = { id: req.id, opcode: req.opcode, rd: req.rd, cd: req.cd, question: req.question, edns: req.edns };
  if (req.kind === 'error') return reply(base, ctx, { rcode: req.rcode, answer: undefined }, req.reason);
  const q = req.question;
  const refusal = refuseReason(q);
  if (refusal) return reply(base, ctx, { rcode: refusal.rcode, answer: undefined }, refusal.reason);
  // Replies are encoded once per snapshot, then only ID, flags, the client's question bytes (its letter case) and its
  // ECS address (the reply's last bytes) are patched: static answers are the same for every client; a question that
  // leads to a dynamic record keeps that record, and its replies by what was picked, so a query runs only the pick.
  const ecs = req.edns?.clientSubnet;
  const cache = snapshot.replies;
  const shape = replyShape(q.type, maxReplyBytes(ctx.transport, req.edns), req.edns, ecs);
  const cached = cache?.get(q.name, shape);
  if (cached?.kind === 'reply') return { reply: patchCached(cached.bytes, buf, q, ecs), rcode: cached.rcode, reason: undefined, qtype: q.type, zone: cached.zone, ecs: ecs !== undefined, dynamic: undefined };
  const client = clientOf(req.edns, ctx.remoteAddress);
  const choice = cached?.kind === 'dynamic' ? choose(snapshot, cached.record, client, chooser) : undefined;
  if (choice && cached?.kind === 'dynamic') {
    const hit = cached.replies.get(choice.pickKey);
    if (hit) return { reply: patchCached(hit.bytes, buf, q, ecs), rcode: hit.rcode, reason: undefined, qtype: q.type, zone: hit.zone, ecs: ecs !== undefined, dynamic: summaryOf(cached.record.key, choice.plan) };
  }
  const query = { name: q.name, type: q.type };
  const answer = choice ? resolveChoice(query, client, snapshot, chooser, choice) : resolve(query, client, snapshot, chooser);
  const zone = answer.kind === 'refused' ? undefined : answer.zone;
  const trace = answer.kind === 'refused' ? undefined : answer.trace;
  const owner = answer.kind === 'refused' ? q.name : answer.answer.at(-1)?.name ?? q.name;
  const dynamicRecord = answer.kind === 'refused' ? undefined : answer.record;
  const dynamic = trace && dynamicRecord ? summaryOf(dynamicRecord.key, trace) : undefined;
  const out = reply(base, ctx, { rcode: rcodeOf(answer), answer }, answer.kind === 'refused' ? answer.reason : undefined);
  if (cache && out.reply) {
    const encoded = { bytes: out.reply, rcode: out.rcode, zone };
    const record = answer.kind === 'refused' ? undefined : answer.record;
    if (!trace || !record || zone === undefined) {
      cache.set(q.name, { kind: 'reply', shape, ...encoded }, isNegative(answer));
    } else {
      let route = cached?.kind === 'dynamic' ? cached : undefined;
      if (!route) cache.set(q.name, (route = { kind: 'dynamic', shape, record, zone, owner, replies: new Map() }));
      cache.setPick(route, trace.pickKey, encoded);
    }
  }
  return { ...out, zone, dynamic };
}

/** An answer with no data: what random names and types get (cached in the small tier, see ReplyCache). */
function isNegative(answer: Answer): boolean {
  return answer.kind === 'nxdomain' || answer.kind === 'refused' || answer.kind === 'nodata';
}

/**
 * Everything besides the name that a reply's bytes depend on, as one number: type, size limit, EDNS and DO, and
 * the ECS family and source prefix (the address itself is patched in).
 */
function replyShape(type: number, maxBytes: number, edns: RequestEdns | undefined, ecs: ClientSubnet | undefined): number {
  const ednsCode = edns ? (edns.dnssecOk ? 2 : 1) : 0;
  const ecsCode = ecs ? 1 + (ecs.family - 1) * 129 + ecs.sourcePrefix : 0;
  return ((type * 65536 + maxBytes) * 4 + ednsCode) * 512 + ecsCode;
}

function summaryOf(record: string, d: DynamicPlan | DynamicTrace): DynamicSummary {
  return { record, answeredBy: d.answeredBy, degraded: d.degraded ? d.outcome : undefined };
}

/**
 * A copy of a cached reply with this request's ID, RD and CD bits and question bytes; with ECS, its address: the echoed
 * option is the reply's last, so the address is its last ceil(source/8) bytes (family and prefixes are in the key).
 */
function patchCached(cached: Buffer, request: Buffer, q: RawQuestion, ecs: ClientSubnet | undefined): Buffer {
  // TypedArray set and byte loops: Buffer#copy's argument checks cost more than these few bytes.
  const out = Buffer.allocUnsafe(cached.length);
  out.set(cached);
  out[0] = request[0]!;
  out[1] = request[1]!;
  out[2] = (out[2]! & 0xfe) | (request[2]! & 0x01);
  out[3] = (out[3]! & 0xef) | (request[3]! & 0x10);
  out.set(q.bytes, 12);
  if (ecs) {
    const n = (ecs.sourcePrefix + 7) >> 3;
    const at = out.length - n;
    for (let i = 0; i < n; i++) out[at + i] = ecs.address[i]!;
  }
  return out;
}

/** RFC 7871 §7.1.2: the ECS address when the resolver sent one; a /0 option opts out, so the source address decides. */
function clientOf(edns: RequestEdns | undefined, remoteAddress: string): ClientAddress {
  const ecs = edns?.clientSubnet;
  if (ecs && ecs.sourcePrefix > 0) return { address: ecs.address, prefix: ecs.sourcePrefix };
  const address = addressBytes(remoteAddress);
  return { address, prefix: address ? address.length * 8 : 0 };
}

/** Checks before any lookup (STYLE §5): class, meta types, transfers. */
function refuseReason(q: RawQuestion): { rcode: number; reason: string } | undefined {
  if (q.class !== RRClass.IN) return { rcode: Rcode.REFUSED, reason: `class ${q.class} is not served` };
  if (q.type === RRType.AXFR || q.type === RRType.IXFR) return { rcode: Rcode.REFUSED, reason: 'zone transfers are not allowed' };
  if (q.type === RRType.OPT || q.type === RRType.TSIG) return { rcode: Rcode.FORMERR, reason: `type ${q.type} cannot be queried` };
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
}

const NONE: readonly RR[] = [];

function reply(base: ReplyBase, ctx: RequestContext, result: { rcode: number; answer: Answer | undefined }, reason: string | undefined): Outcome {
  const a = result.answer && result.answer.kind !== 'refused' ? result.answer : undefined;
  // AA: we are the authority for every answer except a bare referral (RFC 1034 §4.3.2 step 3b).
  const aa = a !== undefined && !(a.kind === 'delegation' && a.answer.length === 0);
  const message: Message = {
    id: base.id, qr: true, opcode: base.opcode, aa, tc: false, rd: base.rd, ra: false, ad: false, cd: base.cd,
    rcode: result.rcode, question: [], answer: a?.answer ?? NONE, authority: a?.authority ?? NONE,
    additional: a?.additional ?? NONE, edns: replyEdns(base.edns, a?.scopePrefix ?? 0),
  };
  const encoded = encodeMessage(message, {
    maxBytes: maxReplyBytes(ctx.transport, base.edns),
    additionalRequired: a?.kind === 'delegation',
    ...(base.question && base.opcode === Opcode.QUERY ? { rawQuestion: base.question } : {}),
  });
  return { reply: encoded, rcode: result.rcode, reason, qtype: base.question?.type, zone: undefined, ecs: base.edns?.clientSubnet !== undefined, dynamic: undefined };
}

function replyEdns(edns: RequestEdns | undefined, scopePrefix: number): Message['edns'] {
  if (!edns) return undefined;
  const options: EdnsOption[] = [];
  const ecs = edns.clientSubnet;
  if (ecs) options.push({ code: OPTION_CLIENT_SUBNET, data: encodeClientSubnet(ecs, ecs.sourcePrefix === 0 ? 0 : scopePrefix) });
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
