/** Helpers shared by the route families. */
import type { RequestContext } from '../http/context.js';
import { pageAfter, pageToken, readPageToken, type SortKey } from '../http/pagination.js';

export const V1 = '/v1/compliance';

/** `{data, has_more, next_page}` over a sorted list with keyset page tokens. */
export function tokenPage<T>(
  ctx: RequestContext,
  sorted: readonly T[],
  key: (item: T) => SortKey,
  toJson: (item: T) => unknown,
  defaultLimit: number,
  opts: { prefix?: string; message?: string; desc?: boolean; hasMore?: boolean } = {},
): Record<string, unknown> {
  const after = readPageToken(ctx.query.str('page'), opts.prefix ?? '', opts.message);
  const limit = ctx.query.int('limit') ?? defaultLimit;
  const { page, more } = pageAfter(sorted, key, after, limit, opts.desc ?? false);
  const last = page[page.length - 1];
  const next = more && last !== undefined ? pageToken(key(last), opts.prefix ?? '') : null;
  return {
    data: page.map(toJson),
    ...(opts.hasMore === false ? {} : { has_more: next !== null }),
    next_page: next,
  };
}

export function byNumberThenId(t: number | null, id: string): SortKey {
  return [t ?? 0, id];
}

/** Stable sort copy. */
export function sortedBy<T>(items: readonly T[], key: (item: T) => SortKey): T[] {
  const withKeys = items.map((item) => ({ item, k: key(item) }));
  withKeys.sort((a, b) => {
    for (let i = 0; i < Math.max(a.k.length, b.k.length); i++) {
      const x = a.k[i];
      const y = b.k[i];
      if (x === y) continue;
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      return x < y ? -1 : 1;
    }
    return 0;
  });
  return withKeys.map((w) => w.item);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
