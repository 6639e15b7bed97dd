// Problems a user can see: stable codes, positions, and the one format they are printed in.

/** Every code a zone or config check can report; the README lists them with these descriptions. */
export const DiagnosticCodes = {
  YAML_SYNTAX: 'the file is not valid YAML (includes duplicate keys)',
  BAD_FILE_NAME: 'the file name is not <origin>.yaml with a valid origin',
  BAD_STRUCTURE: 'a value has the wrong shape (mapping, list, string, number expected)',
  UNKNOWN_KEY: 'a key that gslb does not know; nothing is silently ignored',
  MISSING_KEY: 'a required key is absent (type, value/values, SOA fields, ...)',
  BAD_NAME: 'an owner name or target is not a valid domain name, or is too long',
  BAD_TYPE: 'a record type gslb does not serve',
  BAD_TTL: 'a TTL outside 0..2147483647 seconds',
  BAD_VALUE: 'a value that is not valid for its record type',
  BAD_ADDRESS: 'an A value that is not an IPv4 address, or an AAAA value that is not IPv6',
  DUPLICATE_RECORD: 'the same type twice for one name, or the same value twice in one record',
  CNAME_AND_OTHER: 'a CNAME beside other data at the same name (RFC 1034 §3.6.2)',
  CNAME_AT_APEX: 'a CNAME at the zone apex, where SOA and NS must live',
  MISSING_SOA: 'no SOA record at the zone apex',
  MISSING_NS: 'no NS record at the zone apex',
  SOA_NOT_AT_APEX: 'an SOA record below the apex',
  MISSING_GLUE: 'a name server inside the zone or below a delegation has no A/AAAA record',
  DS_NOT_AT_DELEGATION: 'a DS record at a name that is not a delegation point',
  OCCLUDED_DATA: 'data below a delegation point that is not glue and would never be served',
  UNKNOWN_POOL: 'a rule or fallback names a pool that is not defined',
  FALLBACK_CYCLE: 'fallback pools that lead back to themselves',
  RULE_AFTER_CATCHALL:
    'a rule after the catch-all rule (one with no geos, subnets, asns or isps) can never match',
  BAD_GEO: 'a geo code that is not CONTINENT, CONTINENT-COUNTRY or CONTINENT-COUNTRY-SUBDIVISION',
  BAD_WEIGHT: 'a member weight outside 0..100',
  DUPLICATE_MEMBER: 'the same address twice in one pool',
  UNUSED_POOL: 'a pool no rule or fallback leads to',
  IGNORED_KEY: 'an octoDNS setting for another provider, which gslb does not use',
  TOO_MANY_PROBLEMS: 'a file with more problems than are listed (the first 1,000 are)',
  FILE_TOO_LARGE: 'a zone file larger than max_zone_file_bytes; it is rejected before it is read',
  CONFIG: 'a server configuration value is wrong',
  GEOIP:
    'a file in the GeoIP directory cannot be used (not a MaxMind DB, or an unknown database type)',
} as const;
export type DiagnosticCode = keyof typeof DiagnosticCodes;

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly severity: Severity;
}

/** `file:line:col: CODE: message`, the format `gslb check` prints and reloads log. */
export function formatDiagnostic(d: Diagnostic): string {
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return `${d.file}:${d.line}:${d.col}: ${d.code}: ${prefix}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
