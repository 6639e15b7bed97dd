// One UPDATE message through every phase: parse, TSIG, zone, permission, prerequisites, prescan, apply.
import {
  errorMessage,
  fail,
  ok,
  Opcode,
  Rcode,
  type Result,
  RRClass,
  RRType,
} from '../core/index.ts';
import {
  findTsig,
  signMessage,
  TsigError,
  type TsigKey,
  type TsigRecord,
  verifyRequest,
} from '../dns/index.ts';
import { applyUpdates, prescan } from './apply.ts';
import { type Change, type Refusal, refuse, type UpdateSource, type UpdateZone } from './model.ts';
import { type ParsedUpdate, parseUpdate } from './parse.ts';
import { checkPrerequisites } from './prerequisites.ts';

export interface UpdateKey {
  readonly key: TsigKey;
  readonly source: UpdateSource;
  /** Zones this key may update; undefined: every zone. */
  readonly zones: readonly string[] | undefined;
}

export interface UpdateEnv {
  zone(origin: string): UpdateZone | undefined;
  key(name: string): UpdateKey | undefined;
  /**
   * Whether a message with this key and MAC was accepted before (and remembers this one): a replay within the TSIG
   * time window is refused, never applied again.
   */
  replayed?(keyName: string, mac: Buffer, timeSigned: number): boolean;
  readonly nowSeconds: number;
}

export interface UpdateOutcome {
  readonly rcode: number;
  readonly tsigError: number;
  readonly zone: string | undefined;
  readonly source: UpdateSource | undefined;
  readonly keyName: string | undefined;
  readonly reason: string;
  /** A signed message received before (refused). */
  readonly replayed?: boolean;
  /** Empty unless rcode is NOERROR. */
  readonly changes: readonly Change[];
  readonly skipped: readonly string[];
  /** The reply; pass SERVFAIL if the changes could not be committed. */
  reply(rcode?: number): Buffer;
}

export function processUpdate(buf: Buffer, env: UpdateEnv): UpdateOutcome {
  const parsed = parseUpdate(buf);
  if (!parsed.ok) return unsigned(buf, parsed.error);
  const found = tsigOf(buf);
  if (!found.ok) return unsigned(buf, found.error);
  const tsig = found.value;
  const zoneName = parsed.value.zone.name;
  const reply = replier(buf, parsed.value, tsig, env.nowSeconds);
  if (!tsig)
    return refused(
      { rcode: Rcode.REFUSED, reason: 'unsigned update (a TSIG key is required)' },
      zoneName,
      reply,
    );
  const signer = authenticate(buf, tsig, env, zoneName, reply);
  if (!signer.ok) return signer.error;
  const who = { keyName: signer.value.key.name, source: signer.value.source };
  const signed = (rcode?: number): Buffer => reply(rcode ?? Rcode.NOERROR, signer.value.key);
  const zone = admit(parsed.value, tsig, signer.value, env);
  if (!zone.ok)
    return {
      ...refused(zone.error, zoneName, reply, signer.value.key),
      ...who,
      replayed: zone.error.rcode === Rcode.REFUSED && zone.error.reason.startsWith('replayed'),
    };
  const applied = applyUpdates(parsed.value.updates, zone.value, signer.value.source);
  if (!applied.ok) return { ...refused(applied.error, zoneName, reply, signer.value.key), ...who };
  return {
    ...NOTHING,
    ...who,
    zone: zoneName,
    rcode: Rcode.NOERROR,
    reason: '',
    changes: applied.value.changes,
    skipped: applied.value.skipped,
    reply: (r = Rcode.NOERROR) => signed(r),
  };
}

const NOTHING = {
  tsigError: 0,
  zone: undefined,
  source: undefined,
  keyName: undefined,
  changes: [],
  skipped: [],
};

type Replier = (
  rcode: number,
  key?: TsigKey,
  sign?: { error: number; unsigned?: boolean; otherData?: Buffer },
) => Buffer;

/** A message that never got as far as its signature: FORMERR (or what parsing said), unsigned. */
function unsigned(buf: Buffer, why: Refusal): UpdateOutcome {
  return { ...NOTHING, ...why, reply: (r = why.rcode) => bareReply(buf, r) };
}

function refused(why: Refusal, zone: string, reply: Replier, key?: TsigKey): UpdateOutcome {
  return { ...NOTHING, zone, ...why, reply: (r = why.rcode) => reply(r, key) };
}

