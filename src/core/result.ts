// The one shape of a fallible function's result: a value, or why there is none. (Outcomes that are all normal, like
// an Answer's kinds, are `kind` unions instead; problems in files go to a diagnostics collector.)

export type Result<T, E = string> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** What a caught value says: an Error's message (with its code, for system and SQLite errors), or the value as text. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.startsWith(code)
      ? `${code}: ${e.message}`
      : e.message;
  }
  return String(e);
}

/** An Error's stack (its message when it has none), or the value as text: for the log line of a bug. */
export function errorStack(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
