// A record's dynamic keys (octoDNS `dynamic` plus gslb's additions) → a validated DynamicRecord.
import {
  geoCodeProblem,
  isIpOfType,
  parseCidr,
  recordKey,
  type RR,
  RRClass,
  RRType,
} from '../core/index.ts';
import { parseHealthcheck } from './healthcheck.ts';
import { parseRedirect } from './redirect.ts';
import {
  type DynamicRecord,
  type MemberStatus,
  type PickMethod,
  type Pool,
  type PoolMember,
  recordMembers,
  type Rule,
} from './dynamic-model.ts';
import { DYNAMIC_KEYS, MAX_TTL_SECONDS } from './records.ts';
import {
  type Collector,
  keyText,
  mapPairs,
  type Pair,
  readInteger,
  readMapping,
  readString,
  scalarValue,
  seqItems,
  type YamlNode,
} from '../yaml/index.ts';

type Keys = ReadonlyMap<string, Pair>;

interface RecordContext {
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  readonly ttl: number;
  readonly defaults: readonly RR[];
}

const METHODS: readonly PickMethod[] = ['weighted', 'weighted-rr', 'hash', 'all'];

/** Undefined when the record has none of the dynamic keys, or when they have errors (already reported). */
export function parseDynamicRecord(
  c: Collector,
  keys: Keys,
  ctx: RecordContext,
): DynamicRecord | undefined {
  const has = DYNAMIC_KEYS.some((k) => keys.has(k));
  if (!has) return undefined;
  const before = c.errors;
  const member = (
    address: string,
    weight = 1,
    status: MemberStatus = 'obey',
    host?: string,
  ): PoolMember => ({
    address,
    weight,
    status,
    host,
    record: {
      name: ctx.name,
      type: RRType[ctx.type],
      class: RRClass.IN,
      ttl: ctx.ttl,
      data: { type: ctx.type, address },
    },
  });
  const dynamic = keys.get('dynamic')
    ? readMapping(c, keys.get('dynamic')!.value, ['pools', 'rules'], '"dynamic"')
    : undefined;
  const pools = dynamic?.get('pools')
    ? parsePools(c, dynamic.get('pools')!, ctx, member)
    : new Map<string, Pool>();
  const rules = dynamic?.get('rules') ? parseRules(c, dynamic.get('rules')!, pools) : [];
  if (dynamic && !dynamic.get('pools'))
    c.report(keys.get('dynamic')!.value, 'MISSING_KEY', '"dynamic" needs "pools"');
  if (dynamic && !dynamic.get('rules'))
    c.report(keys.get('dynamic')!.value, 'MISSING_KEY', '"dynamic" needs "rules"');
  checkPoolGraph(c, pools, rules, dynamic?.get('pools'));
  const int = (key: string, min: number, max: number, fallback: number): number =>
    keys.get(key)
      ? (readInteger(
          c,
          keys.get(key)!.value,
          min,
          max,
          key,
          key === 'ttl_degraded' ? 'BAD_TTL' : 'BAD_VALUE',
        ) ?? fallback)
      : fallback;
  const method = keys.get('method')
    ? readString(c, keys.get('method')!.value, 'method')
    : 'weighted';
  if (!METHODS.includes(method as PickMethod))
    c.report(
      keys.get('method')?.value,
      'BAD_VALUE',
      `method "${method}" is not one of ${METHODS.join(', ')}`,
    );
  const allDown = keys.get('all_down')
    ? readString(c, keys.get('all_down')!.value, 'all_down')
    : 'fail-open';
  if (allDown !== 'fail-open' && allDown !== 'empty')
    c.report(keys.get('all_down')?.value, 'BAD_VALUE', 'all_down must be fail-open or empty');
  const defaults = ctx.defaults.map((rr) =>
    member(rr.data.type === 'A' || rr.data.type === 'AAAA' ? rr.data.address : ''),
  );
  const record: DynamicRecord = {
    key: recordKey(ctx.name, RRType[ctx.type]),
    name: ctx.name,
    type: RRType[ctx.type],
    ttl: ctx.ttl,
    ttlDegraded: int('ttl_degraded', 0, MAX_TTL_SECONDS, ctx.ttl),
    defaults,
    addresses: new Set(recordMembers({ defaults, pools }).map((m) => m.address)),
    pools,
    rules,
    answers: int('answers', 1, 64, 1),
    method: method as PickMethod,
    allDown: allDown === 'empty' ? 'empty' : 'fail-open',
    healthcheck: parseHealthcheck(c, keys.get('healthcheck'), keys.get('octodns'), ctx.name),
    redirect: keys.get('redirect')
      ? parseRedirect(c, keys.get('redirect')!, ctx.name, ctx.type, ctx.ttl)
      : undefined,
  };
  return c.errors > before ? undefined : record;
}

