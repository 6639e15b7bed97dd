// The redirect settings of a dynamic record (SPEC §7): where the redirect tier is reachable, and when it answers.
import { isIpOfType, type RR, RRClass, RRType } from '../core/index.ts';
import type { RedirectSpec } from './dynamic-model.ts';
import {
  type Collector,
  type Pair,
  readInteger,
  readMapping,
  readString,
  seqItems,
} from '../yaml/index.ts';

export function parseRedirect(
  c: Collector,
  pair: Pair,
  name: string,
  type: 'A' | 'AAAA',
  ttl: number,
): RedirectSpec | undefined {
  const keys = readMapping(
    c,
    pair.value,
    ['addresses', 'mode', 'fallback_url', 'scheme', 'port'],
    '"redirect"',
  );
  if (!keys) return undefined;
  const addressNodes = keys.get('addresses') ? seqItems(keys.get('addresses')!.value) : undefined;
  if (!addressNodes || addressNodes.length === 0)
    c.report(
      keys.get('addresses')?.value ?? pair.value,
      'MISSING_KEY',
      'redirect needs "addresses": where this gslb\'s redirect tier is reachable',
    );
  const addresses: RR[] = [];
  for (const node of addressNodes ?? []) {
    const text = readString(c, node, 'redirect address');
    if (text !== undefined && !isIpOfType(text, type))
      c.report(
        node,
        'BAD_ADDRESS',
        `"${text}" is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address`,
      );
    else if (text !== undefined)
      addresses.push({
        name,
        type: RRType[type],
        class: RRClass.IN,
        ttl,
        data: { type, address: text.toLowerCase() },
      });
  }
  const mode = keys.get('mode') ? readString(c, keys.get('mode')!.value, 'mode') : 'fallback';
  if (mode !== 'fallback' && mode !== 'always')
    c.report(keys.get('mode')?.value, 'BAD_VALUE', 'mode must be fallback or always');
  const url = keys.get('fallback_url')
    ? readString(c, keys.get('fallback_url')!.value, 'fallback_url')
    : undefined;
  if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url))
    c.report(
      keys.get('fallback_url')?.value,
      'BAD_VALUE',
      `fallback_url "${url}" is not an http(s) URL`,
    );
  const scheme = keys.get('scheme') ? readString(c, keys.get('scheme')!.value, 'scheme') : 'https';
  if (scheme !== 'http' && scheme !== 'https')
    c.report(keys.get('scheme')?.value, 'BAD_VALUE', 'scheme must be http or https');
  const port = keys.get('port')
    ? readInteger(c, keys.get('port')!.value, 1, 65535, 'port')
    : undefined;
  return {
    addresses,
    mode: mode === 'always' ? 'always' : 'fallback',
    fallbackUrl: url,
    scheme: scheme === 'http' ? 'http' : 'https',
    port,
  };
}
