// The state store's contract, run against both stores: SQLite (one node) and etcd (cluster mode, a real etcd
// member). Each case drives a real in-process server through what changes state (nsupdate, the API, a health
// update) and reads back what it serves and journals, and what a server opening the same store serves after.
// In cluster mode the server started again has a new, empty SQLite file: what it serves came from etcd.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { RRType } from '../../src/core/index.ts';
import { buildAddressUpdate } from '../../src/update/index.ts';
import { dig } from '../helpers/dig.ts';
import { type EtcdCluster, startEtcd } from '../helpers/etcd.ts';
import { nsupdate } from '../helpers/nsupdate.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { serviceZone } from '../helpers/zones.ts';

const TOKEN = 'contract-token-0123456789';
const SECRET = Buffer.from('contract-test-secret-0123456789a').toString('base64');
const ZONE = serviceZone('k.test', 2, 10);

type Kind = 'sqlite' | 'etcd';

let etcd: EtcdCluster;
let dir: string;
let opened = 0;

test.before(async () => {
  etcd = await startEtcd(1);
  dir = await mkdtemp(join(tmpdir(), 'gslb-contract-'));
});

test.after.always(async () => {
  await etcd?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A store of `kind`, named `name`: `open()` starts a server on it (again). */
function store(kind: Kind, name: string): { open(): Promise<TestServer> } {
  return {
    open: () =>
      startTestServer(
        { 'k.test.yaml': ZONE },
        {
          http: true,
          apiToken: TOKEN,
          // etcd: every server its own new file, so that what it serves can only come from etcd.
          dbPath: join(dir, kind === 'sqlite' ? `${name}.sqlite` : `${name}-${opened++}.sqlite`),
          tsigKeys: [
            { name: 'ops-key.', algorithm: 'hmac-sha256', secret: SECRET, zones: undefined },
          ],
          ...(kind === 'etcd'
            ? {
                cluster: {
                  node: `node-${opened}`,
                  etcd: {
                    endpoints: etcd.endpoints,
                    prefix: `${name}/`,
                    username: undefined,
                    password: undefined,
                    maxTxnOps: 128,
                    tls: undefined,
                  },
                  healthQuorum: 'majority',
                },
              }
            : {}),
        },
      ),
  };
}

async function served(s: TestServer, name: string): Promise<string> {
  const r = await dig(s.port, [name, 'A']);
  return r.answer
    .map((l) => l.split(/\s+/).pop()!)
    .sort()
    .join(' ');
}

const serialOf = async (s: TestServer): Promise<number> =>
  Number((await dig(s.port, ['k.test.', 'SOA'])).answer[0]?.split(/\s+/)[6]);

function send(s: TestServer, lines: string): Promise<{ code: number; output: string }> {
  return nsupdate(
    ['-y', `hmac-sha256:ops-key:${SECRET}`],
    `server 127.0.0.1 ${s.port}\nzone k.test.\n${lines}\nsend\n`,
  );
}

function override(s: TestServer, member: string, status: string): Promise<Response> {
  return fetch(`${s.api}/api/v1/zones/k.test./records/svc/A/members/${member}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status, reason: 'contract' }),
  });
}

type Case = (t: ExecutionContext, s: { open(): Promise<TestServer> }) => Promise<void>;

const CASES: Record<string, Case> = {
  'an update is committed once: served at once, one serial, one journal entry': async (t, st) => {
    const s = await st.open();
    try {
      const before = await serialOf(s);
      const events = s.app.journal().length;
      const r = await send(s, 'update add a.k.test. 60 A 192.0.2.1');
      t.is(r.code, 0, r.output);
      t.is(await served(s, 'a.k.test.'), '192.0.2.1');
      t.is(await serialOf(s), before + 1);
      const added = s.app.journal().slice(events);
      t.is(added.length, 1, JSON.stringify(added));
      t.like(added[0], { source: 'update', zone: 'k.test.' });
    } finally {
      await s.close();
    }
  },
  'an update whose prerequisite fails changes nothing; one with nothing to change keeps the serial':
    async (t, st) => {
      const s = await st.open();
      try {
        t.is((await send(s, 'update add b.k.test. 60 A 192.0.2.2')).code, 0);
        const before = await serialOf(s);
        const events = s.app.journal().length;
        const refused = await send(
          s,
          'prereq nxdomain b.k.test.\nupdate add b.k.test. 60 A 192.0.2.3',
        );
        t.not(refused.code, 0);
        t.regex(refused.output, /YXDOMAIN/);
        const nothing = await send(s, 'update delete gone.k.test. A 192.0.2.9');
        t.is(nothing.code, 0, nothing.output);
        t.is(await served(s, 'b.k.test.'), '192.0.2.2');
        t.is(await serialOf(s), before);
        t.is(s.app.journal().length, events);
      } finally {
        await s.close();
      }
    },
  'records, overrides and health decisions are what a server opening the store again serves':
    async (t, st) => {
      const s = await st.open();
      let serial: number;
      let svc: string;
      try {
        t.is(
          (
            await send(
              s,
              'update add c.k.test. 60 A 192.0.2.4\nupdate add c.k.test. 60 A 192.0.2.5',
            )
          ).code,
          0,
        );
        t.is((await send(s, 'update delete c.k.test. A 192.0.2.4')).code, 0);
        t.is((await override(s, '127.0.0.2', 'down')).status, 200);
        const health = buildAddressUpdate(
          'k.test.',
          [{ name: 'svc.k.test.', type: RRType.A, ttl: 5, address: '127.0.0.3', add: false }],
          s.app.healthKey,
          Math.floor(Date.now() / 1000),
          7,
        );
        await s.app.update(health);
        const live = s.app.live();
        t.is(live.overrides.get('svc.k.test.|1')?.members.get('127.0.0.2')?.status, 'down');
        t.is(live.members.get('svc.k.test.|1')?.get('127.0.0.3')?.health, false);
        t.is(await served(s, 'c.k.test.'), '192.0.2.5');
        svc = await served(s, 'svc.k.test.');
        t.false(svc.includes('127.0.0.2'), svc);
        serial = await serialOf(s);
      } finally {
        await s.close(true);
      }
      const again = await st.open();
      try {
        t.is(await served(again, 'c.k.test.'), '192.0.2.5');
        t.is(await serialOf(again), serial);
        const live = again.app.live();
        t.is(live.overrides.get('svc.k.test.|1')?.members.get('127.0.0.2')?.status, 'down');
        t.is(live.members.get('svc.k.test.|1')?.get('127.0.0.3')?.health, false);
        t.is(await served(again, 'svc.k.test.'), svc);
        // The override lifted: .2 answers again.
        t.is((await override(again, '127.0.0.2', 'obey')).status, 200);
        t.true((await served(again, 'svc.k.test.')).includes('127.0.0.2'));
      } finally {
        await again.close();
      }
    },
};

for (const kind of ['sqlite', 'etcd'] as const)
  for (const [title, run] of Object.entries(CASES)) {
    const name = `${kind}-${Object.keys(CASES).indexOf(title)}`;
    test.serial(`${kind}: ${title}`, (t) => run(t, store(kind, name)));
  }
