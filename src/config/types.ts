// What the server reads from its settings (SPEC §2, §10): the shape the app receives, filled by the table in
// settings.ts.

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface TsigKeyConfig {
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly secret: string;
  readonly zones: readonly string[] | undefined; // undefined: every zone
}

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha1'] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export interface Settings {
  readonly zones: string;
  /** undefined: no GeoIP data (geo rules never match). */
  readonly geoip: string | undefined;
  /** SQLite file for serials, updates, member state and the journal (":memory:" for none on disk). */
  readonly db: string;
  readonly dnsListen: readonly ListenAddress[];
  /** undefined: no HTTP API. It listens off loopback only with a token. */
  readonly apiListen: ListenAddress | undefined;
  /** undefined: no redirect tier. */
  readonly redirectListen: ListenAddress | undefined;
  /** Without a token the API is read-only. */
  readonly apiToken: string | undefined;
  /** Peers whose X-Forwarded-For the redirect tier believes (CIDR text, each checked when read). */
  readonly trustedProxies: readonly string[];
  readonly tsigKeys: readonly TsigKeyConfig[];
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  /** TCP connections one source address may hold. */
  readonly tcpMaxPerClient: number;
  /** DNS worker processes sharing the listeners (1: the one process serves everything). */
  readonly workers: number;
  readonly rateLimit: RateLimitSettings;
  readonly cookies: CookieSettings;
  readonly identity: IdentitySettings;
  /** A zone file larger than this is rejected before it is read. */
  readonly maxZoneFileBytes: number;
  /** Compile each dynamic record's rules into a decision tree at load (false: decide per client, narrower scopes). */
  readonly compileRules: boolean;
  /** API request bodies larger than this are refused (413). */
  readonly apiMaxBodyBytes: number;
  /** undefined: one node, its state in SQLite. Set: the state is shared with the other nodes through etcd. */
  readonly cluster: ClusterSettings | undefined;
  /** Health probes are sent from these addresses (at most one per family; none: the system's choice). */
  readonly probeSource: readonly string[];
}

/** Cluster mode (SPEC §8). */
export interface ClusterSettings {
  /** This node's name, unique in the cluster. */
  readonly node: string;
  readonly etcd: EtcdSettings;
  /** majority, all, or a number: live nodes that must see a member down. */
  readonly healthQuorum: string;
}

export interface EtcdSettings {
  readonly endpoints: readonly string[];
  /** Keys are written under it: several gslb clusters can share one etcd cluster. */
  readonly prefix: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** etcd's --max-txn-ops: a change needing more writes than this is refused with a clear error. */
  readonly maxTxnOps: number;
  /** TLS to etcd (https:// endpoints): the CA that signed etcd's certificate, and this node's client pair. */
  readonly tls: EtcdTlsSettings | undefined;
}

/** PEM files. */
export interface EtcdTlsSettings {
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
}

/** Response rate limiting (SPEC §10): responses per second per source prefix and response class. */
export interface RateLimitSettings {
  /** 0: off. */
  readonly responsesPerSecond: number;
  /** Every `slip`-th limited response is sent empty with TC=1, the others dropped; 0: all dropped. */
  readonly slip: number;
  readonly windowSeconds: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  /** Sources never limited (CIDR text); counted all the same. */
  readonly exempt: readonly string[];
}

/** DNS Cookies (RFC 7873, server cookies per RFC 9018). */
export interface CookieSettings {
  /** 16 bytes as 32 hex digits, shared by the nodes of a cluster; undefined: random per start. */
  readonly secret: string | undefined;
  /** UDP queries with a client cookie but no valid server cookie get BADCOOKIE (and a cookie), not an answer. */
  readonly require: boolean;
}

/** NSID (RFC 5001), CH TXT id.server / hostname.bind and version.bind; each answered only when set. */
export interface IdentitySettings {
  readonly nsid: string | undefined;
  readonly version: string | undefined;
}
