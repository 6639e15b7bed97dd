// What an accepted change does: the delta to the live state (the same one worker processes apply), the rows the store
// writes, and the zone queries then see. Each costs what the change touches.
import { PersistentMap, recordKey, typeName } from '../core/index.ts';
import type { Change } from '../update/index.ts';
import { editZone, nextSerial, soaSerial, type Zone } from '../zone/index.ts';
import {
  baseOf,
  dataJson,
  formatRecords,
  type LiveState,
  type MemberState,
  type OverlayRRset,
  type Override,
  type RecordOverrides,
  rrsetChanges,
  storedIdentity,
} from './live.ts';
import type { Commit, JournalEntry } from './rows.ts';

/** One committed change to one zone's live state, as plain data (it crosses to worker processes). */
export interface LiveDelta {
  readonly origin: string;
  readonly serial: number;
  /** RRsets an update changed: their overlay now (undefined: none, the zone file's RRset again). */
  readonly overlays: readonly {
    readonly key: string;
    readonly overlay: OverlayRRset | undefined;
  }[];
  readonly members: readonly {
    readonly record: string;
    readonly address: string;
    readonly state: MemberState;
  }[];
  readonly overrides: readonly {
    readonly record: string;
    readonly target: 'member' | 'pool';
    readonly key: string;
    readonly override: Override;
  }[];
}

export interface ChangeMeta {
  readonly source: 'health' | 'update' | 'api';
  readonly reason: string;
  readonly nowMs: number;
}

/** The delta, the store's rows and the journal of an accepted change to `zone` (the zone in service). */
export function planChanges(
  zone: Zone,
  fileZone: Zone | undefined,
  live: LiveState,
  changes: readonly Change[],
  meta: ChangeMeta,
): { delta: LiveDelta; commit: Commit; live: LiveState } {
  const origin = zone.origin;
  const serial = nextSerial(live.serials.get(origin) ?? soaSerial(zone));
  const rows = {
    overlays: [] as NonNullable<Commit['overlays']>[number][],
    records: [] as NonNullable<Commit['records']>[number][],
    members: [] as NonNullable<Commit['members']>[number][],
    overrides: [] as NonNullable<Commit['overrides']>[number][],
  };
  const journal: JournalEntry[] = [];
  const delta = {
    origin,
    serial,
    overlays: [] as LiveDelta['overlays'][number][],
    members: [] as LiveDelta['members'][number][],
    overrides: [] as LiveDelta['overrides'][number][],
  };
  const entry = (
    name: string,
    type: number,
    before: string | null,
    after: string | null,
    reason = meta.reason,
  ): JournalEntry => ({
    at: meta.nowMs,
    source: meta.source,
    zone: origin,
    name,
    type: typeName(type),
    before,
    after,
    reason,
  });
  const members = new Map<string, Map<string, MemberState>>(); // what this change set so far, per record
  for (const c of changes) {
    const key = recordKey(c.name, c.type);
    if (c.kind === 'rrset') {
      const existing = live.overlays.get(origin)?.get(key);
      const base = existing ? existing.base : baseOf(fileZone, c.name, c.type);
      const overlay =
        c.records.length === 0 && base === null
          ? undefined
          : { ttl: c.ttl, records: c.records, base };
      delta.overlays.push({ key, overlay });
      if (!overlay) {
        rows.overlays.push({
          zone: origin,
          name: c.name,
          type: c.type,
          ttl: 0,
          base: null,
          delete: true,
        });
      } else {
        rows.overlays.push({ zone: origin, name: c.name, type: c.type, ttl: c.ttl, base });
        // A first overlay holds the whole RRset; after that only what was added and removed is written.
        const written = existing ? c.added : c.records;
        for (const rr of written)
          rows.records.push({
            zone: origin,
            name: c.name,
            type: c.type,
            key: storedIdentity(rr.data),
            data: JSON.stringify(dataJson(rr.data)),
          });
        if (existing)
          for (const rr of c.removed)
            rows.records.push({
              zone: origin,
              name: c.name,
              type: c.type,
              key: storedIdentity(rr.data),
              data: null,
            });
      }
      const ttlNote = c.added.length === 0 && c.removed.length === 0 ? `TTL ${c.ttl}` : null;
      journal.push(
        entry(c.name, c.type, formatRecords(c.removed), formatRecords(c.added) ?? ttlNote),
      );
    } else if (c.kind === 'override') {
      const current = live.overrides.get(key);
      const was =
        (c.target === 'pool' ? current?.pools : current?.members)?.get(c.key)?.status ??
        'as configured';
      const override = { status: c.status, reason: c.reason, at: meta.nowMs };
      delta.overrides.push({ record: key, target: c.target, key: c.key, override });
      rows.overrides.push({
        name: c.name,
        type: c.type,
        kind: c.target,
        target: c.key,
        status: c.status,
        reason: c.reason,
        at: meta.nowMs,
      });
      journal.push(
        entry(
          c.name,
          c.type,
          `${c.target} ${c.key} ${was}`,
          `${c.target} ${c.key} ${c.status}`,
          c.reason || meta.reason,
        ),
      );
    } else {
      const mine = members.get(key) ?? members.set(key, new Map()).get(key)!;
      const old = mine.get(c.address) ??
        live.members.get(key)?.get(c.address) ?? {
          inService: undefined,
          health: undefined,
          healthSince: undefined,
        };
      const state =
        c.kind === 'service'
          ? { ...old, inService: c.inService }
          : { ...old, health: c.up, healthSince: meta.nowMs };
      mine.set(c.address, state);
      delta.members.push({ record: key, address: c.address, state });
      rows.members.push(
        c.kind === 'service'
          ? {
              name: c.name,
              type: c.type,
              address: c.address,
              inService: c.inService,
              at: meta.nowMs,
            }
          : { name: c.name, type: c.type, address: c.address, health: c.up, at: meta.nowMs },
      );
      const word =
        c.kind === 'service' ? (c.inService ? 'in service' : 'deleted') : c.up ? 'up' : 'down';
      const was =
        c.kind === 'service'
          ? old.inService === false
            ? 'deleted'
            : 'in service'
          : old.health === undefined
            ? 'unchecked'
            : old.health
              ? 'up'
              : 'down';
      journal.push(entry(c.name, c.type, `${c.address} ${was}`, `${c.address} ${word}`));
    }
  }
  const commit: Commit = { serials: new Map([[origin, serial]]), ...rows, journal };
  return { delta, commit, live: applyDelta(live, delta) };
}

