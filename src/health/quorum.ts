// Health decided by several vantage points (SPEC §8): every live node publishes the verdict of its own probes, and
// a member is down when `health_quorum` of the live nodes see it down, up again when that is no longer so.
import { memberKey, recordKey } from '../core/index.ts';
import type { HealthTarget, Transition } from './monitor.ts';

/** What the nodes see: the live nodes, and each one's verdict per member (memberKey → up). */
export interface Observations {
  readonly nodes: ReadonlySet<string>;
  readonly byNode: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
}

/**
 * How many live nodes must see a member down: `majority` (more than half), `all`, or a number. Undefined when no
 * decision can be made: no live node, or fewer live nodes than the number asked for (the last decision stands).
 */
export function downQuorum(setting: string, live: number): number | undefined {
  if (live === 0) return undefined;
  if (setting === 'majority') return Math.floor(live / 2) + 1;
  if (setting === 'all') return live;
  const n = Number(setting);
  return live >= n ? n : undefined;
}

/**
 * The members whose decision changes: for each member of `targets`, down when enough live nodes see it down
 * (a node that has not said anything yet does not count as seeing it down). `current(record, address)`: the
 * decision in force (undefined: none yet, and the member's initial state stands).
 */
export function quorumTransitions(
  targets: readonly HealthTarget[],
  seen: Observations,
  setting: string,
  current: (record: string, address: string) => boolean | undefined,
): Transition[] {
  const needed = downQuorum(setting, seen.nodes.size);
  if (needed === undefined) return [];
  const out: Transition[] = [];
  for (const target of targets) {
    const address = target.spec.address;
    for (const s of target.subscribers) {
      const record = recordKey(s.name, s.type);
      const key = memberKey(record, address);
      let down = 0;
      for (const node of seen.nodes) if (seen.byNode.get(node)?.get(key) === false) down++;
      const up = down < needed;
      if (up === (current(record, address) ?? s.initiallyUp)) continue;
      const detail = `${down} of ${seen.nodes.size} live node(s) see it down, ${needed} needed`;
      out.push({ zone: s.zone, name: s.name, type: s.type, ttl: s.ttl, address, up, detail });
    }
  }
  return out;
}
