// What a query gets, as a value: the query room turns it into wire format, explain prints it.
import type { RR } from '../core/index.ts';
import type { DynamicRecord } from '../zone/index.ts';
import type { DynamicTrace } from './dynamic.ts';

interface Sections {
  readonly answer: readonly RR[];
  readonly authority: readonly RR[];
  readonly additional: readonly RR[];
  /** The ECS scope prefix: how much of the client address the decision depended on (0: none). */
  readonly scopePrefix: number;
  readonly zone: string;
  /** How a dynamic record's answer was chosen (what `explain` prints). */
  readonly trace?: DynamicTrace;
  /** The dynamic record that was decided (the end of any CNAME chain). */
  readonly record?: DynamicRecord;
  /** The wildcard the answer was made from (RFC 4592), when it was: what rate limiting counts it under. */
  readonly wildcard?: string;
}

export type Answer =
  | (Sections & { readonly kind: 'answer' })
  | (Sections & { readonly kind: 'nodata' })
  | (Sections & { readonly kind: 'nxdomain' })
  /** A referral; `answer` holds any CNAME chain that led into the delegation. */
  | (Sections & { readonly kind: 'delegation' })
  | { readonly kind: 'refused'; readonly reason: string };

export interface Query {
  readonly name: string; // lower-case FQDN
  readonly type: number;
}

/** Every answer that carries sections (all but `refused`). */
export type AnswerWithSections = Exclude<Answer, { readonly kind: 'refused' }>;
