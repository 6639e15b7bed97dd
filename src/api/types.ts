// The API's request, response and context: plain values, so handlers run without sockets.
import type { Diagnostic } from '../core/index.ts';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
  /** The parsed JSON body; `bodyError` says why there is none when one was sent. */
  readonly body: unknown;
  readonly bodyError?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown; // JSON, or a string with `contentType`
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Status = 'up' | 'down' | 'obey';

export interface OverrideRequest {
  readonly zone: string;
  readonly name: string;
  readonly type: number;
  readonly target: 'member' | 'pool';
  readonly key: string; // member address or pool name
  readonly status: Status;
  readonly reason: string;
}

/** What the API may ask of the server; app.ts supplies it. */
export interface ApiContext {
  readonly token: string | undefined;
  zones(): unknown[];
  zone(origin: string): unknown | undefined;
  members(): unknown[];
  /**
   * Applies an override through the journaled write path; `notFound` names what does not exist, `unavailable` why
   * the store did not take it.
   */
  override(r: OverrideRequest): { state: unknown } | { notFound: string } | { unavailable: string };
  /** `error`: why a reload with no zone-file problem failed (the store could not record it). */
  reload(): Promise<{
    ok: boolean;
    zones: number;
    diagnostics: readonly Diagnostic[];
    error?: string;
  }>;
  /** Liveness and what is degraded (the store). */
  health(): { status: 'ok' | 'degraded'; storage: unknown };
  resolve(q: {
    name: string;
    type: number;
    client: Uint8Array;
    clientText: string;
    ecs: { bytes: Uint8Array; prefix: number; text: string } | undefined;
  }): unknown;
  events(sinceId: number, limit: number): unknown[];
  metrics(): Promise<{ contentType: string; body: string }>;
}

export function error(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): ApiResponse {
  return { status, body: { error: { code, message, ...extra } } };
}
