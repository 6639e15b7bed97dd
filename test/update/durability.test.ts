// Durability with real processes: what was acknowledged survives a restart and a SIGKILL, and serials never go back.
import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage } from '../../src/dns/index.ts';
import { buildAddressUpdate } from '../../src/update/index.ts';
import { dig } from '../helpers/dig.ts';
import { nsupdate } from '../helpers/nsupdate.ts';
import { spawnServer } from '../helpers/process.ts';
import { mulberry32 } from '../helpers/random.ts';
import { buildQuery, udpExchange } from '../helpers/wire.ts';
import { SAMPLE_ZONE } from '../helpers/zones.ts';

const SECRET = Buffer.from('durability key for gslb tests 32').toString('base64');
const KEY = {
  name: 'ops-key.',
  algorithm: 'hmac-sha256' as const,
  secret: Buffer.from(SECRET, 'base64'),
};

async function setup(extraZone = ''): Promise<{ dir: string; args: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'gslb-durable-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', 'example.com.yaml'), SAMPLE_ZONE + extraZone);
  await writeFile(
    join(dir, 'gslb.yaml'),
    `db: ${join(dir, 'state.sqlite')}\ntsig_keys:\n  - {name: ops-key, algorithm: hmac-sha256, secret: ` +
      `"${SECRET}"}\n`,
  );
  return {
    dir,
    args: [
      '--config',
      join(dir, 'gslb.yaml'),
      '--zones',
      join(dir, 'zones'),
      '--geoip',
      join(dir, 'none'),
    ],
  };
}

async function soaSerial(port: number): Promise<number> {
  const reply = await udpExchange(port, buildQuery('example.com.', 'SOA'), 1000);
  const soa = reply && decodeMessage(reply).answer[0]?.data;
  return soa?.type === 'SOA' ? soa.serial : -1;
}

test('restart with the same database: updates, deleted members, health state and serials survive', async (t) => {
  // A record whose health check points where nothing listens: its member goes down and stays down.
  const dead = `dead:
  type: A
  ttl: 30
  values: [127.0.0.9]
  method: all
  dynamic:
    pools: {p: {values: [{value: 127.0.0.9}, {value: 192.0.2.1, status: up}]}}
    rules: [{pool: p}]
  healthcheck: {protocol: TCP, port: 9, interval: 1s, timeout: 200ms, rise: 1, fall: 1}
`;
  const { dir, args } = await setup(dead);
  try {
    let proc = await spawnServer(args);
    const y = ['-y', `hmac-sha256:ops-key:${SECRET}`];
    const script = (...lines: string[]) =>
      `server 127.0.0.1 ${proc.port}\nzone example.com\n${lines.join('\n')}\nsend\n`;
    t.is((await nsupdate(y, script('update add kept.example.com. 120 TXT "survives"'))).code, 0);
    t.is((await nsupdate(y, script('update delete app.example.com. A 192.0.2.200'))).code, 0);
    await proc.waitForLog(/health: dead\.example\.com\. 127\.0\.0\.9 down/, 10_000);
    const serialBefore = await soaSerial(proc.port);
    await proc.stop();

    proc = await spawnServer(args);
    try {
      t.deepEqual((await dig(proc.port, ['kept.example.com.', 'TXT'])).answer, [
        'kept.example.com. 120 IN TXT "survives"',
      ]);
      const ny = (await dig(proc.port, ['app.example.com.', 'A', '-b', '127.21.0.1'])).answer;
      t.false(
        ny.some((rr) => rr.endsWith('192.0.2.200')),
        'the deleted member is still out of service',
      );
      t.deepEqual(
        (await dig(proc.port, ['dead.example.com.', 'A'])).answer,
        ['dead.example.com. 30 IN A 192.0.2.1'],
        'the stored down verdict holds from the first query',
      );
      t.true((await soaSerial(proc.port)) >= serialBefore, 'the serial did not go back');
    } finally {
      await proc.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(
  'SIGKILL at random moments: every acknowledged update is there after the restart, and the serial ' +
    'never goes back',
  async (t) => {
    const { dir, args } = await setup();
    const rand = mulberry32(8945);
    const acked: string[] = [];
    let highestSerial = 0;
    let next = 0;
    try {
      for (let kill = 0; kill < 20; kill++) {
        const proc = await spawnServer(args);
        // After the restart: everything acknowledged before is served, and the serial is at least what was seen.
        const serial = await soaSerial(proc.port);
        t.true(
          serial >= highestSerial,
          `restart ${kill}: serial ${serial} went back from ${highestSerial}`,
        );
        for (const name of acked) {
          const reply = await udpExchange(proc.port, buildQuery(name, 'A'), 1000);
          if (!reply || decodeMessage(reply).answer.length !== 1)
            t.fail(`restart ${kill}: acknowledged ${name} is missing`);
        }
        // Updates in a loop until a SIGKILL lands at a random moment (bounded by count and time).
        const deadline = Date.now() + 100 + Math.floor(rand() * 400);
        const killer = setTimeout(
          () => process.kill(proc.child.pid!, 'SIGKILL'),
          deadline - Date.now(),
        );
        for (
          let i = 0;
          i < 200 &&
          Date.now() < deadline + 200 &&
          proc.child.exitCode === null &&
          proc.child.signalCode === null;
          i++
        ) {
          const name = `k${next++}.example.com.`;
          const message = buildAddressUpdate(
            'example.com.',
            [{ name, type: 1, ttl: 60, address: `192.0.2.${next % 250}`, add: true }],
            KEY,
            Math.floor(Date.now() / 1000),
            next & 0xffff,
          );
          const reply = await udpExchange(proc.port, message, 300);
          if (reply && decodeMessage(reply).rcode === 0) acked.push(name);
          if (i % 10 === 0) highestSerial = Math.max(highestSerial, await soaSerial(proc.port));
        }
        clearTimeout(killer);
        if (proc.child.exitCode === null && proc.child.signalCode === null)
          process.kill(proc.child.pid!, 'SIGKILL');
        if (proc.child.exitCode === null && proc.child.signalCode === null)
          await new Promise((r) => proc.child.once('exit', r));
      }
      t.true(acked.length > 100, `${acked.length} updates acknowledged across 20 kills`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
