// Writes MaxMind DB files (format 2.0: search tree, data section, metadata), for the sample databases.
import type { Cidr } from '../core/index.ts';

/** An unsigned integer of an explicit width (metadata needs uint16/uint64); plain numbers become uint32 or double. */
export class MmdbUint {
  constructor(
    readonly bits: 16 | 32 | 64,
    readonly value: number,
  ) {}
}

export type MmdbValue =
  | string
  | number
  | boolean
  | MmdbUint
  | readonly MmdbValue[]
  | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  readonly cidr: Cidr;
  readonly data: MmdbValue;
}

export interface MmdbOptions {
  readonly databaseType: string;
  readonly description: string;
  readonly buildEpochSeconds: number;
  readonly languages?: readonly string[];
  /** 6 (default): IPv4 at ::/96; 4: a 32-bit tree that holds IPv4 networks only. */
  readonly ipVersion?: 4 | 6;
  /** Bits per record; by default the smallest of 24, 28, 32 that fits. */
  readonly recordSize?: 24 | 28 | 32;
}

interface TreeNode {
  left: Slot;
  right: Slot;
}
interface DataRef {
  readonly key: string;
  readonly data: MmdbValue;
}
type Slot = TreeNode | DataRef | undefined;

const isNode = (s: Slot): s is TreeNode => s !== undefined && 'left' in s;

/** IPv6 databases hold IPv4 networks at ::/96, aliased at ::ffff:0:0/96 as in MaxMind's own files. */
export function writeMmdb(networks: readonly MmdbNetwork[], options: MmdbOptions): Buffer {
  const v4Only = options.ipVersion === 4;
  if (v4Only && networks.some((n) => n.cidr.bytes.length === 16))
    throw new Error('an IPv4 database cannot hold IPv6 networks');
  const root: TreeNode = { left: undefined, right: undefined };
  const bits = (c: Cidr): Uint8Array => (v4Only ? c.bytes : treeBits(c));
  const prefix = (c: Cidr): number => (v4Only ? c.prefix : treePrefix(c));
  const ordered = [...networks].sort((a, b) => prefix(a.cidr) - prefix(b.cidr));
  for (const n of ordered)
    insert(root, bits(n.cidr), prefix(n.cidr), { key: JSON.stringify(n.data), data: n.data });
  if (!v4Only) aliasIpv4Mapped(root);
  const nodes = numberNodes(root);
  const data = new DataSection();
  const records: number[][] = [...nodes.keys()].map((node) =>
    [node.left, node.right].map((slot) => {
      if (slot === undefined) return nodes.size;
      if (isNode(slot)) return nodes.get(slot)!;
      return nodes.size + 16 + data.offsetOf(slot);
    }),
  );
  const max = Math.max(...records.flat());
  const recordBits = options.recordSize ?? (max < 2 ** 24 ? 24 : max < 2 ** 28 ? 28 : 32);
  const tree = Buffer.concat(records.map(([l, r]) => encodeNode(l!, r!, recordBits)));
  const metadata = encodeValue({
    node_count: new MmdbUint(32, nodes.size),
    record_size: new MmdbUint(16, recordBits),
    ip_version: new MmdbUint(16, v4Only ? 4 : 6),
    database_type: options.databaseType,
    languages: options.languages ?? ['en'],
    binary_format_major_version: new MmdbUint(16, 2),
    binary_format_minor_version: new MmdbUint(16, 0),
    build_epoch: new MmdbUint(64, options.buildEpochSeconds),
    description: { en: options.description },
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    data.bytes(),
    Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'),
    metadata,
  ]);
}

function treeBits(cidr: Cidr): Uint8Array {
  if (cidr.bytes.length === 16) return cidr.bytes;
  const out = new Uint8Array(16);
  out.set(cidr.bytes, 12);
  return out;
}

const treePrefix = (cidr: Cidr): number =>
  cidr.bytes.length === 4 ? 96 + cidr.prefix : cidr.prefix;
const bitAt = (bytes: Uint8Array, i: number): number => (bytes[i >> 3]! >> (7 - (i & 7))) & 1;

/** Networks arrive shortest first: a longer one splits the data of a shorter one it lands in. */
function insert(root: TreeNode, bits: Uint8Array, prefix: number, ref: DataRef): void {
  if (prefix === 0) throw new Error('a /0 network cannot be written');
  descend(root, bits, prefix - 1)[bitAt(bits, prefix - 1) ? 'right' : 'left'] = ref;
}

