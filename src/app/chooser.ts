// The server's randomness and round-robin positions: the only source of them outside tests.
import type { Chooser } from '../resolve/index.ts';

/** Math.random for weighted picks; one counter per round-robin sequence. */
export function randomChooser(): Chooser {
  const positions = new Map<string, number>();
  return {
    random: Math.random,
    next: (key) => {
      const n = positions.get(key) ?? 0;
      positions.set(key, n + 1);
      return n;
    },
  };
}
