// SQLite state (WAL): serials, RRset overlays (a row per record), member service and health, overrides, the journal.
import Database from 'better-sqlite3';
import {
  type Commit,
  type JournalEntry,
  type OverlayRecordRow,
  type OverlayRow,
  type OverrideRow,
  type StoredState,
  storedIdentity,
} from '../state/index.ts';
import type { RData } from '../core/index.ts';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Versioned migrations; each runs once, in order, in one transaction with its version bump. SQL, or a function for
 * one that must compute (identities of records).
 */
const MIGRATIONS: readonly (string | ((db: Database.Database) => void))[] = [
  `CREATE TABLE serials (zone TEXT PRIMARY KEY, serial INTEGER NOT NULL);
   CREATE TABLE rrsets (
     zone TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,
     records TEXT NOT NULL, base TEXT, updated_at INTEGER NOT NULL,
     PRIMARY KEY (zone, name, type));
   CREATE TABLE members (
     name TEXT NOT NULL, type INTEGER NOT NULL, address TEXT NOT NULL,
     in_service INTEGER, health INTEGER, health_since INTEGER,
     PRIMARY KEY (name, type, address));
   CREATE TABLE overrides (
     name TEXT NOT NULL, type INTEGER NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
     status TEXT NOT NULL, reason TEXT, at INTEGER NOT NULL,
     PRIMARY KEY (name, type, kind, target));
   CREATE TABLE journal (
     id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, source TEXT NOT NULL,
     zone TEXT, name TEXT, type TEXT, before TEXT, after TEXT, reason TEXT);
   CREATE INDEX journal_at ON journal (at);`,
  // 2: an overlay RRset is a row and each of its records another, so an update writes what it changed.
  (db) => {
    db.exec(`
      CREATE TABLE overlays (
        zone TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,
        ttl INTEGER NOT NULL, base TEXT, updated_at INTEGER NOT NULL,
        PRIMARY KEY (zone, name, type));
      CREATE TABLE overlay_records (
        zone TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,
        key TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (zone, name, type, key));`);
    const overlay = db.prepare(
      'INSERT INTO overlays (zone, name, type, ttl, base, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const record = db.prepare(
      'INSERT OR REPLACE INTO overlay_records (zone, name, type, key, data) VALUES (?, ?, ?, ?, ?)',
    );
    const old = db
      .prepare('SELECT zone, name, type, records, base, updated_at FROM rrsets')
      .all() as {
      zone: string;
      name: string;
      type: number;
      records: string;
      base: string | null;
      updated_at: number;
    }[];
    for (const r of old) {
      const records = JSON.parse(r.records) as { ttl: number; data: RData & { data?: unknown } }[];
      overlay.run(r.zone, r.name, r.type, records[0]?.ttl ?? 0, r.base, r.updated_at);
      for (const { data } of records) {
        const parsed = (
          data.type === 'UNKNOWN' ? { ...data, data: Buffer.from(String(data.data), 'hex') } : data
        ) as RData;
        record.run(r.zone, r.name, r.type, storedIdentity(parsed), JSON.stringify(data));
      }
    }
    db.exec('DROP TABLE rrsets');
  },
  // 3: in cluster mode, the shared state as this node last applied it (served when it starts with etcd down).
  'CREATE TABLE cluster_snapshot (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
];

/** The journal keeps the newest JOURNAL_MAX_ENTRIES entries (older ones are deleted as new ones arrive). */
export const JOURNAL_MAX_ENTRIES = 100_000;

export class Store {
  private readonly db: Database.Database;
  private readonly sql: ReturnType<Store['prepare']>;

