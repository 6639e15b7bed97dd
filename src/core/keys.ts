// Composite keys, built and read back in one place: a record (an RRset, or a dynamic record and its live state) is
// keyed "name|type"; a health-probe target by everything that makes two probes the same probe.

/** "www.example.com.|1": the key of the records of a name and type. */
export function recordKey(name: string, type: number): string {
  return `${name}|${type}`;
}

export function parseRecordKey(key: string): { readonly name: string; readonly type: number } {
  const bar = key.lastIndexOf('|');
  return { name: key.slice(0, bar), type: Number(key.slice(bar + 1)) };
}

/** "www.example.com.|1|192.0.2.1": one member of a dynamic record, as health observations name it. */
export function memberKey(record: string, address: string): string {
  return `${record}|${address}`;
}

export function parseMemberKey(key: string): { readonly record: string; readonly address: string } {
  const bar = key.lastIndexOf('|');
  return { record: key.slice(0, bar), address: key.slice(bar + 1) };
}

/** One probe serves every record whose member is probed the same way: protocol, address, port, Host and path. */
export function probeKey(target: {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  readonly host: string;
  readonly path: string;
}): string {
  return `${target.protocol}|${target.address}|${target.port}|${target.host}|${target.path}`;
}
