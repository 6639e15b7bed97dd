// A brute-force view of a record's rules over the address space, for checking decision trees: the per-client decision
// (the rules evaluated on looked-up facts, with the narrower scope each fact's block gives) walked block by block.
import { type GeoDatabase, NO_FACTS } from '../../src/geo/index.ts';
import { NO_HEALTH } from '../../src/resolve/index.ts';
import { planDynamic } from '../../src/resolve/dynamic.ts';
import type { DynamicRecord } from '../../src/zone/index.ts';

export function toBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function fromBig(v: bigint, family: 4 | 16): Uint8Array {
  const out = new Uint8Array(family);
  for (let i = family - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The pool the rules lead to for one address, and the block the per-client decision says it holds for. */
export function bruteOutcome(
  record: DynamicRecord,
  geo: GeoDatabase | undefined,
  address: Uint8Array,
): { pool: string | undefined; scope: number } {
  const lookup = geo ? geo.lookup : () => NO_FACTS;
  const plan = planDynamic(record, { address, prefix: address.length * 8 }, lookup, NO_HEALTH);
  return { pool: plan.rules.find((r) => r.matched)?.pool, scope: plan.scopePrefix };
}

/**
 * Every pool reached in the block `network/prefix`, walked from one per-client block to the next; stops early once
 * `stopAt` pools are seen or after `budget` decisions (then `complete` is false).
 */
export function poolsIn(
  record: DynamicRecord,
  geo: GeoDatabase | undefined,
  network: Uint8Array,
  prefix: number,
  options: { stopAt?: number; budget?: number } = {},
): { pools: Set<string | undefined>; complete: boolean } {
  const family = network.length as 4 | 16;
  const bits = BigInt(family * 8);
  const start = toBig(network);
  const end = start + (1n << (bits - BigInt(prefix)));
  const pools = new Set<string | undefined>();
  let budget = options.budget ?? 1_000_000;
  for (let a = start; a < end;) {
    if (budget-- === 0) return { pools, complete: false };
    const r = bruteOutcome(record, geo, fromBig(a, family));
    pools.add(r.pool);
    if (pools.size >= (options.stopAt ?? Infinity)) return { pools, complete: true };
    const size = 1n << (bits - BigInt(Math.max(r.scope, prefix)));
    a = (a / size + 1n) * size;
  }
  return { pools, complete: true };
}
