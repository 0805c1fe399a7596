/**
 * Opaque tokens and key-based page slicing. Positions are sort keys, not offsets, so a page
 * boundary survives inserts and deletes the way a real keyset cursor does. Formats follow the
 * examples of §3.1 (clients must treat them as opaque).
 */
import { badRequest, type ApiError } from './errors.js';

export type SortKey = readonly (string | number)[];

export function encodeToken(value: unknown, prefix = ''): string {
  return prefix + Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** Decode `prefix + base64(JSON)`; any malformation becomes `fail()`. */
export function decodeToken(raw: string, prefix: string, fail: () => ApiError): Record<string, unknown> {
  if (!raw.startsWith(prefix)) throw fail();
  const body = raw.slice(prefix.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw fail();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail();
    return parsed as Record<string, unknown>;
  } catch {
    throw fail();
  }
}

export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Items strictly after `after` in (sorted) result order, at most `limit`, plus whether more remain. */
export function pageAfter<T>(
  sorted: readonly T[],
  key: (item: T) => SortKey,
  after: SortKey | null,
  limit: number,
  desc = false,
): { page: T[]; more: boolean } {
  const page: T[] = [];
  let i = 0;
  if (after !== null) {
    while (i < sorted.length) {
      const item = sorted[i] as T;
      const c = compareKeys(key(item), after);
      if (desc ? c < 0 : c > 0) break;
      i++;
    }
  }
  for (; i < sorted.length && page.length < limit; i++) page.push(sorted[i] as T);
  return { page, more: i < sorted.length };
}

/** A generic page token `base64({"after": key})` with a validity check on the way back. */
export function pageToken(key: SortKey, prefix = ''): string {
  return encodeToken({ after: key }, prefix);
}

export function readPageToken(
  raw: string | undefined,
  prefix = '',
  message = 'Invalid page token.',
): SortKey | null {
  if (raw === undefined) return null;
  const fail = (): ApiError => badRequest(message);
  const obj = decodeToken(raw, prefix, fail);
  const after = obj.after;
  if (!Array.isArray(after) || !after.every((x) => typeof x === 'string' || typeof x === 'number'))
    throw fail();
  return after;
}