function parsePools(
  c: Collector,
  pair: Pair,
  ctx: RecordContext,
  member: (a: string, w?: number, s?: MemberStatus, h?: string) => PoolMember,
): Map<string, Pool> {
  const pools = new Map<string, Pool>();
  const pairs = mapPairs(pair.value);
  if (!pairs || pairs.length === 0)
    c.report(pair.value, 'BAD_STRUCTURE', '"pools" must be a mapping of pool names to pools');
  for (const poolPair of pairs ?? []) {
    const name = keyText(poolPair);
    const keys = readMapping(c, poolPair.value, ['values', 'fallback'], `pool "${name}"`);
    const fallbackNode = keys?.get('fallback')?.value;
    const fallback =
      fallbackNode === undefined || scalarValue(fallbackNode) === null
        ? undefined
        : readString(c, fallbackNode, 'fallback');
    const items = keys?.get('values') ? seqItems(keys.get('values')!.value) : undefined;
    if (!items || items.length === 0)
      c.report(
        keys?.get('values')?.value ?? poolPair.value,
        'MISSING_KEY',
        `pool "${name}" needs a non-empty "values" list`,
      );
    const members: PoolMember[] = [];
    for (const item of items ?? []) {
      const m = readMapping(
        c,
        item,
        ['value', 'weight', 'status', 'host'],
        `a member of pool "${name}"`,
      );
      const valueNode = m?.get('value')?.value;
      if (valueNode === undefined) {
        c.report(item, 'MISSING_KEY', `a member of pool "${name}" needs "value"`);
        continue;
      }
      const address = (readString(c, valueNode, 'value') ?? '').toLowerCase();
      if (!isIpOfType(address, ctx.type))
        c.report(
          valueNode,
          'BAD_ADDRESS',
          `"${address}" is not an ${ctx.type === 'A' ? 'IPv4' : 'IPv6'} address`,
        );
      else if (members.some((x) => x.address === address))
        c.report(valueNode, 'DUPLICATE_MEMBER', `${address} is listed twice in pool "${name}"`);
      const weight = m?.get('weight')
        ? (readInteger(c, m.get('weight')!.value, 0, 100, 'weight', 'BAD_WEIGHT') ?? 1)
        : 1;
      const status = m?.get('status') ? readString(c, m.get('status')!.value, 'status') : 'obey';
      if (status !== 'up' && status !== 'down' && status !== 'obey')
        c.report(m?.get('status')?.value, 'BAD_VALUE', 'status must be up, down or obey');
      const host = m?.get('host') ? readString(c, m.get('host')!.value, 'host') : undefined;
      members.push(member(address, weight, status as MemberStatus, host));
    }
    pools.set(name, { name, fallback, members });
  }
  return pools;
}

