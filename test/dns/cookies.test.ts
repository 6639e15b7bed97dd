// Server cookies (RFC 9018): the test vector of its appendix A.1, and the window in which a cookie is good.
import test from 'ava';
import { CookieSecret } from '../../src/dns/index.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const secret = new CookieSecret(hex('e5e973e5a6b2a43f48e7dc849e37bfcf'));
const client = hex('2464c4abcf10c957');
const address = Uint8Array.from([198, 51, 100, 100]);

test('RFC 9018 A.1: the server cookie for its client cookie, secret, address and time', (t) => {
  const out = new Uint8Array(16);
  secret.write(out, 0, client, address, 1559731985);
  t.is(Buffer.from(out).toString('hex'), '010000005cf79f111f8130c3eee29480');
});

test(
  'a cookie is good for an hour (renewed after half), five minutes early, and only for its client and ' +
    'address',
  (t) => {
    const cookie = new Uint8Array(16);
    secret.write(cookie, 0, client, address, 1_000_000);
    t.is(secret.check(cookie, client, address, 1_000_000), 'valid');
    t.is(secret.check(cookie, client, address, 1_000_000 + 1799), 'valid');
    t.is(secret.check(cookie, client, address, 1_000_000 + 1801), 'renew');
    t.is(secret.check(cookie, client, address, 1_000_000 + 3601), 'invalid');
    t.is(
      secret.check(cookie, client, address, 1_000_000 - 299),
      'valid',
      'a clock five minutes behind',
    );
    t.is(secret.check(cookie, client, address, 1_000_000 - 301), 'invalid');
    t.is(
      secret.check(cookie, hex('2464c4abcf10c958'), address, 1_000_000),
      'invalid',
      'another client cookie',
    );
    t.is(
      secret.check(cookie, client, Uint8Array.from([198, 51, 100, 101]), 1_000_000),
      'invalid',
      'another address',
    );
    t.is(
      new CookieSecret(hex('00'.repeat(16))).check(cookie, client, address, 1_000_000),
      'invalid',
      'another secret',
    );
    const tampered = Uint8Array.from(cookie);
    tampered[15]! ^= 1;
    t.is(secret.check(tampered, client, address, 1_000_000), 'invalid');
    t.is(
      secret.check(cookie.subarray(0, 12), client, address, 1_000_000),
      'invalid',
      'not 16 bytes',
    );
  },
);

test('the hand-written SipHash-2-4 agrees with the siphash package on every length from 0 to 64 bytes', async (t) => {
  const { default: reference } = await import('siphash');
  const { SipHash24 } = await import('../../src/dns/siphash.ts');
  // the key of SipHash's own test vectors
  const key = new Uint32Array([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
  const sip = new SipHash24();
  const out = new Uint8Array(8);
  for (let length = 0; length <= 64; length++) {
    const message = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
    sip.hash(key, message, length, out, 0);
    const h = reference.hash(key, message);
    const expected = Buffer.alloc(8);
    expected.writeUInt32LE(h.l >>> 0, 0);
    expected.writeUInt32LE(h.h >>> 0, 4);
    t.is(Buffer.from(out).toString('hex'), expected.toString('hex'), `${length} bytes`);
  }
  sip.hash(key, new Uint8Array(0), 0, out, 0);
  t.is(
    Buffer.from(out).toString('hex'),
    '310e0edd47db6f72',
    "the paper's vector for the empty message",
  );
});
