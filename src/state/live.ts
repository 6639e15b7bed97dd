// The live state (stored overlays, serials, member state, overrides) over the zone files: what queries, updates and
// reloads see. Persistent maps: a change copies what it touches, so one costs the same however many came before.
import {
  formatRData,
  parseRecordKey,
  PersistentMap,
  recordKey,
  RRClass,
  RRType,
  type RData,
  type RR,
  rdataTypeCode,
  typeName,
} from '../core/index.ts';
import type { HealthView } from '../resolve/index.ts';
import { rdataKey, type UpdateZone } from '../update/index.ts';
import {
  editZone,
  type MemberStatus,
  type RRset,
  type RRsetChange,
  serialGreater,
  soaSerial,
  type Zone,
  type ZoneSet,
} from '../zone/index.ts';
import type { Commit, JournalEntry, OverlayRecordRow, StoredState } from './rows.ts';

export interface MemberState {
  readonly inService: boolean | undefined;
  readonly health: boolean | undefined;
  readonly healthSince: number | undefined;
}

export interface Override {
  readonly status: MemberStatus;
  readonly reason: string | null;
  readonly at: number;
}

export interface RecordOverrides {
  readonly members: ReadonlyMap<string, Override>;
  readonly pools: ReadonlyMap<string, Override>;
}

/** An RRset as updates left it, and the zone file's RRset (JSON) it replaced, to notice a later edit of the file. */
export interface OverlayRRset {
  readonly ttl: number;
  readonly records: readonly RR[];
  readonly base: string | null;
}

/** A mirror of the store: replaced after every commit, never changed in place. Keys are recordKey's. */
export interface LiveState {
  readonly serials: ReadonlyMap<string, number>;
  /** zone → "name|type" → the RRset updates left (no records: deleted). */
  readonly overlays: ReadonlyMap<string, PersistentMap<OverlayRRset>>;
  /** "name|type" of a dynamic record → member address → its state. */
  readonly members: PersistentMap<ReadonlyMap<string, MemberState>>;
  /** "name|type" of a dynamic record → the operator's overrides of its members and pools. */
  readonly overrides: PersistentMap<RecordOverrides>;
}

export const EMPTY_LIVE: LiveState = {
  serials: new Map(),
  overlays: new Map(),
  members: PersistentMap.empty(),
  overrides: PersistentMap.empty(),
};

/** A record's identity as the store keeps it: its canonical wire form, in hex. */
export function storedIdentity(data: RData): string {
  return Buffer.from(rdataKey(data), 'latin1').toString('hex');
}

export function liveFromStored(s: StoredState): LiveState {
  const overlays = new Map<string, [string, OverlayRRset][]>();
  for (const o of s.overlays) {
    const records = o.records.map((r) => ({ ...decodeRecord(o.name, r), ttl: o.ttl }));
    (overlays.get(o.zone) ?? overlays.set(o.zone, []).get(o.zone)!).push([
      recordKey(o.name, o.type),
      { ttl: o.ttl, records, base: o.base },
    ]);
  }
  const members = new Map<string, Map<string, MemberState>>();
  for (const m of s.members) {
    const key = recordKey(m.name, m.type);
    (members.get(key) ?? members.set(key, new Map()).get(key)!).set(m.address, {
      inService: m.inService,
      health: m.health,
      healthSince: m.healthSince,
    });
  }
  const overrides = new Map<
    string,
    { members: Map<string, Override>; pools: Map<string, Override> }
  >();
  for (const o of s.overrides) {
    const key = recordKey(o.name, o.type);
    const entry =
      overrides.get(key) ?? overrides.set(key, { members: new Map(), pools: new Map() }).get(key)!;
    (o.kind === 'pool' ? entry.pools : entry.members).set(o.target, {
      status: o.status as MemberStatus,
      reason: o.reason,
      at: o.at,
    });
  }
  return {
    serials: s.serials,
    overlays: new Map([...overlays].map(([zone, entries]) => [zone, PersistentMap.from(entries)])),
    members: PersistentMap.from(members),
    overrides: PersistentMap.from(overrides),
  };
}

/** The zone file's version of an RRset, as stored beside an overlay to notice later edits of the file. */
export function baseOf(zone: Zone | undefined, name: string, type: number): string | null {
  const rrset = zone?.nodes.get(name)?.rrsets.get(type);
  return rrset ? encodeRecords(rrset.records) : null;
}

export function encodeRecords(records: readonly RR[]): string {
  return JSON.stringify(records.map((r) => ({ ttl: r.ttl, data: dataJson(r.data) })));
}

/** One record's data as stored (the bytes of an unknown type in hex). */
export function dataJson(data: RData): unknown {
  return data.type === 'UNKNOWN' ? { ...data, data: Buffer.from(data.data).toString('hex') } : data;
}

function decodeRecord(name: string, row: OverlayRecordRow): RR {
  const parsed = JSON.parse(row.data) as RData & { data?: unknown };
  const data = (
    parsed.type === 'UNKNOWN'
      ? { ...parsed, data: Buffer.from(String(parsed.data), 'hex') }
      : parsed
  ) as RData;
  return { name, type: rdataTypeCode(data), class: RRClass.IN, ttl: 0, data };
}

