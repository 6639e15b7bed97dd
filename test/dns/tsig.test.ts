// TSIG (RFC 8945) in-process: every algorithm round-trips; each fault gets its error.
import test from 'ava';
import {
  findTsig,
  signMessage,
  TsigError,
  type TsigKey,
  verifyRequest,
} from '../../src/dns/index.ts';
import { buildQuery } from '../helpers/wire.ts';

const NOW = 1_795_000_000;
const keys: TsigKey[] = (['hmac-sha1', 'hmac-sha256', 'hmac-sha512'] as const).map((algorithm) => ({
  name: `${algorithm}-key.`,
  algorithm,
  secret: Buffer.from(`secret for ${algorithm}`),
}));

for (const key of keys) {
  test(`${key.algorithm}: a signed message verifies; a flipped byte does not`, (t) => {
    const signed = signMessage(buildQuery('www.example.com.', 'A', { id: 77 }), key, {
      timeSigned: NOW,
    });
    const tsig = findTsig(signed)!;
    t.is(tsig.keyName, key.name);
    t.is(tsig.originalId, 77);
    t.true(verifyRequest(signed, tsig, () => key, NOW + 10).ok);
    const tampered = Buffer.from(signed);
    tampered[14]! ^= 1;
    t.like(
      verifyRequest(tampered, findTsig(tampered)!, () => key, NOW),
      { ok: false, error: { error: TsigError.BADSIG } },
    );
  });
}

test('an unknown key, or a key with another algorithm, is BADKEY', (t) => {
  const signed = signMessage(buildQuery('x.', 'A'), keys[1]!, { timeSigned: NOW });
  t.like(
    verifyRequest(signed, findTsig(signed)!, () => undefined, NOW),
    { ok: false, error: { error: TsigError.BADKEY } },
  );
  t.like(
    verifyRequest(signed, findTsig(signed)!, () => ({ ...keys[2]!, name: keys[1]!.name }), NOW),
    { ok: false, error: { error: TsigError.BADKEY } },
  );
});

test('outside the fudge window is BADTIME; inside it verifies', (t) => {
  const signed = signMessage(buildQuery('x.', 'A'), keys[1]!, { timeSigned: NOW, fudge: 300 });
  const tsig = findTsig(signed)!;
  t.true(verifyRequest(signed, tsig, () => keys[1], NOW - 300).ok);
  t.like(
    verifyRequest(signed, tsig, () => keys[1], NOW + 301),
    { ok: false, error: { error: TsigError.BADTIME } },
  );
});

test('a truncated MAC: accepted down to half the hash (RFC 8945 §5.2.2.1), BADTRUNC below', (t) => {
  const key = keys[1]!;
  const signed = signMessage(buildQuery('x.', 'A'), key, { timeSigned: NOW });
  const tsig = findTsig(signed)!;
  const truncate = (length: number): Buffer => {
    const macStart = signed.indexOf(tsig.mac);
    const out = Buffer.concat([
      signed.subarray(0, macStart - 2),
      Buffer.from([0, length]),
      tsig.mac.subarray(0, length),
      signed.subarray(macStart + tsig.mac.length),
    ]);
    out.writeUInt16BE(
      out.readUInt16BE(tsig.offset + key.name.length + 1 + 8) - (32 - length),
      tsig.offset + key.name.length + 1 + 8,
    );
    return out;
  };
  const half = truncate(16);
  t.true(verifyRequest(half, findTsig(half)!, () => key, NOW).ok);
  const short = truncate(8);
  t.like(
    verifyRequest(short, findTsig(short)!, () => key, NOW),
    { ok: false, error: { error: TsigError.BADTRUNC } },
  );
});
