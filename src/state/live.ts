// The live state (stored overlay, serials, member state) over the zone files: what queries, updates and reloads see.
import { formatRData, RRClass, type RData, type RR, rdataTypeCode, typeName } from '../core/index.ts';
import type { HealthView } from '../resolve/index.ts';
import type { Change, UpdateZone } from '../update/index.ts';
import { type MemberStatus, nextSerial, overlayZone, serialGreater, soaSerial, type Zone, type ZoneSet } from '../zone/index.ts';
import type { Commit, JournalEntry, StoredState } from './rows.ts';

export interface MemberState {
  readonly inService: boolean | undefined;
  readonly health: boolean | undefined;
  readonly healthSince: number | undefined;
}

/** A mirror of the store: replaced after every commit, never changed in place. */
export interface LiveState {
  readonly serials: ReadonlyMap<string, number>;
  /** "zone|name|type" → records and the zone file's RRset (JSON) they replaced. */
  readonly rrsets: ReadonlyMap<string, { readonly records: readonly RR[]; readonly base: string | null }>;
  /** "name|type|address" → member state. */
  readonly members: ReadonlyMap<string, MemberState>;
  /** "name|type|member|address" or "name|type|pool|pool" → the operator's status and why. */
  readonly overrides: ReadonlyMap<string, { readonly status: MemberStatus; readonly reason: string | null; readonly at: number }>;
}

export function liveFromStored(s: StoredState): LiveState {
  return {
    serials: s.serials,
    rrsets: new Map(s.rrsets.map((r) => [`${r.zone}|${r.name}|${r.type}`, { records: decodeRecords(r.name, r.records), base: r.base }])),
    members: new Map(s.members.map((m) => [`${m.name}|${m.type}|${m.address}`, { inService: m.inService, health: m.health, healthSince: m.healthSince }])),
    overrides: new Map(s.overrides.map((o) => [`${o.name}|${o.type}|${o.kind}|${o.target}`, { status: o.status as MemberStatus, reason: o.reason, at: o.at }])),
  };
}

/** The zone file's version of an RRset, as stored beside an overlay row to notice later edits of the file. */
export function baseOf(zone: Zone | undefined, name: string, type: number): string | null {
  const rrset = zone?.nodes.get(name)?.rrsets.get(type);
  return rrset ? encodeRecords(rrset.records) : null;
}

export function encodeRecords(records: readonly RR[]): string {
  return JSON.stringify(records.map((r) => ({ ttl: r.ttl, data: r.data.type === 'UNKNOWN' ? { ...r.data, data: Buffer.from(r.data.data).toString('hex') } : r.data })));
}

function decodeRecords(name: string, json: string): RR[] {
  return (JSON.parse(json) as { ttl: number; data: RData & { data?: unknown } }[]).map(({ ttl, data }) => {
    const d = (data.type === 'UNKNOWN' ? { ...data, data: Buffer.from(String(data.data), 'hex') } : data) as RData;
    return { name, type: rdataTypeCode(d), class: RRClass.IN, ttl, data: d };
  });
}

/**
 * Reconciles the stored state with freshly loaded zone files (start and reload):
 * - an overlay row whose zone-file RRset changed since the row was written is dropped: the newer edit wins;
 * - each zone's serial is the greater (RFC 1982) of the file's and the stored one, so it never goes back.
 */
export function reconcile(files: ZoneSet, live: LiveState, nowMs: number): { live: LiveState; commit: Commit } {
  const rrsets = new Map(live.rrsets);
  const dropped: NonNullable<Commit['rrsets']>[number][] = [];
  const journal: JournalEntry[] = [];
  for (const [key, row] of live.rrsets) {
    const [zone, name, type] = key.split('|') as [string, string, string];
    const fileZone = files.zones.get(zone);
    if (fileZone && baseOf(fileZone, name, Number(type)) === row.base) continue;
    rrsets.delete(key);
    dropped.push({ zone, name, type: Number(type), records: '', base: null, delete: true });
    journal.push({ at: nowMs, source: 'reload', zone, name, type: typeName(Number(type)), before: formatRecords(row.records), after: null, reason: fileZone ? 'the zone file changed this RRset since the update: the file wins' : 'the zone is no longer served' });
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
  return { live: { ...live, rrsets, serials }, commit: { serials: serialWrites, rrsets: dropped, journal } };
}

/** The zones queries see: each zone file with its overlay and serial. */
export function materialize(files: ZoneSet, live: LiveState): ZoneSet {
  const zones = new Map<string, Zone>();
  for (const [origin, zone] of files.zones) zones.set(origin, materializeZone(zone, live));
  return { zones };
}

export function materializeZone(fileZone: Zone, live: LiveState): Zone {
  const replace = new Map<string, readonly RR[]>();
  for (const [key, row] of live.rrsets) {
    if (key.startsWith(`${fileZone.origin}|`)) replace.set(key.slice(fileZone.origin.length + 1), row.records);
  }
  const serial = live.serials.get(fileZone.origin) ?? soaSerial(fileZone);
  return replace.size === 0 && serial === soaSerial(fileZone) ? fileZone : overlayZone(fileZone, replace, serial);
}

interface RecordState {
  readonly members: Map<string, MemberState>;
  readonly memberOverrides: Map<string, MemberStatus>;
  readonly poolOverrides: Map<string, MemberStatus>;
}

/**
 * The health view queries read, indexed once per snapshot by record, so a query makes no key strings:
 * a record with no stored state costs one Map lookup.
 */
export function healthView(live: LiveState): HealthView {
  const byRecord = new Map<string, RecordState>();
  const stateOf = (key: string): RecordState => {
    let s = byRecord.get(key);
    if (!s) byRecord.set(key, (s = { members: new Map(), memberOverrides: new Map(), poolOverrides: new Map() }));
    return s;
  };
  for (const [key, m] of live.members) {
    const cut = key.lastIndexOf('|');
    stateOf(key.slice(0, cut)).members.set(key.slice(cut + 1), m);
  }
  for (const [key, o] of live.overrides) {
    const [name, type, kind, target] = key.split('|') as [string, string, string, string];
    const s = stateOf(`${name}|${type}`);
    (kind === 'pool' ? s.poolOverrides : s.memberOverrides).set(target, o.status);
  }
  return {
    check: (record, address) => byRecord.get(record.key)?.members.get(address)?.health,
    inService: (record, address) => byRecord.get(record.key)?.members.get(address)?.inService !== false,
    memberOverride: (record, address) => byRecord.get(record.key)?.memberOverrides.get(address),
    poolOverride: (record, pool) => byRecord.get(record.key)?.poolOverrides.get(pool),
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
      const addresses = new Set([...d.defaults, ...[...d.pools.values()].flatMap((p) => p.members)].map((m) => m.address));
      return [...addresses]
        .filter((a) => live.members.get(`${name}|${type}|${a}`)?.inService !== false)
        .map((address) => ({ name, type, class: RRClass.IN, ttl: d.ttl, data: { type: type === 28 ? 'AAAA' : 'A', address } as RData }));
    },
    types: (name) => [...(zone.nodes.get(name)?.rrsets.keys() ?? [])],
    dynamic: (name, type) => zone.nodes.get(name)?.rrsets.get(type)?.dynamic,
  };
}