/** The live state after a delta: what the process that committed it and every worker compute alike. */
export function applyDelta(live: LiveState, delta: LiveDelta): LiveState {
  const overlays = new Map(live.overlays);
  if (delta.overlays.length > 0) {
    const zone = live.overlays.get(delta.origin) ?? PersistentMap.empty<OverlayRRset>();
    overlays.set(delta.origin, zone.with(delta.overlays.map((o) => [o.key, o.overlay] as const)));
  }
  const members = new Map<string, Map<string, MemberState>>();
  for (const m of delta.members) {
    const byAddress =
      members.get(m.record) ??
      members.set(m.record, new Map(live.members.get(m.record))).get(m.record)!;
    byAddress.set(m.address, m.state);
  }
  const overrides = new Map<
    string,
    { members: Map<string, Override>; pools: Map<string, Override> }
  >();
  for (const o of delta.overrides) {
    const current = live.overrides.get(o.record);
    const entry =
      overrides.get(o.record) ??
      overrides
        .set(o.record, { members: new Map(current?.members), pools: new Map(current?.pools) })
        .get(o.record)!;
    (o.target === 'pool' ? entry.pools : entry.members).set(o.key, o.override);
  }
  return {
    serials: new Map(live.serials).set(delta.origin, delta.serial),
    overlays,
    members: members.size > 0 ? live.members.with(members) : live.members,
    overrides:
      overrides.size > 0
        ? live.overrides.with(overrides as Map<string, RecordOverrides>)
        : live.overrides,
  };
}

/** The zone in service after a delta: the RRsets it changed, and its serial. */
export function zoneWithDelta(zone: Zone, delta: LiveDelta): Zone {
  return editZone(
    zone,
    rrsetChanges(
      zone,
      delta.overlays.map((o) => [o.key, o.overlay] as const),
    ),
    delta.serial,
  );
}

/** The live state as plain data, for a worker process (structured clone keeps Maps, not PersistentMaps). */
export interface PlainLive {
  readonly serials: ReadonlyMap<string, number>;
  readonly overlays: readonly [string, [string, OverlayRRset][]][];
  readonly members: readonly [string, ReadonlyMap<string, MemberState>][];
  readonly overrides: readonly [string, RecordOverrides][];
}

export function plainLive(live: LiveState): PlainLive {
  return {
    serials: live.serials,
    overlays: [...live.overlays].map(([zone, entries]) => [zone, [...entries]]),
    members: [...live.members],
    overrides: [...live.overrides],
  };
}

export function liveFromPlain(p: PlainLive): LiveState {
  return {
    serials: new Map(p.serials),
    overlays: new Map(p.overlays.map(([zone, entries]) => [zone, PersistentMap.from(entries)])),
    members: PersistentMap.from(p.members),
    overrides: PersistentMap.from(p.overrides),
  };
}
