import { createHash } from 'node:crypto';
import type { Clock } from './clock.js';
import type { Page } from './paginate.js';
import { AttemptFailure } from './attempt.js';
import { fetchJson, type JsonResult } from './fetch-json.js';
import type { RequestExecutor } from './request-executor.js';
import type { Chat, ChatMessage } from './types.js';

/** A single record fetched on its own, with where it came from. */
export interface RecordResult<R> {
  record: R;
  /** The body exactly as received. */
  raw: string;
  requestId: string | null;
  endpoint: string;
  query: string;
  fetchedAt: string;
}

/** A text body (artifact version, project document) checked against metadata md5/size_bytes. */
export interface TextContentResult<R> extends RecordResult<R> {
  /** Hashes and size of the UTF-8 bytes of `record.content`. */
  md5: string;
  sha256: string;
  size: number;
}

export interface TextExpectations {
  expectedMd5?: string | null | undefined;
  expectedSize?: number | null | undefined;
  signal?: AbortSignal | undefined;
}

export interface ChatWithMessages {
  /** Chat metadata from the messages response (its top level minus paging fields). */
  chat: Chat;
  messages: ChatMessage[];
  rawMessages: string[];
  pages: { requestId: string | null; query: string; cursor: string | null }[];
}

export function toRecordResult<R>(r: JsonResult): RecordResult<R> {
  return {
    record: r.value as R,
    raw: r.text,
    requestId: r.requestId,
    endpoint: r.target.path,
    query: r.target.query,
    fetchedAt: r.fetchedAt,
  };
}

/**
 * GET a JSON body with a `content` string (artifact version, project document) and verify md5 and
 * size against the UTF-8 bytes of that string, not the whole body (compliance-api.md §3.12, §3.14).
 * A mismatch fails the attempt, so it is retried, then reported as `checksum_mismatch`.
 */
export async function fetchTextContent<R extends { content: string }>(
  executor: RequestExecutor,
  clock: Clock,
  path: string,
  expect: TextExpectations,
): Promise<TextContentResult<R>> {
  let digest = { md5: '', sha256: '', size: 0 };
  const validate = (value: Record<string, unknown>): void => {
    if (typeof value.content !== 'string')
      throw new AttemptFailure('invalid_response', 'body has no string "content"');
    const bytes = Buffer.from(value.content, 'utf8');
    digest = {
      md5: createHash('md5').update(bytes).digest('hex'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
    };
    if (expect.expectedSize != null && expect.expectedSize !== digest.size) {
      throw new AttemptFailure(
        'checksum',
        `size_bytes is ${expect.expectedSize}, content has ${digest.size} UTF-8 bytes`,
      );
    }
    if (expect.expectedMd5 != null && expect.expectedMd5.toLowerCase() !== digest.md5) {
      throw new AttemptFailure('checksum', `md5 is ${expect.expectedMd5}, content hashes to ${digest.md5}`);
    }
  };
  const r = await fetchJson(executor, clock, path, {}, { signal: expect.signal, validate });
  return { ...toRecordResult<R>(r), ...digest };
}

/** Merge a chat's message pages: chat metadata from the first page's envelope, messages in order. */
export async function mergeChatMessagePages(
  pages: AsyncIterable<Page<ChatMessage>>,
): Promise<ChatWithMessages> {
  const out: ChatWithMessages = { chat: {} as Chat, messages: [], rawMessages: [], pages: [] };
  for await (const page of pages) {
    if (page.index === 0) {
      const { has_more: _h, first_id: _f, last_id: _l, ...chat } = page.envelope;
      out.chat = chat as Chat;
    }
    out.messages.push(...page.items);
    out.rawMessages.push(...page.rawItems);
    out.pages.push({ requestId: page.requestId, query: page.query, cursor: page.cursor });
  }
  return out;
}
