// Seeded randomness for tests: mulberry32, and datagrams that are random or mutations of real queries.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Half pure noise, half a valid query with bytes flipped, cut or spliced (which reaches deeper code). */
export function randomDatagram(rand: () => number, seeds: readonly Buffer[]): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  if (rand() < 0.5) {
    const out = Buffer.alloc(int(600));
    for (let i = 0; i < out.length; i++) out[i] = int(256);
    if (out.length > 2 && rand() < 0.5) out[2]! &= 0x7f; // clear QR so the request is not simply dropped
    return out;
  }
  const base = Buffer.from(seeds[int(seeds.length)]!);
  const mutations = 1 + int(4);
  let out = base;
  for (let m = 0; m < mutations; m++) {
    const kind = int(4);
    if (kind === 0 && out.length > 0) out[int(out.length)] = int(256);
    else if (kind === 1) out = out.subarray(0, int(out.length + 1));
    else if (kind === 2)
      out = Buffer.concat([out, Buffer.from(Array.from({ length: int(40) }, () => int(256)))]);
    else if (out.length > 12) out.writeUInt16BE(int(65536), 4 + 2 * int(4));
  }
  return out;
}
