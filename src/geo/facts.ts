// What is known of a client address, where each fact came from, and over which block it holds.

export interface ClientFacts {
  readonly geo: string | undefined;
  readonly asn: number | undefined;
  /** ISP or, failing that, the organisation that holds the AS. */
  readonly isp: string | undefined;
  /** Prefix lengths over which the location facts, and the network (ASN/ISP) facts, are the same. */
  readonly geoScope: number;
  readonly networkScope: number;
  /** Where each fact came from, e.g. "networks.yaml 198.51.100.0/24" (for gslb geoip and explain). */
  readonly sources: Readonly<Record<'geo' | 'asn' | 'isp', string | undefined>>;
}

export const NO_FACTS: ClientFacts = {
  geo: undefined,
  asn: undefined,
  isp: undefined,
  geoScope: 0,
  networkScope: 0,
  sources: { geo: undefined, asn: undefined, isp: undefined },
};
