import { ApiError, type RequestTarget } from './api-error.js';
import type { QueryParams } from './query.js';
import { rawArrayItems } from './raw-json.js';
import type { JsonResult } from './request-executor.js';

/**
 * Pagination for both schemes (compliance-api.md §4.1) as async iterators of pages. Each page
 * carries the cursor that produced it and the cursor to resume from, so the pipeline stores the
 * page first, then checkpoints `resumeCursor`, and after a crash passes it back as `resumeFrom`.
 * Failed requests are retried by the executor with the same cursor; the cursor only moves here,
 * after a page succeeded.
 */
export interface Page<T> {
  scheme: 'cursor' | 'page_token';
  /** `/v1/compliance/...` path of the list endpoint. */
  endpoint: string;
  /** Exact (redacted) query sent for this page, cursor included. */
  query: string;
  requestId: string | null;
  fetchedAt: string;
  /** 0-based position within this walk (resumed walks count from 0 again). */
  index: number;
  /** Cursor (`after_id`/`before_id`) or page token (`page`) that produced this page; null for the first. */
  cursor: string | null;
  /**
   * Where to continue after this page has been stored: pass as `resumeFrom`. Null only when the
   * walk is done and there is nowhere to continue from. On a finished cursor walk this is still the
   * last id seen, so an incremental run can later pick up newer rows (§4.2).
   */
  resumeCursor: string | null;
  /** The documented stop condition held on this page: no further pages in this walk. */
  done: boolean;
  /** Records as parsed; unknown fields and enum values are passed through untouched. */
  items: T[];
  /** Each record's exact JSON text as received, same order as `items`. */
  rawItems: string[];
  /** The body without the items array: has_more/first_id/last_id/next_page, chat metadata, session... */
  envelope: Record<string, unknown>;
}

export interface WalkOptions {
  /** A `resumeCursor` from an earlier page: continue after it. */
  resumeFrom?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface CursorWalkOptions extends WalkOptions {
  /** 'forward' follows `last_id` as `after_id` (default); 'backward' follows `first_id` as `before_id`. */
  direction?: 'forward' | 'backward' | undefined;
}

export type FetchPage = (params: QueryParams, signal: AbortSignal | undefined) => Promise<JsonResult>;

function splitPage<T>(
  result: JsonResult,
  itemsKey: string,
): { items: T[]; rawItems: string[]; envelope: Record<string, unknown> } {
  const { [itemsKey]: list, ...envelope } = result.value;
  if (list === undefined || list === null) return { items: [], rawItems: [], envelope };
  if (!Array.isArray(list)) throw invalid(result.target, result.requestId, `"${itemsKey}" is not an array`);
  const rawItems = rawArrayItems(result.text, itemsKey);
  if (rawItems?.length !== list.length) {
    throw invalid(result.target, result.requestId, `could not locate the raw text of "${itemsKey}"`);
  }
  return { items: list as T[], rawItems, envelope };
}

function invalid(target: RequestTarget, requestId: string | null, note: string): ApiError {
  return new ApiError(
    'invalid_response',
    {
      target,
      status: 200,
      errorType: null,
      detailCode: null,
      requestId,
      attempts: 1,
      failure: 'invalid_response',
      serverMessage: null,
    },
    { note },
  );
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Cursor scheme (activities, chats, chat messages): stop when `has_more` is not true. */
export async function* walkCursor<T>(
  fetchPage: FetchPage,
  baseParams: QueryParams,
  itemsKey: string,
  options: CursorWalkOptions = {},
): AsyncGenerator<Page<T>, void, undefined> {
  const backward = options.direction === 'backward';
  const cursorParam = backward ? 'before_id' : 'after_id';
  let cursor = options.resumeFrom ?? null;
  for (let index = 0; ; index++) {
    const params: QueryParams = cursor === null ? baseParams : { ...baseParams, [cursorParam]: cursor };
    const result = await fetchPage(params, options.signal);
    const { items, rawItems, envelope } = splitPage<T>(result, itemsKey);
    const hasMore = envelope.has_more === true;
    const next = optionalString(backward ? envelope.first_id : envelope.last_id);
    if (hasMore && next === null) {
      throw invalid(
        result.target,
        result.requestId,
        `has_more is true but ${backward ? 'first_id' : 'last_id'} is missing`,
      );
    }
    if (hasMore && next === cursor) {
      throw invalid(result.target, result.requestId, 'the cursor did not advance');
    }
    yield {
      scheme: 'cursor',
      endpoint: result.target.path,
      query: result.target.query,
      requestId: result.requestId,
      fetchedAt: result.fetchedAt,
      index,
      cursor,
      resumeCursor: next ?? cursor,
      done: !hasMore,
      items,
      rawItems,
      envelope,
    };
    if (!hasMore) return;
    cursor = next;
  }
}

/**
 * Page-token scheme (projects, directory, code artifacts, sessions): stop only when `next_page` is
 * absent or null. Short or empty pages with a token continue (Code Artifacts); `has_more` is
 * ignored because sessions do not send it and code artifacts may send true before an empty page.
 */
export async function* walkPageToken<T>(
  fetchPage: FetchPage,
  baseParams: QueryParams,
  itemsKey: string,
  options: WalkOptions = {},
): AsyncGenerator<Page<T>, void, undefined> {
  let token = options.resumeFrom ?? null;
  for (let index = 0; ; index++) {
    const params: QueryParams = token === null ? baseParams : { ...baseParams, page: token };
    const result = await fetchPage(params, options.signal);
    const { items, rawItems, envelope } = splitPage<T>(result, itemsKey);
    const next = optionalString(envelope.next_page);
    if (next !== null && next === token)
      throw invalid(result.target, result.requestId, 'next_page repeats the token just used');
    yield {
      scheme: 'page_token',
      endpoint: result.target.path,
      query: result.target.query,
      requestId: result.requestId,
      fetchedAt: result.fetchedAt,
      index,
      cursor: token,
      resumeCursor: next,
      done: next === null,
      items,
      rawItems,
      envelope,
    };
    if (next === null) return;
    token = next;
  }
}

/** Flatten a page walk into records (when no checkpointing is needed). */
export async function* itemsOf<T>(pages: AsyncIterable<Page<T>>): AsyncGenerator<T, void, undefined> {
  for await (const page of pages) yield* page.items;
}

/** Collect a whole (small) walk: directory lists, roles, a project's collaborators. */
export async function collectItems<T>(pages: AsyncIterable<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page.items);
  return out;
}
