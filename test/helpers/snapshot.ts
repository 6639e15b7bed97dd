// Snapshots for in-process tests: zones from text, optional GeoIP, health from a table, randomness from a sequence.
import { type GeoDatabase } from '../../src/geo/index.ts';
import {
  cachingSnapshot,
  type Chooser,
  DecisionTrees,
  type HealthView,
  NO_HEALTH,
  type Snapshot,
} from '../../src/resolve/index.ts';
import { loadZones } from '../../src/zone/index.ts';
import { mulberry32 } from './random.ts';

export function snapshotOf(
  zones: Record<string, string>,
  options: { geo?: GeoDatabase; health?: HealthView } = {},
): Snapshot {
  const loaded = loadZones(
    Object.entries(zones).map(([path, text]) => ({ path, text })),
    { defaultSerial: 1 },
  );
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.zoneSet) throw new Error(`test zones have errors: ${JSON.stringify(errors)}`);
  return { zones: loaded.zoneSet, geo: options.geo, health: options.health ?? NO_HEALTH };
}

/** The snapshot a server serves: plans cached, every dynamic record's rules compiled over the GeoIP data. */
export async function compiledSnapshotOf(
  zones: Record<string, string>,
  options: { geo?: GeoDatabase; health?: HealthView } = {},
): Promise<Snapshot> {
  const plain = snapshotOf(zones, options);
  const trees = new DecisionTrees(plain.geo);
  const report = await trees.prepare(plain.zones, () => Promise.resolve());
  if (!report || report.failed.length > 0)
    throw new Error(`rules not compiled: ${report?.failed.join('; ')}`);
  return cachingSnapshot({ ...plain, trees });
}

/** Random numbers from a fixed list (cycled), or from a seed; round-robin positions counted per key. */
export function chooserOf(source: readonly number[] | number = 1): Chooser {
  const seeded = typeof source === 'number' ? mulberry32(source) : undefined;
  let i = 0;
  const positions = new Map<string, number>();
  return {
    random: () =>
      seeded
        ? seeded()
        : (source as readonly number[])[i++ % (source as readonly number[]).length]!,
    next: (key) => {
      const n = positions.get(key) ?? 0;
      positions.set(key, n + 1);
      return n;
    },
  };
}

/** Health verdicts by address: true up, false down, absent unknown. */
export function healthOf(table: Record<string, boolean>): HealthView {
  return { ...NO_HEALTH, check: (_record, address) => table[address] };
}