/**
 * Reconciles the stored state with freshly loaded zone files (start and reload):
 * - an overlay whose zone-file RRset changed since the overlay was written is dropped: the newer edit wins;
 * - each zone's serial is the greater (RFC 1982) of the file's and the stored one, so it never goes back.
 */
export function reconcile(
  files: ZoneSet,
  live: LiveState,
  nowMs: number,
): { live: LiveState; commit: Commit } {
  const overlays = new Map(live.overlays);
  const dropped: NonNullable<Commit['overlays']>[number][] = [];
  const journal: JournalEntry[] = [];
  for (const [zone, entries] of live.overlays) {
    const fileZone = files.zones.get(zone);
    const gone: [string, undefined][] = [];
    for (const [key, overlay] of entries) {
      const { name, type } = parseRecordKey(key);
      if (fileZone && baseOf(fileZone, name, type) === overlay.base) continue;
      gone.push([key, undefined]);
      dropped.push({ zone, name, type, ttl: 0, base: null, delete: true });
      journal.push({
        at: nowMs,
        source: 'reload',
        zone,
        name,
        type: typeName(type),
        before: formatRecords(overlay.records),
        after: null,
        reason: fileZone
          ? 'the zone file changed this RRset since the update: the file wins'
          : 'the zone is no longer served',
      });
    }
    if (gone.length > 0) overlays.set(zone, entries.with(gone));
  }
  const serials = new Map(live.serials);
  const serialWrites = new Map<string, number>();
  for (const [origin, zone] of files.zones) {
    const fileSerial = soaSerial(zone);
    const stored = serials.get(origin);
    const serial = stored === undefined || serialGreater(fileSerial, stored) ? fileSerial : stored;
    if (serial !== stored) serialWrites.set(origin, serial);
    serials.set(origin, serial);
  }
  return {
    live: { ...live, overlays, serials },
    commit: { serials: serialWrites, overlays: dropped, journal },
  };
}

/** The zones queries see: each zone file with its overlays and serial. */
export function materialize(files: ZoneSet, live: LiveState): ZoneSet {
  const zones = new Map<string, Zone>();
  for (const [origin, zone] of files.zones) zones.set(origin, materializeZone(zone, live));
  return { zones };
}

export function materializeZone(fileZone: Zone, live: LiveState): Zone {
  const overlays = live.overlays.get(fileZone.origin);
  const serial = live.serials.get(fileZone.origin) ?? soaSerial(fileZone);
  if ((!overlays || overlays.size === 0) && serial === soaSerial(fileZone)) return fileZone;
  return editZone(fileZone, rrsetChanges(fileZone, overlays ?? []), serial);
}

/**
 * The RRsets of these overlays as a zone takes them; a dynamic RRset is never replaced (updates change its
 * members).
 */
export function rrsetChanges(
  zone: Zone,
  overlays: Iterable<readonly [string, OverlayRRset | undefined]>,
): RRsetChange[] {
  const changes: RRsetChange[] = [];
  for (const [key, overlay] of overlays) {
    const { name, type } = parseRecordKey(key);
    if (zone.nodes.get(name)?.rrsets.get(type)?.dynamic) continue;
    changes.push({
      name,
      type,
      rrset: overlay && overlay.records.length > 0 ? overlayRRset(name, type, overlay) : undefined,
    });
  }
  return changes;
}

function overlayRRset(name: string, type: number, overlay: OverlayRRset): RRset {
  const records = Object.freeze(
    overlay.records.map((r) =>
      r.ttl === overlay.ttl && r.name === name ? r : { ...r, name, ttl: overlay.ttl },
    ),
  );
  return Object.freeze({ name, type, ttl: overlay.ttl, records, dynamic: undefined });
}

/** The health view queries read: the live state's own maps, so a commit costs it nothing. */
export function healthView(live: LiveState): HealthView {
  return {
    check: (record, address) => live.members.get(record.key)?.get(address)?.health,
    inService: (record, address) => live.members.get(record.key)?.get(address)?.inService !== false,
    memberOverride: (record, address) =>
      live.overrides.get(record.key)?.members.get(address)?.status,
    poolOverride: (record, pool) => live.overrides.get(record.key)?.pools.get(pool)?.status,
  };
}

/** A zone as an update sees it: dynamic records list the addresses in service. */
export function updateView(zone: Zone, live: LiveState): UpdateZone {
  return {
    origin: zone.origin,
    rrset(name, type) {
      const rrset = zone.nodes.get(name)?.rrsets.get(type);
      if (!rrset?.dynamic) return rrset?.records ?? [];
      const d = rrset.dynamic;
      const members = live.members.get(d.key);
      return [...d.addresses]
        .filter((a) => members?.get(a)?.inService !== false)
        .map((address) => ({
          name,
          type,
          class: RRClass.IN,
          ttl: d.ttl,
          data: { type: type === RRType.AAAA ? 'AAAA' : 'A', address },
        }));
    },
    types: (name) => [...(zone.nodes.get(name)?.rrsets.keys() ?? [])],
    dynamic: (name, type) => zone.nodes.get(name)?.rrsets.get(type)?.dynamic,
  };
}

export function formatRecords(records: readonly RR[]): string | null {
  return records.length === 0
    ? null
    : records.map((r) => `${r.ttl} ${typeName(r.type)} ${formatRData(r.data)}`).join('; ');
}
