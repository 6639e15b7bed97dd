// What an update reads (a view of one zone) and what it produces (a changeset), as values.
import { fail, type RData, type RR } from '../core/index.ts';
import type { DynamicRecord } from '../zone/index.ts';

/** A record of a prerequisite or update section; `data` is undefined when its rdata is empty. */
export interface UpdateRR {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: RData | undefined;
}

/** One zone as an update sees it. For a dynamic record, `rrset` lists the addresses in service. */
export interface UpdateZone {
  readonly origin: string;
  rrset(name: string, type: number): readonly RR[];
  /** Types with records at `name`. */
  types(name: string): readonly number[];
  dynamic(name: string, type: number): DynamicRecord | undefined;
}

/** Who signed the update: an operator's key (`update`) or the health monitor's internal key (`health`). */
export type UpdateSource = 'update' | 'health';

export type Change =
  /** The RRset's new records (an empty list deletes it), with the ones added and removed and its TTL. */
  | {
      readonly kind: 'rrset';
      readonly name: string;
      readonly type: number;
      readonly ttl: number;
      readonly records: readonly RR[];
      readonly added: readonly RR[];
      readonly removed: readonly RR[];
    }
  /** A dynamic record's member taken out of service (deleted by an operator) or returned. */
  | {
      readonly kind: 'service';
      readonly name: string;
      readonly type: number;
      readonly address: string;
      readonly inService: boolean;
    }
  /** A dynamic record's member found down or up by the health monitor. */
  | {
      readonly kind: 'health';
      readonly name: string;
      readonly type: number;
      readonly address: string;
      readonly up: boolean;
    }
  /** An operator's override (API) of a member's or a whole pool's status. */
  | {
      readonly kind: 'override';
      readonly name: string;
      readonly type: number;
      readonly target: 'member' | 'pool';
      readonly key: string;
      readonly status: 'up' | 'down' | 'obey';
      readonly reason: string;
    };

/** Why an update is refused: the rcode its reply carries and a reason for the log. */
export interface Refusal {
  readonly rcode: number;
  readonly reason: string;
}

export function refuse(
  rcode: number,
  reason: string,
): { readonly ok: false; readonly error: Refusal } {
  return fail({ rcode, reason });
}