function parseRules(c: Collector, pair: Pair, pools: ReadonlyMap<string, Pool>): Rule[] {
  const items = seqItems(pair.value);
  if (!items || items.length === 0)
    c.report(pair.value, 'BAD_STRUCTURE', '"rules" must be a non-empty list');
  const rules: Rule[] = [];
  let catchAll: number | undefined;
  (items ?? []).forEach((item, index) => {
    const keys = readMapping(c, item, ['pool', 'geos', 'subnets', 'asns', 'isps'], 'a rule');
    if (!keys) return;
    if (catchAll !== undefined)
      c.report(
        item,
        'RULE_AFTER_CATCHALL',
        `rule ${index + 1} comes after the catch-all rule ${catchAll + 1} and can never match`,
      );
    const list = (key: string): readonly YamlNode[] =>
      keys.get(key) ? [...(seqItems(keys.get(key)!.value) ?? [])] : [];
    const geos = list('geos').map((n) => {
      const code = readString(c, n, 'geo') ?? '';
      const problem = geoCodeProblem(code);
      if (problem) c.report(n, 'BAD_GEO', problem);
      return code;
    });
    const subnets = list('subnets').flatMap((n) => {
      const text = readString(c, n, 'subnet') ?? '';
      const cidr = parseCidr(text);
      if (!cidr.ok) c.report(n, 'BAD_VALUE', cidr.error);
      return cidr.ok ? [{ text, cidr: cidr.value }] : [];
    });
    const asns = list('asns').map((n) => readInteger(c, n, 0, 4294967295, 'asn') ?? -1);
    const isps = list('isps').map((n) => (readString(c, n, 'isp') ?? '').toLowerCase());
    const pool = keys.get('pool') ? readString(c, keys.get('pool')!.value, 'pool') : undefined;
    if (pool === undefined) c.report(item, 'MISSING_KEY', 'a rule needs "pool"');
    else if (!pools.has(pool))
      c.report(
        keys.get('pool')!.value,
        'UNKNOWN_POOL',
        `rule ${index + 1} names pool "${pool}", which is not defined`,
      );
    // A catch-all has none of the conditions (a rule whose only subnet is malformed is not one).
    if (!['geos', 'subnets', 'asns', 'isps'].some((k) => keys.has(k))) catchAll ??= index;
    rules.push({ index, geos, subnets, asns, isps, pool: pool ?? '' });
  });
  return rules;
}

/** Every pool named exists, fallback chains end, and every pool is reachable (SPEC §3). */
function checkPoolGraph(
  c: Collector,
  pools: ReadonlyMap<string, Pool>,
  rules: readonly Rule[],
  poolsPair: Pair | undefined,
): void {
  const pairOf = (name: string): Pair | undefined =>
    mapPairs(poolsPair?.value)?.find((p) => keyText(p) === name);
  const reached = new Set(rules.map((r) => r.pool));
  const inReportedCycle = new Set<string>();
  for (const pool of pools.values()) {
    if (pool.fallback === undefined) continue;
    reached.add(pool.fallback);
    if (!pools.has(pool.fallback)) {
      const fallbackNode = mapPairs(pairOf(pool.name)?.value)?.find(
        (p) => keyText(p) === 'fallback',
      )?.value;
      c.report(
        fallbackNode,
        'UNKNOWN_POOL',
        `pool "${pool.name}" falls back to "${pool.fallback}", which is not defined`,
      );
      continue;
    }
    const path = [pool.name];
    for (
      let next: string | undefined = pool.fallback;
      next !== undefined;
      next = pools.get(next)?.fallback
    ) {
      if (next === pool.name) {
        if (!inReportedCycle.has(pool.name))
          c.report(
            pairOf(pool.name)?.key,
            'FALLBACK_CYCLE',
            `fallback cycle: ${[...path, next].join(' → ')}`,
          );
        path.forEach((p) => inReportedCycle.add(p));
        break;
      }
      if (path.includes(next) || !pools.has(next)) break;
      path.push(next);
    }
  }
  for (const pool of pools.values()) {
    if (!reached.has(pool.name))
      c.report(
        pairOf(pool.name)?.key,
        'UNUSED_POOL',
        `pool "${pool.name}" is not named by any rule or fallback`,
        'warning',
      );
  }
}
