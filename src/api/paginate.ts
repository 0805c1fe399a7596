import { createHash } from 'node:crypto';
import type { ErrorCode } from '../errors.js';
import { ApiError } from './api-error.js';
import type { JsonResult } from './fetch-json.js';
import type { QueryParams } from './query.js';
import { rawArrayItems } from './raw-json.js';
import type { Redactor } from './redact.js';

/**
 * Pagination for both schemes (compliance-api.md §4.1) as async iterators of pages. Each page
 * carries the cursor that produced it and the cursor to resume from, so the pipeline stores the
 * page first, then checkpoints `resumeCursor`, and after a crash passes it back as `resumeFrom`.
 * Failed requests are retried by the executor with the same cursor; the cursor only moves here,
 * after a page succeeded.
 *
 * A broken or hostile server must not keep a walk going for ever (each page spends the budget
 * shared with the whole job): a walk fails with `pagination_loop` when a cursor or token comes back
 * that the walk already used (A → B → A, or the one just used), or after MAX_EMPTY_RUN empty pages
 * in a row.
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
  if (!Array.isArray(list)) throw pageError('invalid_response', result, `"${itemsKey}" is not an array`);
  const rawItems = rawArrayItems(result.text, itemsKey);
  if (rawItems?.length !== list.length) {
    throw pageError('invalid_response', result, `could not locate the raw text of "${itemsKey}"`);
  }
  return { items: list as T[], rawItems, envelope };
}

function pageError(code: ErrorCode, result: JsonResult, note: string): ApiError {
  return new ApiError(
    code,
    {
      target: result.target,
      status: 200,
      errorType: null,
      detailCode: null,
      requestId: result.requestId,
      attempts: 1,
      failure: code === 'invalid_response' ? 'invalid_response' : null,
      serverMessage: null,
    },
    { note },
  );
}

/**
 * Empty pages in a row a walk accepts. Page-token endpoints may send empty pages that still carry a
 * token (Code Artifacts, compliance-api.md §4.1), but not dozens in a row.
 */
const MAX_EMPTY_RUN = 50;

/**
 * Item identities a walk remembers to tell a page that brings something new from one that only
 * repeats (a server that resends the same items under fresh cursors). Bounded: past this many the
 * memory starts over, which still catches any repetition shorter than the bound.
 */
const MAX_TRACKED_ITEMS = 100_000;

/** An item's identity: its `id` (or `user_id`), else a digest of its exact text. */
function identityOf(item: unknown, raw: string): string {
  const record = item as { id?: unknown; user_id?: unknown } | null;
  const id = optionalString(record?.id) ?? optionalString(record?.user_id);
  return id ?? `#${createHash('sha256').update(raw).digest('base64').slice(0, 22)}`;
}

/**
 * Remembers every cursor of one walk (the resumed-from one included), the items it brought, and
 * the run of pages that brought nothing new (empty, or only items this walk already had).
 */
class LoopGuard {
  private readonly seen = new Set<string>();
  private readonly items = new Set<string>();
  private emptyRun = 0;

  constructor(
    private readonly redact: Redactor,
    start: string | null,
  ) {
    if (start !== null) this.seen.add(start);
  }

  /** Before following `next` (null: the walk ends here) from the page at `index`. */
  check(
    result: JsonResult,
    index: number,
    page: { items: readonly unknown[]; rawItems: readonly string[] },
    next: string | null,
    param: string,
  ): void {
    let fresh = 0;
    for (let i = 0; i < page.items.length; i += 1) {
      const identity = identityOf(page.items[i], page.rawItems[i] ?? '');
      if (this.items.has(identity)) continue;
      if (this.items.size >= MAX_TRACKED_ITEMS) this.items.clear();
      this.items.add(identity);
      fresh += 1;
    }
    this.emptyRun = fresh === 0 ? this.emptyRun + 1 : 0;
    if (next === null) return;
    if (this.seen.has(next)) {
      throw pageError(
        'pagination_loop',
        result,
        `page ${index} of the walk sends ${param} ${JSON.stringify(this.redact(next))}, which this walk already used`,
      );
    }
    if (this.emptyRun >= MAX_EMPTY_RUN) {
      throw pageError(
        'pagination_loop',
        result,
        `page ${index} is the ${this.emptyRun}th page in a row with no item this walk had not seen (empty or repeated) and still sends ${param} ${JSON.stringify(this.redact(next))}`,
      );
    }
    this.seen.add(next);
  }
}

/** The `limit` sent, when there is one: a page that fills it may not be the last (§7.3). */
function sentLimit(params: QueryParams): number | null {
  const limit = Number(params.limit);
  return Number.isInteger(limit) && limit > 0 ? limit : null;
}

function itemId(item: unknown): string | null {
  return optionalString((item as { id?: unknown } | null)?.id);
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Cursor scheme (activities, chats, chat messages): stop when `has_more` is not true, except after
 * a FULL page (as many items as the `limit` sent) that says `has_more: false` or nothing at all:
 * the activity feed has been seen to end full pages that way while more existed (compliance-api.md
 * §7.3), so exactly one more request after its last id confirms the end. If that page has items,
 * the walk goes on from there; if it is empty, the walk is done.
 */
export async function* walkCursor<T>(
  fetchPage: FetchPage,
  baseParams: QueryParams,
  itemsKey: string,
  options: CursorWalkOptions,
  redact: Redactor,
): AsyncGenerator<Page<T>, void, undefined> {
  const backward = options.direction === 'backward';
  const cursorParam = backward ? 'before_id' : 'after_id';
  const limit = sentLimit(baseParams);
  let cursor = options.resumeFrom ?? null;
  const guard = new LoopGuard(redact, cursor);
  for (let index = 0; ; index++) {
    const params: QueryParams = cursor === null ? baseParams : { ...baseParams, [cursorParam]: cursor };
    const result = await fetchPage(params, options.signal);
    const { items, rawItems, envelope } = splitPage<T>(result, itemsKey);
    let hasMore = envelope.has_more === true;
    let next = optionalString(backward ? envelope.first_id : envelope.last_id);
    if (hasMore && next === null) {
      throw pageError(
        'invalid_response',
        result,
        `has_more is true but ${backward ? 'first_id' : 'last_id'} is missing`,
      );
    }
    if (!hasMore && limit !== null && items.length >= limit) {
      next ??= itemId(backward ? items[0] : items.at(-1));
      hasMore = next !== null;
    }
    guard.check(result, index, { items, rawItems }, hasMore ? next : null, cursorParam);
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
  options: WalkOptions,
  redact: Redactor,
): AsyncGenerator<Page<T>, void, undefined> {
  let token = options.resumeFrom ?? null;
  const guard = new LoopGuard(redact, token);
  for (let index = 0; ; index++) {
    const params: QueryParams = token === null ? baseParams : { ...baseParams, page: token };
    const result = await fetchPage(params, options.signal);
    const { items, rawItems, envelope } = splitPage<T>(result, itemsKey);
    const next = optionalString(envelope.next_page);
    guard.check(result, index, { items, rawItems }, next, 'next_page');
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

/** Collect a whole (small) walk: directory lists, roles, a project's collaborators. */
export async function collectItems<T>(pages: AsyncIterable<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page.items);
  return out;
}
