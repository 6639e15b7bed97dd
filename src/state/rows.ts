// The persisted shapes of gslb's state: what the store reads and writes, as plain data.

/** An RRset an update changed: its TTL, and the zone file's RRset (JSON) when it was first changed (null: none). */
export interface OverlayRow {
  readonly zone: string;
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly base: string | null;
}

/** One record of an overlay RRset: its identity (canonical wire form, hex) and its data (JSON). */
export interface OverlayRecordRow {
  readonly zone: string;
  readonly name: string;
  readonly type: number;
  readonly key: string;
  readonly data: string;
}

export interface MemberRow {
  readonly name: string;
  readonly type: number;
  readonly address: string;
  readonly inService: boolean | undefined;
  readonly health: boolean | undefined;
  readonly healthSince: number | undefined;
}

export interface OverrideRow {
  readonly name: string;
  readonly type: number;
  readonly kind: 'member' | 'pool';
  readonly target: string;
  readonly status: string;
  readonly reason: string | null;
  readonly at: number;
}

export interface JournalEntry {
  readonly id?: number;
  readonly at: number; // ms since the epoch
  readonly source: 'health' | 'update' | 'api' | 'reload';
  readonly zone: string | null;
  readonly name: string | null;
  readonly type: string | null;
  /** For an RRset: the records the change removed; for a member or override: its state before. */
  readonly before: string | null;
  /** For an RRset: the records the change added; for a member or override: its state after. */
  readonly after: string | null;
  readonly reason: string | null;
}

export interface StoredState {
  readonly serials: ReadonlyMap<string, number>;
  readonly overlays: readonly (OverlayRow & { readonly records: readonly OverlayRecordRow[] })[];
  readonly members: readonly MemberRow[];
  readonly overrides: readonly OverrideRow[];
}

/**
 * Everything one acknowledged change writes, committed in one transaction: what changed, not what stayed (an RRset
 * grown by one record writes one record row).
 */
export interface Commit {
  readonly serials?: ReadonlyMap<string, number>;
  /** Overlay RRsets written (TTL, base) or dropped with all their records (`delete`). */
  readonly overlays?: readonly (OverlayRow & { readonly delete?: boolean })[];
  /** Records added to (data) or removed from (data null) overlay RRsets. */
  readonly records?: readonly (Omit<OverlayRecordRow, 'data'> & { readonly data: string | null })[];
  readonly members?: readonly {
    name: string;
    type: number;
    address: string;
    inService?: boolean | null;
    health?: boolean | null;
    at: number;
  }[];
  readonly overrides?: readonly (OverrideRow & { readonly delete?: boolean })[];
  readonly journal?: readonly JournalEntry[];
}