  private constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL'); // an acknowledged change survives power loss, not just a crash
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.sql = this.prepare();
  }

  private prepare() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      setSerial: p(
        'INSERT INTO serials (zone, serial) VALUES (?, ?) ON CONFLICT (zone) DO UPDATE SET serial = excluded.serial',
      ),
      putOverlay: p(`
        INSERT INTO overlays (zone, name, type, ttl, base, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (zone, name, type) DO UPDATE SET ttl = excluded.ttl, updated_at = excluded.updated_at`),
      dropOverlay: p('DELETE FROM overlays WHERE zone = ? AND name = ? AND type = ?'),
      dropOverlayRecords: p('DELETE FROM overlay_records WHERE zone = ? AND name = ? AND type = ?'),
      putRecord: p(
        'INSERT OR REPLACE INTO overlay_records (zone, name, type, key, data) VALUES (?, ?, ?, ?, ?)',
      ),
      dropRecord: p(
        'DELETE FROM overlay_records WHERE zone = ? AND name = ? AND type = ? AND key = ?',
      ),
      putService: p(`
        INSERT INTO members (name, type, address, in_service) VALUES (?, ?, ?, ?)
        ON CONFLICT (name, type, address) DO UPDATE SET in_service = excluded.in_service`),
      putHealth: p(`
        INSERT INTO members (name, type, address, health, health_since) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (name, type, address) DO UPDATE
          SET health = excluded.health, health_since = excluded.health_since`),
      putOverride: p(`
        INSERT INTO overrides (name, type, kind, target, status, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name, type, kind, target) DO UPDATE
          SET status = excluded.status, reason = excluded.reason, at = excluded.at`),
      dropOverride: p(
        'DELETE FROM overrides WHERE name = ? AND type = ? AND kind = ? AND target = ?',
      ),
      addJournal: p(
        'INSERT INTO journal (at, source, zone, name, type, before, after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      trimJournal: p('DELETE FROM journal WHERE id <= ?'),
    };
  }

  static open(path: string): Store {
    return new Store(path);
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = this.db.prepare('SELECT version FROM schema_version').get() as
      { version: number } | undefined;
    let version = row?.version ?? 0;
    if (!row) this.db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
    if (version > MIGRATIONS.length)
      throw new Error(
        `the database is from a newer gslb (schema ${version}, this one knows ${MIGRATIONS.length})`,
      );
    for (; version < MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        const migration = MIGRATIONS[version]!;
        if (typeof migration === 'string') this.db.exec(migration);
        else migration(this.db);
        this.db.prepare('UPDATE schema_version SET version = ?').run(version + 1);
      })();
    }
  }

  schemaVersion(): number {
    return (this.db.prepare('SELECT version FROM schema_version').get() as { version: number })
      .version;
  }

  load(): StoredState {
    const serials = new Map(
      (
        this.db.prepare('SELECT zone, serial FROM serials').all() as {
          zone: string;
          serial: number;
        }[]
      ).map((r) => [r.zone, r.serial]),
    );
    const records = this.db
      .prepare('SELECT zone, name, type, key, data FROM overlay_records')
      .all() as OverlayRecordRow[];
    const byRRset = new Map<string, OverlayRecordRow[]>();
    for (const r of records) {
      const key = `${r.zone}\u0000${r.name}\u0000${r.type}`;
      (byRRset.get(key) ?? byRRset.set(key, []).get(key)!).push(r);
    }
    const overlays = (
      this.db.prepare('SELECT zone, name, type, ttl, base FROM overlays').all() as OverlayRow[]
    ).map((o) => ({ ...o, records: byRRset.get(`${o.zone}\u0000${o.name}\u0000${o.type}`) ?? [] }));
    const members = (
      this.db
        .prepare('SELECT name, type, address, in_service, health, health_since FROM members')
        .all() as {
        name: string;
        type: number;
        address: string;
        in_service: number | null;
        health: number | null;
        health_since: number | null;
      }[]
    ).map((r) => ({
      name: r.name,
      type: r.type,
      address: r.address,
      inService: r.in_service === null ? undefined : r.in_service === 1,
      health: r.health === null ? undefined : r.health === 1,
      healthSince: r.health_since ?? undefined,
    }));
    const overrides = this.db
      .prepare('SELECT name, type, kind, target, status, reason, at FROM overrides')
      .all() as OverrideRow[];
    return { serials, overlays, members, overrides };
  }

  /** Writes everything in `c` atomically; returns once it is on disk. */
  commit(c: Commit): void {
    const q = this.sql;
    this.db.transaction(() => {
      for (const [zone, serial] of c.serials ?? []) q.setSerial.run(zone, serial);
      for (const o of c.overlays ?? []) {
        if (o.delete) {
          q.dropOverlay.run(o.zone, o.name, o.type);
          q.dropOverlayRecords.run(o.zone, o.name, o.type);
        } else {
          q.putOverlay.run(o.zone, o.name, o.type, o.ttl, o.base, Date.now());
        }
      }
      for (const r of c.records ?? []) {
        if (r.data === null) q.dropRecord.run(r.zone, r.name, r.type, r.key);
        else q.putRecord.run(r.zone, r.name, r.type, r.key, r.data);
      }
      for (const m of c.members ?? []) {
        if (m.inService !== undefined)
          q.putService.run(
            m.name,
            m.type,
            m.address,
            m.inService === null ? null : m.inService ? 1 : 0,
          );
        if (m.health !== undefined)
          q.putHealth.run(
            m.name,
            m.type,
            m.address,
            m.health === null ? null : m.health ? 1 : 0,
            m.at,
          );
      }
      for (const o of c.overrides ?? []) {
        if (o.delete) q.dropOverride.run(o.name, o.type, o.kind, o.target);
        else q.putOverride.run(o.name, o.type, o.kind, o.target, o.status, o.reason, o.at);
      }
      for (const j of c.journal ?? []) {
        const id = Number(
          q.addJournal.run(j.at, j.source, j.zone, j.name, j.type, j.before, j.after, j.reason)
            .lastInsertRowid,
        );
        if (id % 1000 === 0) q.trimJournal.run(id - JOURNAL_MAX_ENTRIES);
      }
    })();
  }

  /** Replaces the saved cluster state (keys and values as etcd holds them) in one transaction. */
  saveClusterSnapshot(entries: readonly (readonly [string, string])[]): void {
    const put = this.db.prepare('INSERT INTO cluster_snapshot (key, value) VALUES (?, ?)');
    this.db.transaction(() => {
      this.db.exec('DELETE FROM cluster_snapshot');
      for (const [key, value] of entries) put.run(key, value);
    })();
  }

  clusterSnapshot(): [string, string][] {
    return (
      this.db.prepare('SELECT key, value FROM cluster_snapshot').all() as {
        key: string;
        value: string;
      }[]
    ).map((r) => [r.key, r.value]);
  }

  /** Journal entries with id greater than `sinceId`, oldest first. */
  journal(sinceId = 0, limit = 1000): JournalEntry[] {
    return this.db
      .prepare(
        'SELECT id, at, source, zone, name, type, before, after, reason FROM journal WHERE id > ? ORDER BY id LIMIT ?',
      )
      .all(sinceId, limit) as JournalEntry[];
  }

  close(): void {
    this.db.close();
  }
}
