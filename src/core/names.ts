// Domain names as lower-case, fully qualified strings ("www.example.com.", root "."): the one form every room compares.

export const MAX_NAME_WIRE_BYTES = 255; // RFC 1035 §2.3.4
export const MAX_LABEL_BYTES = 63;

/** Joins a name relative to `origin` ('' is the apex) into a lower-case FQDN. */
export function absoluteName(relative: string, origin: string): string {
  if (relative === '' || relative === '@') return origin;
  return origin === '.' ? `${relative.toLowerCase()}.` : `${relative.toLowerCase()}.${origin}`;
}

/** "www.example.com." → ["www", "example", "com"]; root → []. */
export function nameLabels(name: string): string[] {
  return name === '.' ? [] : name.slice(0, -1).split('.');
}

/** Length of the name in wire format: one length byte per label, the label bytes, the root byte. */
export function nameWireLength(name: string): number {
  if (name === '.') return 1;
  let total = 1;
  for (const label of nameLabels(name)) total += 1 + Buffer.byteLength(label, 'latin1');
  return total;
}

/** The name with its first label removed; the root has no parent. */
export function parentName(name: string): string | undefined {
  if (name === '.') return undefined;
  const dot = name.indexOf('.');
  return dot === name.length - 1 ? '.' : name.slice(dot + 1);
}

/** True when `name` equals `ancestor` or lies below it. */
export function isAtOrBelow(name: string, ancestor: string): boolean {
  if (ancestor === '.') return true;
  return (
    name === ancestor ||
    (name.endsWith(ancestor) && name.charCodeAt(name.length - ancestor.length - 1) === 46)
  );
}

/** Describes what is wrong with a fully qualified name, or returns undefined when it is valid. */
export function nameProblem(name: string): string | undefined {
  if (!name.endsWith('.')) return `"${name}" is not fully qualified (add a trailing dot)`;
  if (name === '.') return undefined;
  for (const label of nameLabels(name)) {
    if (label.length === 0) return `"${name}" has an empty label`;
    if (label.length > MAX_LABEL_BYTES)
      return `label "${label.slice(0, 20)}..." is ${label.length} bytes; the limit is ${MAX_LABEL_BYTES}`;
    if (!/^[A-Za-z0-9_*/-]+$/.test(label))
      return `label "${label}" has characters outside letters, digits, '-', '_', '/' and '*'`;
    if (label.includes('*') && label !== '*') return `"*" must be a whole label in "${name}"`;
  }
  const wire = nameWireLength(name);
  if (wire > MAX_NAME_WIRE_BYTES)
    return `"${name.slice(0, 30)}..." is ${wire} bytes in wire format; the limit is ${MAX_NAME_WIRE_BYTES}`;
  return undefined;
}
