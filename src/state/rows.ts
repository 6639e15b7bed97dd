// The persisted shapes of gslb's state: what the store reads and writes, as plain data.

export interface RRsetRow {
  readonly zone: string;
  readonly name: string;
  readonly type: number;
  readonly records: string; // JSON
  readonly base: string | null; // the zone file's RRset (JSON) when this row was written; null: it had none
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
  readonly before: string | null;
  readonly after: string | null;
  readonly reason: string | null;
}

export interface StoredState {
  readonly serials: ReadonlyMap<string, number>;
  readonly rrsets: readonly RRsetRow[];
  readonly members: readonly MemberRow[];
  readonly overrides: readonly OverrideRow[];
}

/** Everything one acknowledged change writes, committed in one transaction. */
export interface Commit {
  readonly serials?: ReadonlyMap<string, number>;
  readonly rrsets?: readonly (RRsetRow & { readonly delete?: boolean })[];
  readonly members?: readonly { name: string; type: number; address: string; inService?: boolean | null; health?: boolean | null; at: number }[];
  readonly overrides?: readonly (OverrideRow & { readonly delete?: boolean })[];
  readonly journal?: readonly JournalEntry[];
}
