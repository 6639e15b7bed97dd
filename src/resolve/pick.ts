// Choosing `count` distinct members: weighted random, smooth weighted round robin, rendezvous hash, or all.

export interface Candidate {
  readonly address: string;
  readonly weight: number; // > 0 here: drained members are filtered or re-weighted before picking
}

/** Randomness and round-robin positions, injected so decisions are reproducible. */
export interface Chooser {
  /** A number in [0, 1). */
  random(): number;
  /** 0, 1, 2, ... for successive calls with the same key. */
  next(key: string): number;
}

/** Weighted random sampling without replacement: long-run shares follow the weights. */
export function pickWeighted<C extends Candidate>(
  candidates: readonly C[],
  count: number,
  chooser: Chooser,
): C[] {
  // the common case, without copies
  if (count === 1 && candidates.length > 0) return [pickOne(candidates, chooser.random())];
  const left = [...candidates];
  const picked: C[] = [];
  while (picked.length < count && left.length > 0) {
    let total = 0;
    for (const c of left) total += c.weight;
    let r = chooser.random() * total;
    let i = 0;
    while (i < left.length - 1 && r >= left[i]!.weight) r -= left[i++]!.weight;
    picked.push(left.splice(i, 1)[0]!);
  }
  return picked;
}

/** One member, with probability weight / total; `u` in [0, 1). The same walk as the loop above, for one pick. */
function pickOne<C extends Candidate>(candidates: readonly C[], u: number): C {
  let total = 0;
  for (let i = 0; i < candidates.length; i++) total += candidates[i]!.weight;
  let r = u * total;
  let i = 0;
  while (i < candidates.length - 1 && r >= candidates[i]!.weight) r -= candidates[i++]!.weight;
  return candidates[i]!;
}

/**
 * Smooth weighted round robin (nginx): position k of a sequence of period sum(weights) in which each member
 * appears weight times, spread out. `count` distinct members are taken from positions k, k+1, ...
 */
export function pickRoundRobin<C extends Candidate>(
  candidates: readonly C[],
  count: number,
  position: number,
): C[] {
  const period = candidates.reduce((n, c) => n + c.weight, 0);
  const sequence = smoothSequence(candidates, period);
  const picked: C[] = [];
  for (let step = 0; step < period && picked.length < Math.min(count, candidates.length); step++) {
    const c = sequence[(position + step) % period]!;
    if (!picked.includes(c)) picked.push(c);
  }
  return picked;
}

function smoothSequence<C extends Candidate>(candidates: readonly C[], period: number): C[] {
  const current = candidates.map(() => 0);
  const out: C[] = [];
  for (let step = 0; step < period; step++) {
    let best = 0;
    for (let i = 0; i < candidates.length; i++) {
      current[i]! += candidates[i]!.weight;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= period;
    out.push(candidates[best]!);
  }
  return out;
}

/**
 * Weighted rendezvous hashing of the client subnet: each member scores -weight / ln(u), u a hash of (subnet, member)
 * in (0, 1); the best `count` win. Removing a member moves only the subnets it had won.
 */
export function pickRendezvous<C extends Candidate>(
  candidates: readonly C[],
  count: number,
  subnet: Uint8Array,
): C[] {
  const scored = candidates.map((c) => ({
    c,
    score: -c.weight / Math.log((hash32(subnet, c.address) + 0.5) / 4294967296),
  }));
  scored.sort((a, b) => b.score - a.score || (a.c.address < b.c.address ? -1 : 1));
  return scored.slice(0, count).map((s) => s.c);
}

/** FNV-1a over the member's text and the subnet bytes, finished with murmur3's fmix32. */
export function hash32(subnet: Uint8Array, member: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < member.length; i++) h = Math.imul(h ^ member.charCodeAt(i), 0x01000193);
  for (let i = 0; i < subnet.length; i++) h = Math.imul(h ^ subnet[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
