/**
 * Header fields as an ordered list of [name, value] pairs, as they were on the
 * wire (names keep their case, for display), with case-insensitive lookups
 * (RFC 9110 5.1). Plain arrays, so they cross comlink to the UI unchanged.
 */

export type HeaderField = readonly [name: string, value: string];

/** The one value of a field, or undefined; a list-valued field that appears several times is joined with ", " (RFC 9110 5.3). */
export function getField(fields: readonly HeaderField[], name: string): string | undefined {
  const lower = name.toLowerCase();
  let out: string | undefined;
  for (const [n, v] of fields) {
    if (n.toLowerCase() !== lower) continue;
    out = out === undefined ? v : `${out}, ${v}`;
  }
  return out;
}

export function hasField(fields: readonly HeaderField[], name: string): boolean {
  const lower = name.toLowerCase();
  return fields.some(([n]) => n.toLowerCase() === lower);
}

/** How many field lines carry this name. */
export function countField(fields: readonly HeaderField[], name: string): number {
  const lower = name.toLowerCase();
  let n = 0;
  for (const [f] of fields) if (f.toLowerCase() === lower) n++;
  return n;
}

/** The comma-separated members of a list-valued field, trimmed and lower-cased, empty members dropped (RFC 9110 5.6.1). */
export function fieldTokens(fields: readonly HeaderField[], name: string): string[] {
  const v = getField(fields, name);
  if (v === undefined) return [];
  return v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}

/** tchar of RFC 9110 5.6.2. */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isToken(s: string): boolean {
  return TCHAR.test(s);
}
