// UPDATE messages (RFC 2136 §2): zone section, prerequisites, updates, with empty rdata allowed.
import { errorMessage, fail, ok, Rcode, type Result } from '../core/index.ts';
import { readName, readRecordHeader, readRData, WireError } from '../dns/index.ts';
import type { Refusal, UpdateRR } from './model.ts';

export interface ParsedUpdate {
  readonly id: number;
  readonly zone: {
    readonly name: string;
    readonly type: number;
    readonly class: number;
    readonly bytes: Buffer;
  };
  readonly prerequisites: readonly UpdateRR[];
  readonly updates: readonly UpdateRR[];
}

/** FORMERR (with why) for anything malformed; the TSIG record is read separately. */
export function parseUpdate(buf: Buffer): Result<ParsedUpdate, Refusal> {
  try {
    if (buf.readUInt16BE(4) !== 1)
      return fail({
        rcode: Rcode.FORMERR,
        reason: 'the zone section must hold exactly one record (RFC 2136 §3.1.1)',
      });
    const zone = readName(buf, 12);
    if (zone.next + 4 > buf.length) throw new WireError('zone section runs past the end');
    const zoneRecord = {
      name: zone.name,
      type: buf.readUInt16BE(zone.next),
      class: buf.readUInt16BE(zone.next + 2),
      bytes: buf.subarray(12, zone.next + 4),
    };
    let pos = zone.next + 4;
    const read = (count: number): UpdateRR[] => {
      const out: UpdateRR[] = [];
      for (let i = 0; i < count; i++) {
        const r = readRecordHeader(buf, pos);
        pos = r.rdataStart + r.rdataLength;
        out.push({
          name: r.name,
          type: r.type,
          class: r.class,
          ttl: r.ttl,
          data:
            r.rdataLength === 0 ? undefined : readRData(buf, r.type, r.rdataStart, r.rdataLength),
        });
      }
      return out;
    };
    const prerequisites = read(buf.readUInt16BE(6));
    const updates = read(buf.readUInt16BE(8));
    return ok({ id: buf.readUInt16BE(0), zone: zoneRecord, prerequisites, updates });
  } catch (e) {
    return fail({ rcode: Rcode.FORMERR, reason: errorMessage(e) });
  }
}