/** What an accepted update writes: the new serial, overlay rows, member state and journal entries; and the state after. */
export function planChanges(zone: Zone, fileZone: Zone | undefined, live: LiveState, changes: readonly Change[], meta: { source: 'health' | 'update' | 'api'; reason: string; nowMs: number }): { live: LiveState; commit: Commit; serial: number } {
  const serial = nextSerial(live.serials.get(zone.origin) ?? soaSerial(zone));
  const rrsets = new Map(live.rrsets);
  const members = new Map(live.members);
  const overrides = new Map(live.overrides);
  const overrideRows: NonNullable<Commit['overrides']>[number][] = [];
  const rows: NonNullable<Commit['rrsets']>[number][] = [];
  const memberRows: NonNullable<Commit['members']>[number][] = [];
  const journal: JournalEntry[] = [];
  const entry = (name: string, type: number, before: string | null, after: string | null): JournalEntry => ({
    at: meta.nowMs, source: meta.source, zone: zone.origin, name, type: typeName(type), before, after, reason: meta.reason,
  });
  for (const c of changes) {
    const key = `${c.name}|${c.type}`;
    if (c.kind === 'rrset') {
      const before = zone.nodes.get(c.name)?.rrsets.get(c.type)?.records ?? [];
      const base = rrsets.get(`${zone.origin}|${key}`)?.base ?? baseOf(fileZone, c.name, c.type);
      rrsets.set(`${zone.origin}|${key}`, { records: c.records, base });
      rows.push({ zone: zone.origin, name: c.name, type: c.type, records: encodeRecords(c.records), base });
      journal.push(entry(c.name, c.type, formatRecords(before), formatRecords(c.records)));
    } else if (c.kind === 'override') {
      const okey = `${key}|${c.target}|${c.key}`;
      const was = overrides.get(okey)?.status ?? 'as configured';
      overrides.set(okey, { status: c.status, reason: c.reason, at: meta.nowMs });
      overrideRows.push({ name: c.name, type: c.type, kind: c.target, target: c.key, status: c.status, reason: c.reason, at: meta.nowMs });
      journal.push({ ...entry(c.name, c.type, `${c.target} ${c.key} ${was}`, `${c.target} ${c.key} ${c.status}`), reason: c.reason || meta.reason });
    } else {
      const old = members.get(`${key}|${c.address}`) ?? { inService: undefined, health: undefined, healthSince: undefined };
      const next = c.kind === 'service' ? { ...old, inService: c.inService } : { ...old, health: c.up, healthSince: meta.nowMs };
      members.set(`${key}|${c.address}`, next);
      memberRows.push(c.kind === 'service' ? { name: c.name, type: c.type, address: c.address, inService: c.inService, at: meta.nowMs } : { name: c.name, type: c.type, address: c.address, health: c.up, at: meta.nowMs });
      const word = c.kind === 'service' ? (c.inService ? 'in service' : 'deleted') : c.up ? 'up' : 'down';
      const was = c.kind === 'service' ? (old.inService === false ? 'deleted' : 'in service') : old.health === undefined ? 'unchecked' : old.health ? 'up' : 'down';
      journal.push(entry(c.name, c.type, `${c.address} ${was}`, `${c.address} ${word}`));
    }
  }
  const serials = new Map(live.serials).set(zone.origin, serial);
  return { live: { serials, rrsets, members, overrides }, commit: { serials: new Map([[zone.origin, serial]]), rrsets: rows, members: memberRows, overrides: overrideRows, journal }, serial };
}

function formatRecords(records: readonly RR[]): string | null {
  return records.length === 0 ? null : records.map((r) => `${r.ttl} ${typeName(r.type)} ${formatRData(r.data)}`).join('; ');
}

