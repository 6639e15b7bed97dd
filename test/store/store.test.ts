// The SQLite store: versioned migrations, one transaction per commit, and the journal's bounded size.
import test from 'ava';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEntry } from '../../src/state/index.ts';
import { JOURNAL_MAX_ENTRIES, Store } from '../../src/store/index.ts';

function withDb(run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-store-'));
  try {
    run(join(dir, 'sub', 'gslb.sqlite'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const entry = (i: number): JournalEntry => ({
  at: i,
  source: 'update',
  zone: 'z.',
  name: `n${i}.z.`,
  type: 'A',
  before: null,
  after: String(i),
  reason: null,
});

test('migrations run once; a reopened database keeps its state; a newer schema is refused', (t) => {
  withDb((path) => {
    const store = Store.open(path);
    t.is(store.schemaVersion(), 3);
    store.commit({
      serials: new Map([['z.', 7]]),
      members: [{ name: 'w.z.', type: 1, address: '192.0.2.1', inService: false, at: 1 }],
      journal: [entry(1)],
    });
    store.close();
    const again = Store.open(path);
    t.is(again.schemaVersion(), 3);
    const state = again.load();
    t.deepEqual([...state.serials], [['z.', 7]]);
    t.like(state.members[0], {
      name: 'w.z.',
      address: '192.0.2.1',
      inService: false,
      health: undefined,
    });
    t.is(again.journal().length, 1);
    again.close();
    const raw = new Database(path);
    raw.prepare('UPDATE schema_version SET version = 99').run();
    raw.close();
    t.throws(() => Store.open(path), { message: /newer gslb/ });
  });
});

test('a commit that fails is rolled back whole', (t) => {
  withDb((path) => {
    const store = Store.open(path);
    const bad = { ...entry(2), source: null as unknown as 'update' }; // violates NOT NULL after the serial was written
    let failed: unknown;
    try {
      store.commit({ serials: new Map([['z.', 9]]), journal: [bad] });
    } catch (e) {
      failed = e;
    }
    t.regex(String((failed as { code?: string } | undefined)?.code), /SQLITE_CONSTRAINT/);
    t.is(store.load().serials.size, 0, 'the serial written before the failure was rolled back');
    store.close();
  });
});

test(`the journal keeps the newest ${JOURNAL_MAX_ENTRIES} entries`, (t) => {
  withDb((path) => {
    const store = Store.open(path);
    const total = JOURNAL_MAX_ENTRIES + 1000;
    for (let i = 1; i <= total; i += 10_000)
      store.commit({
        journal: Array.from({ length: Math.min(10_000, total - i + 1) }, (_, k) => entry(i + k)),
      });
    const first = store.journal(0, 1)[0]!;
    t.is(first.id, total - JOURNAL_MAX_ENTRIES + 1);
    t.is(store.journal(total - 1, 10).length, 1, 'the newest is there');
    store.close();
  });
});

test('a schema 1 database is migrated: each overlay RRset becomes a row and its records rows of their own', (t) => {
  withDb((path) => {
    Store.open(path).close();
    const raw = new Database(path);
    // Back to schema 1 as gslb 0.1 left it: the whole RRset as JSON in one row.
    raw.exec(`DROP TABLE overlays; DROP TABLE overlay_records; DROP TABLE cluster_snapshot;
      CREATE TABLE rrsets (
        zone TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,
        records TEXT NOT NULL, base TEXT, updated_at INTEGER NOT NULL,
        PRIMARY KEY (zone, name, type));
      UPDATE schema_version SET version = 1;`);
    raw.prepare('INSERT INTO rrsets VALUES (?, ?, ?, ?, ?, ?)').run(
      'z.',
      'a.z.',
      1,
      JSON.stringify([
        { ttl: 60, data: { type: 'A', address: '192.0.2.1' } },
        { ttl: 60, data: { type: 'A', address: '192.0.2.2' } },
      ]),
      null,
      5,
    );
    raw
      .prepare('INSERT INTO rrsets VALUES (?, ?, ?, ?, ?, ?)')
      .run('z.', 'gone.z.', 16, '[]', '[{"ttl":60,"data":{"type":"TXT","strings":["x"]}}]', 6);
    raw.close();
    const store = Store.open(path);
    t.is(store.schemaVersion(), 3);
    const { overlays } = store.load();
    const a = overlays.find((o) => o.name === 'a.z.')!;
    t.like(a, { zone: 'z.', type: 1, ttl: 60, base: null });
    t.deepEqual(
      a.records
        .map((r) => JSON.parse(r.data) as { address: string })
        .sort((x, y) => x.address.localeCompare(y.address)),
      [
        { type: 'A', address: '192.0.2.1' },
        { type: 'A', address: '192.0.2.2' },
      ],
    );
    t.deepEqual(a.records.map((r) => r.key).sort(), ['c0000201', 'c0000202']);
    t.like(
      overlays.find((o) => o.name === 'gone.z.'),
      { records: [], base: '[{"ttl":60,"data":{"type":"TXT","strings":["x"]}}]' },
    );
    store.close();
  });
});

test('a commit writes the records an update added and removed, not the RRset', (t) => {
  withDb((path) => {
    const store = Store.open(path);
    const row = { zone: 'z.', name: 'a.z.', type: 1 };
    store.commit({
      overlays: [{ ...row, ttl: 60, base: null }],
      records: [
        { ...row, key: '01', data: '{"type":"A","address":"1.0.0.0"}' },
        { ...row, key: '02', data: '{"type":"A","address":"2.0.0.0"}' },
      ],
    });
    store.commit({
      overlays: [{ ...row, ttl: 30, base: null }],
      records: [
        { ...row, key: '01', data: null },
        { ...row, key: '03', data: '{"type":"A","address":"3.0.0.0"}' },
      ],
    });
    const [overlay] = store.load().overlays;
    t.is(overlay!.ttl, 30);
    t.deepEqual(overlay!.records.map((r) => r.key).sort(), ['02', '03']);
    store.commit({ overlays: [{ ...row, ttl: 0, base: null, delete: true }] });
    t.deepEqual(store.load().overlays, []);
    const raw = new Database(path);
    t.is(
      (raw.prepare('SELECT count(*) AS n FROM overlay_records').get() as { n: number }).n,
      0,
      'a dropped overlay takes its records',
    );
    raw.close();
    store.close();
  });
});
