// One UPDATE message through every phase: parse, TSIG, zone, permission, prerequisites, prescan, apply.
import { Opcode, Rcode, RRClass, RRType } from '../core/index.ts';
import {
  findTsig,
  signMessage,
  TsigError,
  type TsigKey,
  type TsigRecord,
  verifyRequest,
  WireError,
} from '../dns/index.ts';
import { applyUpdates, prescan } from './apply.ts';
import type { Change, UpdateSource, UpdateZone } from './model.ts';
import { parseUpdate } from './parse.ts';
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
  const base = {
    tsigError: 0,
    zone: undefined,
    source: undefined,
    keyName: undefined,
    changes: [] as Change[],
    skipped: [] as string[],
  };
  const parsed = parseUpdate(buf);
  if ('rcode' in parsed)
    return {
      ...base,
      rcode: parsed.rcode,
      reason: parsed.reason,
      reply: (r = parsed.rcode) => bareReply(buf, r),
    };
  let tsig: TsigRecord | undefined;
  try {
    tsig = findTsig(buf);
  } catch (e) {
    return {
      ...base,
      rcode: Rcode.FORMERR,
      reason: e instanceof WireError ? e.message : String(e),
      reply: (r = Rcode.FORMERR) => bareReply(buf, r),
    };
  }
  const zoneName = parsed.zone.name;
  const reply = (
    rcode: number,
    key?: TsigKey,
    sign?: { error: number; unsigned?: boolean; otherData?: Buffer },
  ): Buffer => {
    const message = replyMessage(buf, parsed.zone.bytes, rcode);
    if (!tsig || !key) return message;
    return signMessage(message, key, {
      timeSigned: env.nowSeconds,
      ...(sign?.unsigned ? {} : { requestMac: tsig.mac }),
      error: sign?.error ?? 0,
      unsigned: sign?.unsigned ?? false,
      ...(sign?.otherData ? { otherData: sign.otherData } : {}),
    });
  };
  const fail = (
    rcode: number,
    reason: string,
    key?: TsigKey,
    extra: Partial<UpdateOutcome> = {},
  ): UpdateOutcome => ({
    ...base,
    zone: zoneName,
    rcode,
    reason,
    ...extra,
    reply: (r = rcode) => reply(r, key),
  });
  if (!tsig) return fail(Rcode.REFUSED, 'unsigned update (a TSIG key is required)');
  const keyEntry = env.key(tsig.keyName);
  const verdict = verifyRequest(buf, tsig, () => keyEntry?.key, env.nowSeconds);
  if (!verdict.ok) {
    // RFC 8945 §5.3.2: BADKEY and BADSIG replies carry an empty MAC; BADTIME is signed and gives our time.
    const now = Buffer.alloc(6);
    now.writeUIntBE(env.nowSeconds, 0, 6);
    const signing =
      verdict.error === TsigError.BADTIME
        ? { error: verdict.error, otherData: now }
        : { error: verdict.error, unsigned: true };
    const replyKey = verdict.key ?? {
      name: tsig.keyName,
      algorithm: 'hmac-sha256' as const,
      secret: Buffer.alloc(0),
    };
    return {
      ...base,
      zone: zoneName,
      keyName: tsig.keyName,
      rcode: Rcode.NOTAUTH,
      tsigError: verdict.error,
      reason: `TSIG: ${verdict.reason}`,
      reply: (r = Rcode.NOTAUTH) => reply(r, replyKey, signing),
    };
  }
  const signer = keyEntry!;
  const who = { keyName: signer.key.name, source: signer.source };
  if (env.replayed?.(signer.key.name, tsig.mac, tsig.timeSigned))
    return fail(
      Rcode.REFUSED,
      'replayed: a message with this MAC was already received',
      signer.key,
      { ...who, replayed: true },
    );
  if (parsed.zone.type !== RRType.SOA)
    return fail(Rcode.FORMERR, 'the zone section must be of type SOA', signer.key, who);
  const zone = parsed.zone.class === RRClass.IN ? env.zone(zoneName) : undefined;
  if (!zone) return fail(Rcode.NOTAUTH, `not authoritative for ${zoneName}`, signer.key, who);
  if (signer.zones && !signer.zones.includes(zoneName))
    return fail(
      Rcode.REFUSED,
      `key ${signer.key.name} may not update ${zoneName}`,
      signer.key,
      who,
    );
  for (const phase of [
    () => checkPrerequisites(parsed.prerequisites, zone),
    () => prescan(parsed.updates, zone),
  ]) {
    const r = phase();
    if (r.rcode !== Rcode.NOERROR) return fail(r.rcode, r.reason, signer.key, who);
  }
  const applied = applyUpdates(parsed.updates, zone, signer.source);
  if (!applied.ok) return fail(applied.rcode, applied.reason, signer.key, who);
  return {
    ...base,
    ...who,
    zone: zoneName,
    rcode: Rcode.NOERROR,
    reason: '',
    changes: applied.changes,
    skipped: applied.skipped,
    reply: (r = Rcode.NOERROR) => reply(r, signer.key),
  };
}

/** RFC 2136 §3.8: the reply echoes the zone section; prerequisite and update sections are empty. */
function replyMessage(request: Buffer, zoneBytes: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12 + zoneBytes.length);
  out.writeUInt16BE(request.readUInt16BE(0), 0);
  out.writeUInt16BE(0x8000 | (Opcode.UPDATE << 11) | (rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  zoneBytes.copy(out, 12);
  return out;
}

function bareReply(request: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(request.readUInt16BE(0), 0);
  out.writeUInt16BE(0x8000 | (Opcode.UPDATE << 11) | (rcode & 0xf), 2);
  return out;
}
