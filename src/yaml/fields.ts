// Reading typed fields from YAML nodes, each problem reported at its node: mappings with known keys, integers in a
// range, strings.
import type { DiagnosticCode } from '../core/index.ts';
import type { Collector } from './collector.ts';
import { keyText, mapPairs, type Pair, scalarValue, type YamlNode } from './tree.ts';

/** Reads a mapping into key → pair, reporting keys outside `allowed` (or, with `acceptUnknown`, keeping them). */
export function readMapping(
  c: Collector,
  node: YamlNode | undefined,
  allowed: readonly string[],
  what: string,
  acceptUnknown = false,
): Map<string, Pair> | undefined {
  const pairs = mapPairs(node);
  if (!pairs) {
    c.report(node, 'BAD_STRUCTURE', `${what} must be a mapping`);
    return undefined;
  }
  const out = new Map<string, Pair>();
  for (const pair of pairs) {
    const key = keyText(pair);
    if (out.has(key)) c.report(pair.key, 'YAML_SYNTAX', 'Map keys must be unique');
    else if (!allowed.includes(key) && !acceptUnknown)
      c.report(
        pair.key,
        'UNKNOWN_KEY',
        `unknown key "${key}" in ${what}; expected one of ${allowed.join(', ')}`,
      );
    else out.set(key, pair);
  }
  return out;
}

/** An integer in [min, max] or a diagnostic at the node. */
export function readInteger(
  c: Collector,
  node: YamlNode | undefined,
  min: number,
  max: number,
  what: string,
  code: DiagnosticCode = 'BAD_VALUE',
): number | undefined {
  const v = scalarValue(node);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    c.report(
      node,
      code,
      `${what} must be an integer from ${min} to ${max}, not ${JSON.stringify(v ?? null)}`,
    );
    return undefined;
  }
  return v;
}

export function readString(
  c: Collector,
  node: YamlNode | undefined,
  what: string,
): string | undefined {
  const v = scalarValue(node);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  c.report(node, 'BAD_STRUCTURE', `${what} must be a string`);
  return undefined;
}
