// Dynamic records (SPEC §3): pools, rules, picking method, health check and redirect settings, compiled.
import type { Cidr, RR } from '../core/index.ts';

export type MemberStatus = 'up' | 'down' | 'obey';
export type PickMethod = 'weighted' | 'weighted-rr' | 'hash' | 'all';

export interface PoolMember {
  readonly address: string;
  readonly weight: number; // 0..100; 0 drains
  readonly status: MemberStatus;
  readonly host: string | undefined; // for the redirect tier's Location
  readonly record: RR; // the A/AAAA record answered for this member
}

export interface Pool {
  readonly name: string;
  readonly fallback: string | undefined;
  readonly members: readonly PoolMember[];
}

export interface Rule {
  readonly index: number;
  readonly geos: readonly string[];
  readonly subnets: readonly { readonly text: string; readonly cidr: Cidr }[];
  readonly asns: readonly number[];
  readonly isps: readonly string[]; // lower case
  readonly pool: string;
}

export interface HealthcheckSpec {
  readonly protocol: 'HTTP' | 'HTTPS' | 'TCP';
  readonly port: number;
  readonly path: string;
  readonly host: string;
  readonly expect: readonly [number, number];
  readonly interval: string; // "10s" or a six-field cron expression
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly initial: 'up' | 'down';
  readonly tlsVerify: boolean;
}

export interface RedirectSpec {
  readonly addresses: readonly RR[];
  readonly mode: 'fallback' | 'always';
  readonly fallbackUrl: string | undefined;
  /** The Location's scheme and port (the members' service, not the tier's own). */
  readonly scheme: 'http' | 'https';
  readonly port: number | undefined;
}

export interface DynamicRecord {
  /** "name|type": the key live state is stored under. */
  readonly key: string;
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly ttlDegraded: number;
  /** The record's own `values`: answered when no rule matches, or when every pool of the chain is down. */
  readonly defaults: readonly PoolMember[];
  /** Every address the record can answer: its default values and every pool's members. */
  readonly addresses: ReadonlySet<string>;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly rules: readonly Rule[];
  readonly answers: number;
  readonly method: PickMethod;
  readonly allDown: 'fail-open' | 'empty';
  readonly healthcheck: HealthcheckSpec | undefined;
  readonly redirect: RedirectSpec | undefined;
}

/** Every member of a dynamic record: its default values, then each pool's members (an address may be in several). */
export function recordMembers(record: Pick<DynamicRecord, 'defaults' | 'pools'>): PoolMember[] {
  return [...record.defaults, ...[...record.pools.values()].flatMap((p) => p.members)];
}
