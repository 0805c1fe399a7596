/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for plain JSON values: no whitespace, object members
 * sorted by the UTF-16 code units of their names, strings and numbers serialized as ECMAScript's
 * JSON.stringify does (RFC 8785 §3.2.2.2–§3.2.2.3). The Access Transparency log commits leaves in
 * this form (compliance-api.md §7.3).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Canonical JSON text of `value`; throws on what JCS cannot represent (NaN, ±Infinity, lone surrogates). */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return canonicalNumber(value);
    case 'string':
      return canonicalString(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units (RFC 8785 §3.2.3).
  const names = Object.keys(value).sort();
  const members: string[] = [];
  for (const name of names) {
    const member = value[name];
    if (member === undefined) continue;
    members.push(`${canonicalString(name)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

/** ECMAScript Number::toString (RFC 8785 §3.2.2.3); -0 serializes as 0. */
function canonicalNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`JCS cannot represent the number ${n}`);
  return Object.is(n, -0) ? '0' : String(n);
}

/**
 * JSON.stringify's string form (RFC 8785 §3.2.2.2): `\b \t \n \f \r \" \\` as two-character
 * escapes, other C0 controls as lowercase `\u00xx`, everything else literal. JCS is defined over
 * valid Unicode only, so a lone surrogate (which JSON.stringify would escape) is refused.
 */
function canonicalString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
      throw new RangeError(`JCS cannot represent a lone surrogate (U+${c.toString(16)} at ${i})`);
    }
    i++;
  }
  return JSON.stringify(s);
}
