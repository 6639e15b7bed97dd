// The reply cache: encoded replies by question name and shape, kept for one snapshot (see Responder) and bounded.
import type { DynamicRecord } from '../zone/index.ts';

/**
 * Encoded replies by question name and `shape`, in two tiers that each start over when full. Answers (positive, and
 * the picks of dynamic records) may hold MAX_ENTRIES: a large zone's working set. Negative answers (NXDOMAIN, NODATA,
 * REFUSED) hold NEGATIVE_ENTRIES: a flood of random names or types churns that small tier and nothing else, so it
 * neither grows memory nor pushes out the answers (RFC 8198 names the better cure, NSEC, for signed zones).
 */
export class ReplyCache {
  static readonly MAX_ENTRIES = 50_000;
  static readonly NEGATIVE_ENTRIES = 2_048;
  private readonly positive = new ReplyTier(ReplyCache.MAX_ENTRIES);
  private readonly negative = new ReplyTier(ReplyCache.NEGATIVE_ENTRIES);

  /** Replies held, picks of dynamic records included. */
  get size(): number {
    return this.positive.size + this.negative.size;
  }

  get(name: string, shape: number): CachedReply | undefined {
    return this.positive.get(name, shape) ?? this.negative.get(name, shape);
  }

  /** `negative`: an answer with nothing in it (kept in the small tier). */
  set(name: string, entry: CachedReply, negative = false): void {
    (negative ? this.negative : this.positive).set(name, entry);
  }

  /** One pick's reply for a dynamic route (counted against MAX_ENTRIES). */
  setPick(route: CachedReply & { kind: 'dynamic' }, pickKey: string, reply: EncodedReply): void {
    if (route.replies.size >= MAX_REPLIES_PER_ROUTE) {
      this.positive.uncount(route.replies.size);
      route.replies.clear();
    }
    if (!route.replies.has(pickKey)) this.positive.count(1);
    route.replies.set(pickKey, reply);
  }
}

const MAX_REPLIES_PER_ROUTE = 1_024; // orders of several picked members

/** Replies by name, then shape; most names are asked in one shape, kept alone (a Map of shapes for the others). */
class ReplyTier {
  private byName = new Map<string, CachedReply | Map<number, CachedReply>>();
  private entries = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries;
  }

  get(name: string, shape: number): CachedReply | undefined {
    const found = this.byName.get(name);
    if (found === undefined) return undefined;
    if (found instanceof Map) return found.get(shape);
    return found.shape === shape ? found : undefined;
  }

  set(name: string, entry: CachedReply): void {
    if (this.entries >= this.max) {
      this.byName = new Map(); // a new table: clear() would keep the old one's size
      this.entries = 0;
    }
    const found = this.byName.get(name);
    if (found === undefined) {
      this.byName.set(name, entry);
      this.count(1);
    } else if (found instanceof Map) {
      if (!found.has(entry.shape)) this.count(1);
      found.set(entry.shape, entry);
    } else if (found.shape === entry.shape) {
      this.byName.set(name, entry);
    } else {
      this.byName.set(
        name,
        new Map([
          [found.shape, found],
          [entry.shape, entry],
        ]),
      );
      this.count(1);
    }
  }

  count(n: number): void {
    this.entries += n;
  }

  uncount(n: number): void {
    this.entries = Math.max(0, this.entries - n);
  }
}

/** One encoded reply; `zone` answered it; `responseClass`: what rate limiting counts it as (see query/). */
export interface EncodedReply {
  readonly bytes: Buffer;
  readonly rcode: number;
  readonly zone: string | undefined;
  readonly responseClass: number;
}

/**
 * What the reply cache holds for a question: the reply itself (the same for every client), or for a question that
 * leads to a dynamic record, that record and its replies by what was picked. `shape`: everything besides the name
 * that the bytes depend on (type, size limit, EDNS, ECS family and prefix), as one number.
 */
export type CachedReply =
  | ({ readonly kind: 'reply'; readonly shape: number } & EncodedReply)
  | {
      readonly kind: 'dynamic';
      readonly shape: number;
      readonly record: DynamicRecord;
      readonly zone: string;
      readonly owner: string;
      readonly replies: Map<string, EncodedReply>;
    };