/** The message's TSIG record, if it has one; FORMERR for one that is malformed or misplaced. */
function tsigOf(buf: Buffer): Result<TsigRecord | undefined, Refusal> {
  try {
    return ok(findTsig(buf));
  } catch (e) {
    return fail({ rcode: Rcode.FORMERR, reason: errorMessage(e) });
  }
}

/** Replies to this message: the zone section echoed, signed with `key` when the request was signed. */
function replier(
  buf: Buffer,
  parsed: ParsedUpdate,
  tsig: TsigRecord | undefined,
  nowSeconds: number,
): Replier {
  return (rcode, key, sign) => {
    const message = replyMessage(buf, parsed.zone.bytes, rcode);
    if (!tsig || !key) return message;
    return signMessage(message, key, {
      timeSigned: nowSeconds,
      ...(sign?.unsigned ? {} : { requestMac: tsig.mac }),
      error: sign?.error ?? 0,
      unsigned: sign?.unsigned ?? false,
      ...(sign?.otherData ? { otherData: sign.otherData } : {}),
    });
  };
}

/** RFC 8945 §5.2: the key, the MAC, the time. A failure is NOTAUTH with the TSIG error, signed as §5.3.2 says. */
function authenticate(
  buf: Buffer,
  tsig: TsigRecord,
  env: UpdateEnv,
  zone: string,
  reply: Replier,
): Result<UpdateKey, UpdateOutcome> {
  const entry = env.key(tsig.keyName);
  const verdict = verifyRequest(buf, tsig, () => entry?.key, env.nowSeconds);
  if (verdict.ok) return ok(entry!);
  const failure = verdict.error;
  // BADKEY and BADSIG replies carry an empty MAC; BADTIME is signed and gives our time.
  const now = Buffer.alloc(6);
  now.writeUIntBE(env.nowSeconds, 0, 6);
  const signing =
    failure.error === TsigError.BADTIME
      ? { error: failure.error, otherData: now }
      : { error: failure.error, unsigned: true };
  const replyKey = failure.key ?? {
    name: tsig.keyName,
    algorithm: 'hmac-sha256' as const,
    secret: Buffer.alloc(0),
  };
  return fail({
    ...NOTHING,
    zone,
    keyName: tsig.keyName,
    rcode: Rcode.NOTAUTH,
    tsigError: failure.error,
    reason: `TSIG: ${failure.reason}`,
    reply: (r = Rcode.NOTAUTH) => reply(r, replyKey, signing),
  });
}

/** A signed message is let in once, to a zone we serve that its key may update, if its prerequisites hold. */
function admit(
  parsed: ParsedUpdate,
  tsig: TsigRecord,
  signer: UpdateKey,
  env: UpdateEnv,
): Result<UpdateZone, Refusal> {
  const name = parsed.zone.name;
  if (env.replayed?.(signer.key.name, tsig.mac, tsig.timeSigned))
    return refuse(Rcode.REFUSED, 'replayed: a message with this MAC was already received');
  if (parsed.zone.type !== RRType.SOA)
    return refuse(Rcode.FORMERR, 'the zone section must be of type SOA');
  const zone = parsed.zone.class === RRClass.IN ? env.zone(name) : undefined;
  if (!zone) return refuse(Rcode.NOTAUTH, `not authoritative for ${name}`);
  if (signer.zones && !signer.zones.includes(name))
    return refuse(Rcode.REFUSED, `key ${signer.key.name} may not update ${name}`);
  const prerequisites = checkPrerequisites(parsed.prerequisites, zone);
  if (!prerequisites.ok) return prerequisites;
  const scanned = prescan(parsed.updates, zone);
  return scanned.ok ? ok(zone) : scanned;
}

/** RFC 2136 §3.8: the reply echoes the zone section; prerequisite and update sections are empty. */
function replyMessage(request: Buffer, zoneBytes: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12 + zoneBytes.length);
  out.writeUInt16BE(request.readUInt16BE(0), 0);
  out.writeUInt16BE(0x8000 | (Opcode.UPDATE << 11) | (rcode & 0xf), 2);
  out.writeUInt16BE(1, 4); // ZOCOUNT: the one zone record
  zoneBytes.copy(out, 12);
  return out;
}

function bareReply(request: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(request.readUInt16BE(0), 0);
  out.writeUInt16BE(0x8000 | (Opcode.UPDATE << 11) | (rcode & 0xf), 2);
  return out;
}
