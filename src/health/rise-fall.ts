// Rise and fall (SPEC §5): `rise` successes in a row bring a member up, `fall` failures in a row take it down.

/** A member's verdict and the run of results behind it. */
export interface Streak {
  readonly up: boolean;
  /** Successes in a row (0 after a failure). */
  readonly ok: number;
  /** Failures in a row (0 after a success). */
  readonly fail: number;
}

export function initialStreak(up: boolean): Streak {
  return { up, ok: 0, fail: 0 };
}

/** The streak after one probe result; the verdict flips when the run reaches rise (while down) or fall (while up). */
export function nextStreak(s: Streak, passed: boolean, rise: number, fall: number): Streak {
  const ok = passed ? s.ok + 1 : 0;
  const fail = passed ? 0 : s.fail + 1;
  const up = s.up ? fail < fall : ok >= rise;
  return { up, ok, fail };
}
