// The YAML tree gslb reads files into: kinds, values and the offset each node starts at, and the accessors that
// narrow a node to what it holds.

export interface Position {
  readonly line: number;
  readonly col: number;
}

export type YamlNode =
  | { readonly kind: 'scalar'; readonly start: number; readonly value: unknown }
  | { readonly kind: 'seq'; readonly start: number; readonly items: readonly YamlNode[] }
  | { readonly kind: 'map'; readonly start: number; readonly items: readonly Pair[] }
  | { readonly kind: 'alias'; readonly start: number };

export interface Pair {
  readonly key: YamlNode;
  readonly value: YamlNode | undefined;
}

/** The pairs of a mapping node, else undefined. */
export function mapPairs(node: YamlNode | undefined): readonly Pair[] | undefined {
  return node?.kind === 'map' ? node.items : undefined;
}

/** The items of a sequence node, else undefined. */
export function seqItems(node: YamlNode | undefined): readonly YamlNode[] | undefined {
  return node?.kind === 'seq' ? node.items : undefined;
}

/** The plain JS value of a scalar node (string, number, boolean, null), else undefined. */
export function scalarValue(node: YamlNode | undefined): unknown {
  return node?.kind === 'scalar' ? node.value : undefined;
}

/** A scalar as text (a number or boolean as written, null as ""); "" for a collection or no node. */
export function scalarText(node: YamlNode | undefined): string {
  const v = scalarValue(node);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** A key as text (a number key as its digits; an empty or null key as ""). */
export function keyText(pair: Pair): string {
  const v = scalarValue(pair.key);
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : '';
}
