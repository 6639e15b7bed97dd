// The API's request, response and context: plain values, so handlers run without sockets.
import type { Result } from '../core/index.ts';
import type { Chooser } from '../resolve/index.ts';
import type { JournalEntry } from '../state/index.ts';
import type { ReloadResult, ServerView, StorageView } from './views.ts';

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

/** What the API may ask of the server; the composition root supplies it. */
export interface ApiContext {
  readonly token: string | undefined;
  /** The snapshot, live state and probes at this moment, for the views. */
  view(): ServerView;
  /** Records an override through the journaled write path; the error says why the store did not take it. */
  setOverride(r: OverrideRequest): Promise<Result<{ serial: number }>>;
  reload(): Promise<ReloadResult>;
  storage(): StorageView;
  events(sinceId: number, limit: number): readonly JournalEntry[];
  metrics(): Promise<{ contentType: string; body: string }>;
  /** In cluster mode: this node's view of etcd, and every node (undefined: one node). */
  cluster(): ClusterStatus | undefined;
  clusterReport(): Promise<ClusterReport | undefined>;
  /** Randomness for the decisions /resolve explains. */
  readonly chooser: Chooser;
}

export function error(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): ApiResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

/** etcd as this node sees it (cluster mode). */
export interface ClusterStatus {
  readonly node: string;
  readonly etcdUp: boolean;
  readonly appliedRevision: number;
  readonly lastError: string | undefined;
}

/** GET /api/v1/cluster. */
export interface ClusterReport extends ClusterStatus {
  /** The node that turns the nodes' observations into health decisions now (null: none). */
  readonly healthDecider: string | null;
  /** The nodes registered in etcd (undefined when etcd does not answer). */
  readonly nodes:
    | readonly {
        readonly node: string;
        readonly appliedRevision: number;
        readonly seenAt: string | null;
        readonly digests: Readonly<Record<string, string>>;
        /** Zone files whose digest differs from most nodes' (or that most nodes have and this one lacks). */
        readonly differs: readonly string[];
        /** The members this node's probes see down, "name type address". */
        readonly seesDown: readonly string[];
      }[]
    | undefined;
}
