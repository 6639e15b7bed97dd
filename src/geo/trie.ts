// Longest-prefix match over CIDR blocks, reporting the block over which the result is the same (for ECS scope).
import type { Cidr } from '../core/index.ts';

export interface TrieNode<T> {
  zero: TrieNode<T> | undefined;
  one: TrieNode<T> | undefined;
  entry: { readonly value: T; readonly prefix: number } | undefined;
}

export interface PrefixMatch<T> {
  readonly value: T | undefined;
  /** Prefix length of the matched block (undefined when nothing matched). */
  readonly matchedPrefix: number | undefined;
  /** The longest prefix of the address whose every address gets this same result. */
  readonly scopePrefix: number;
}

export class PrefixTrie<T> {
  private readonly v4: TrieNode<T> = { zero: undefined, one: undefined, entry: undefined };
  private readonly v6: TrieNode<T> = { zero: undefined, one: undefined, entry: undefined };

  /** The node of the whole address space of a family (4 or 16 bytes), for walks over the trie. */
  root(family: 4 | 16): TrieNode<T> {
    return family === 4 ? this.v4 : this.v6;
  }

  insert(cidr: Cidr, value: T): void {
    let node = cidr.bytes.length === 4 ? this.v4 : this.v6;
    for (let depth = 0; depth < cidr.prefix; depth++) {
      const key = bitAt(cidr.bytes, depth) ? 'one' : 'zero';
      node = node[key] ??= { zero: undefined, one: undefined, entry: undefined };
    }
    node.entry = { value, prefix: cidr.prefix };
  }

  lookup(address: Uint8Array): PrefixMatch<T> {
    let node: TrieNode<T> | undefined = address.length === 4 ? this.v4 : this.v6;
    let best = node.entry;
    const bits = address.length * 8;
    let depth = 0;
    for (; depth < bits; depth++) {
      const next: TrieNode<T> | undefined = bitAt(address, depth) ? node.one : node.zero;
      if (!next) break;
      node = next;
      if (node.entry) best = node.entry;
    }
    // Past `depth` the address's own branch is empty; if the sibling branch holds entries, the uniform
    // block is one bit longer.
    const scopePrefix = depth === bits || (!node.zero && !node.one) ? depth : depth + 1;
    return { value: best?.value, matchedPrefix: best?.prefix, scopePrefix };
  }
}

function bitAt(bytes: Uint8Array, index: number): boolean {
  return ((bytes[index >> 3]! >> (7 - (index & 7))) & 1) === 1;
}
