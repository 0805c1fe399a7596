import type { RequestTarget } from './api-error.js';
import { AttemptFailure } from './attempt.js';
import { readJsonBody } from './body-readers.js';
import type { Clock } from './clock.js';
import type { HeaderBag } from './headers.js';
import type { QueryParams } from './query.js';
import type { RequestExecutor } from './request-executor.js';

export interface JsonResult {
  target: RequestTarget;
  requestId: string | null;
  status: number;
  /** Response headers, redacted. */
  headers: HeaderBag;
  /** The body exactly as received. */
  text: string;
  /** The parsed body; always a JSON object. */
  value: Record<string, unknown>;
  /** When the response arrived (ISO). */
  fetchedAt: string;
}

/**
 * GET a JSON object of at most `limits.jsonBytes`, within the JSON deadline (`timeouts.totalMs`).
 * `validate` may throw AttemptFailure (e.g. a checksum over a `content` field) to have the attempt
 * retried from scratch.
 */
export async function fetchJson(
  executor: RequestExecutor,
  clock: Clock,
  path: string,
  params: QueryParams = {},
  options: { signal?: AbortSignal | undefined; validate?: (value: Record<string, unknown>) => void } = {},
): Promise<JsonResult> {
  return executor.run(
    'GET',
    path,
    params,
    async (response, ctx) => {
      const { text, value } = await readJsonBody(response, ctx, executor.limits.jsonBytes);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new AttemptFailure('invalid_response', 'response body is not a JSON object');
      }
      const obj = value as Record<string, unknown>;
      options.validate?.(obj);
      return {
        target: ctx.target,
        requestId: ctx.requestId,
        status: ctx.status,
        headers: ctx.headers,
        text,
        value: obj,
        fetchedAt: new Date(clock.now()).toISOString(),
      };
    },
    { signal: options.signal },
  );
}
