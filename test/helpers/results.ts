// Results in tests: the value of one that must have succeeded, the error of one that must have failed.
import type { Result } from '../../src/core/index.ts';

export function value<T, E>(r: Result<T, E>): T {
  if (!r.ok) throw new Error(`expected a value, got the error: ${JSON.stringify(r.error)}`);
  return r.value;
}

export function errorOf<T, E>(r: Result<T, E>): E {
  if (r.ok) throw new Error(`expected an error, got the value: ${JSON.stringify(r.value)}`);
  return r.error;
}