/** The node at `depth` along `bits`, creating nodes on the way; data met on the way is pushed down to both sides. */
function descend(root: TreeNode, bits: Uint8Array, depth: number): TreeNode {
  let node = root;
  for (let d = 0; d < depth; d++) {
    const side = bitAt(bits, d) ? 'right' : 'left';
    const slot = node[side];
    const next: TreeNode = isNode(slot) ? slot : { left: slot, right: slot };
    node[side] = next;
    node = next;
  }
  return node;
}

/** Points ::ffff:0:0/96 at the IPv4 subtree (::/96). */
function aliasIpv4Mapped(root: TreeNode): void {
  let v4: Slot = root;
  for (let depth = 0; depth < 96 && isNode(v4); depth++) v4 = v4.left;
  if (!isNode(v4)) return;
  const mapped = new Uint8Array(16);
  mapped[10] = mapped[11] = 0xff;
  descend(root, mapped, 95).right = v4; // bit 95 of ::ffff:0:0 is 1
}

/** Breadth-first numbers, root 0; a node reached twice (the IPv4 alias) keeps its first number. */
function numberNodes(root: TreeNode): Map<TreeNode, number> {
  const numbers = new Map<TreeNode, number>([[root, 0]]);
  const queue: TreeNode[] = [root];
  for (let i = 0; i < queue.length; i++) {
    for (const s of [queue[i]!.left, queue[i]!.right]) {
      if (!isNode(s) || numbers.has(s)) continue;
      numbers.set(s, numbers.size);
      queue.push(s);
    }
  }
  return numbers;
}

function encodeNode(left: number, right: number, bits: number): Buffer {
  const b = Buffer.alloc(bits / 4);
  if (bits === 24) {
    b.writeUIntBE(left, 0, 3);
    b.writeUIntBE(right, 3, 3);
  } else if (bits === 28) {
    b.writeUIntBE(left & 0xffffff, 0, 3);
    b[3] = ((left >>> 24) << 4) | (right >>> 24);
    b.writeUIntBE(right & 0xffffff, 4, 3);
  } else {
    b.writeUInt32BE(left, 0);
    b.writeUInt32BE(right, 4);
  }
  return b;
}

/** Each distinct record is written once and shared by every network that holds it. */
class DataSection {
  private readonly chunks: Buffer[] = [];
  private readonly offsets = new Map<string, number>();
  private size = 0;

  offsetOf(ref: DataRef): number {
    let at = this.offsets.get(ref.key);
    if (at === undefined) {
      const encoded = encodeValue(ref.data);
      at = this.size;
      this.offsets.set(ref.key, at);
      this.chunks.push(encoded);
      this.size += encoded.length;
    }
    return at;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

// Data types of the MaxMind DB format, §"Output Data Section".
const T = {
  string: 2,
  double: 3,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  array: 11,
  boolean: 14,
} as const;

function control(type: number, size: number): Buffer {
  const sizeBytes =
    size < 29
      ? []
      : size < 285
        ? [size - 29]
        : size < 65821
          ? [(size - 285) >> 8, (size - 285) & 0xff]
          : [(size - 65821) >> 16, ((size - 65821) >> 8) & 0xff, (size - 65821) & 0xff];
  const sizeField = size < 29 ? size : size < 285 ? 29 : size < 65821 ? 30 : 31;
  const head = type <= 7 ? [(type << 5) | sizeField] : [sizeField, type - 7];
  return Buffer.from([...head, ...sizeBytes]);
}

function uintBytes(value: number): Buffer {
  const out: number[] = [];
  for (let v = BigInt(value); v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return Buffer.from(out);
}

export function encodeValue(v: MmdbValue): Buffer {
  if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8');
    return Buffer.concat([control(T.string, bytes.length), bytes]);
  }
  if (typeof v === 'boolean') return control(T.boolean, v ? 1 : 0);
  if (v instanceof MmdbUint) {
    const bytes = uintBytes(v.value);
    return Buffer.concat([
      control(v.bits === 16 ? T.uint16 : v.bits === 32 ? T.uint32 : T.uint64, bytes.length),
      bytes,
    ]);
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) return encodeValue(new MmdbUint(32, v));
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([control(T.double, 8), b]);
  }
  if (Array.isArray(v))
    return Buffer.concat([
      control(T.array, v.length),
      ...v.map((x) => encodeValue(x as MmdbValue)),
    ]);
  const entries = Object.entries(v as { readonly [key: string]: MmdbValue });
  return Buffer.concat([
    control(T.map, entries.length),
    ...entries.flatMap(([k, x]) => [encodeValue(k), encodeValue(x)]),
  ]);
}
