import { REDACTED, type Redactor } from './redact.js';

/**
 * Query strings the way the Compliance API wants them (compliance-api.md §2): arrays repeat with a
 * bracket suffix (`user_ids[]=a&user_ids[]=b`), range filters use dot notation
 * (`created_at.gte=...`). Unknown parameters are rejected by the server with 400, so nothing is
 * added or renamed here beyond that mapping.
 */
export type QueryScalar = string | number | boolean;
export type QueryValue =
  QueryScalar | readonly QueryScalar[] | Readonly<Record<string, QueryScalar | undefined>> | null | undefined;
export type QueryParams = Readonly<Record<string, QueryValue>>;

/** Ordered [name, value] pairs; undefined/null values are dropped, empty arrays too. */
export function flattenQuery(params: QueryParams): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      const key = name.endsWith('[]') ? name : `${name}[]`;
      for (const item of value as readonly QueryScalar[]) pairs.push([key, String(item)]);
    } else if (typeof value === 'object') {
      for (const [op, bound] of Object.entries(value as Record<string, QueryScalar | undefined>)) {
        if (bound !== undefined) pairs.push([`${name}.${op}`, String(bound)]);
      }
    } else {
      pairs.push([name, String(value)]);
    }
  }
  return pairs;
}

/** Percent-encode, keeping `[]` and `.` in names readable (both are legal in a query). */
function encodePart(text: string, isName: boolean): string {
  const encoded = encodeURIComponent(text);
  return isName ? encoded.replace(/%5B/g, '[').replace(/%5D/g, ']') : encoded;
}

export function serializeQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${encodePart(k, true)}=${encodePart(v, false)}`).join('&');
}

const SECRET_NAME = /key|secret|token|password|signature|auth/i;

/**
 * The query as it may be logged: parameters whose names look secret are replaced, and the key
 * (whole or in part, see redact.ts) is masked whatever parameter carries it.
 */
export function redactQuery(pairs: readonly (readonly [string, string])[], redact: Redactor): string {
  const redacted = pairs.map(([k, v]): [string, string] => [k, SECRET_NAME.test(k) ? REDACTED : redact(v)]);
  return redact(serializeQuery(redacted));
}
