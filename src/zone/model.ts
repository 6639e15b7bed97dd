// The compiled, frozen form of zones that every query reads.
import type { RR } from '../core/index.ts';
import type { DynamicRecord } from './dynamic-model.ts';

export interface RRset {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly records: readonly RR[];
  /** Set for an A/AAAA record with pools, rules or a health check: its answer is decided per query. */
  readonly dynamic: DynamicRecord | undefined;
}

/** A name in the zone; an empty non-terminal has no RRsets (RFC 4592 §2.2.2). */
export interface ZoneNode {
  readonly name: string;
  readonly rrsets: ReadonlyMap<number, RRset>;
  /** Names directly below this one (empty non-terminals included): a name with none and no RRsets is no name. */
  readonly children: number;
}

export interface Zone {
  readonly origin: string;
  readonly file: string;
  readonly soa: RR;
  /** Every owner name and every name between an owner and the apex. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  /** Delegation points: names below the apex that own NS records. */
  readonly cuts: ReadonlySet<string>;
  /**
   * The source text of each top-level entry of the zone file that loaded without a problem (the apex aside) → the
   * types of the RRsets it made and its key, packed in one string ("1,28 www"): a reload takes those RRsets as they
   * are when the text is unchanged. One short string per name, as a zone of 100,000 names keeps 100,000 of them.
   */
  readonly sources?: ReadonlyMap<string, string>;
}

/** All zones served at one moment; replaced whole, never changed in place. */
export interface ZoneSet {
  readonly zones: ReadonlyMap<string, Zone>;
}
