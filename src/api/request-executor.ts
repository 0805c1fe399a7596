import { ExportError } from '../errors.js';
import {
  ApiError,
  codeForFailure,
  codeForStatus,
  describeTarget,
  type FailureKind,
  type RequestTarget,
} from './api-error.js';
import type { Clock } from './clock.js';
import { headerValue, type HeaderBag } from './headers.js';
import { writeLedger, type LedgerSink } from './ledger.js';
import { flattenQuery, redactQuery, redactText, serializeQuery, type QueryParams } from './query.js';
import type { RateBudget } from './rate-budget.js';
import { isRetryable, retryDelay, type RetryPolicy } from './retry-timing.js';
import { classifyTransportError, isAbortError, type Transport, type TransportResponse } from './transport.js';

/**
 * The one place a request is executed: rate budget → transport → ledger → retry decision
 * (compliance-api.md §5.10). A retry resends exactly the same path and query, so a cursor never
 * moves on failure (§4.1).
 */

/** Thrown by a response handler to fail one attempt (e.g. checksum mismatch); retried per the rules. */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'AttemptFailure';
  }
}

export interface AttemptContext {
  target: RequestTarget;
  attempt: number;
  status: number;
  headers: HeaderBag;
  requestId: string | null;
  /** Handlers add the body bytes they read, for the ledger and stats. */
  bytes: number;
}

export interface ClientStats {
  /** Attempts sent (each retry counts). */
  requests: number;
  retries: number;
  /** 429 responses received. */
  rateLimited: number;
  /** Logical requests that failed for good. */
  errors: number;
  bytes: number;
  byStatus: Record<string, number>;
  byFailure: Record<string, number>;
  startedAt: number;
  /** Wall time of the first and latest attempt start, for achieved-rate figures. */
  firstRequestAt: number | null;
  lastRequestAt: number | null;
}

export interface ExecutorOptions {
  transport: Transport;
  apiKey: string;
  keyFingerprint: string;
  userAgent: string;
  budget: RateBudget;
  clock: Clock;
  random: () => number;
  retry: RetryPolicy;
  ledger?: LedgerSink;
  /** Aborted when the client closes. */
  closeSignal: AbortSignal;
}

const API_PREFIX = '/v1/compliance';
const MAX_ERROR_BODY = 64 * 1024;

export class RequestExecutor {
  readonly stats: ClientStats;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: ExecutorOptions) {
    this.stats = {
      requests: 0,
      retries: 0,
      rateLimited: 0,
      errors: 0,
      bytes: 0,
      byStatus: {},
      byFailure: {},
      startedAt: options.clock.now(),
      firstRequestAt: null,
      lastRequestAt: null,
    };
    this.headers = {
      'x-api-key': options.apiKey,
      'anthropic-version': '2023-06-01',
      'user-agent': options.userAgent,
      accept: 'application/json',
    };
  }

  /** Build the target for a path under /v1/compliance and its query parameters. */
  target(
    method: string,
    path: string,
    params: QueryParams = {},
  ): { target: RequestTarget; pathAndQuery: string } {
    const pairs = flattenQuery(params);
    const query = serializeQuery(pairs);
    const fullPath = API_PREFIX + path;
    return {
      target: { method, path: fullPath, query: redactQuery(pairs, [this.options.apiKey]) },
      pathAndQuery: query === '' ? fullPath : `${fullPath}?${query}`,
    };
  }

  /**
   * Run one logical request with retries. `handle` consumes a 2xx response body and returns the
   * result; it may throw AttemptFailure to fail the attempt (retried if the kind is retryable).
   */
  async run<T>(
    method: string,
    path: string,
    params: QueryParams,
    handle: (response: TransportResponse, ctx: AttemptContext) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const { target, pathAndQuery } = this.target(method, path, params);
    const { clock, budget, transport, retry, random } = this.options;
    const abort =
      signal === undefined ? this.options.closeSignal : AbortSignal.any([signal, this.options.closeSignal]);
    const firstStart = clock.now();
    let rateLimitedFailures = 0;
    let otherFailures = 0;
    for (let attempt = 1; ; attempt++) {
      let release: (() => void) | undefined;
      const ctx: AttemptContext = { target, attempt, status: 0, headers: {}, requestId: null, bytes: 0 };
      let status: number | null = null;
      let failure: FailureKind | null = null;
      let errorType: string | null = null;
      let detailCode: string | null = null;
      let serverMessage: string | null = null;
      let cause: unknown;
      let result: { value: T } | undefined;
      let fatal: ExportError | undefined;
      let started = clock.now();
      try {
        release = await budget.acquire(abort);
        started = clock.now();
        this.noteStart(started);
        let phase: 'request' | 'body' = 'request';
        let response: TransportResponse | undefined;
        try {
          response = await transport.send(method, pathAndQuery, this.headers, abort);
          phase = 'body';
          status = response.status;
          ctx.status = status;
          ctx.headers = response.headers;
          ctx.requestId = headerValue(response.headers, 'request-id') ?? null;
          budget.observe(response.headers);
          if (status >= 200 && status < 300) {
            result = { value: await handle(response, ctx) };
          } else {
            const parsed = await this.readErrorBody(response, ctx);
            ({ errorType, detailCode, serverMessage } = parsed);
          }
        } catch (error) {
          // a handler that gave up early leaves the body unread: free the connection. undici's
          // body emits an AbortError when destroyed; nobody reads it any more, so swallow that.
          if (response !== undefined && !response.body.destroyed) {
            response.body.on('error', () => undefined);
            response.body.destroy();
          }
          if (abort.aborted || isAbortError(error)) throw error;
          cause = error;
          if (error instanceof ExportError) {
            // The handler's own verdict (a sink that failed, a body that cannot be re-read): final.
            fatal = error;
            failure = error instanceof ApiError ? error.failure : null;
          } else {
            failure = error instanceof AttemptFailure ? error.kind : classifyTransportError(error, phase);
            serverMessage = error instanceof AttemptFailure ? error.message : null;
          }
        }
      } catch (error) {
        release?.();
        if (abort.aborted || isAbortError(error)) {
          throw new ExportError('interrupted', `${describeTarget(target)}: interrupted`, { cause: error });
        }
        throw error;
      }
      release();
      const duration = clock.now() - started;
      this.stats.bytes += ctx.bytes;
      if (status !== null) this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
      if (status === 429) this.stats.rateLimited += 1;
      if (failure !== null) this.stats.byFailure[failure] = (this.stats.byFailure[failure] ?? 0) + 1;

      const ok = result !== undefined;
      const input =
        failure !== null ? { failure } : { status: status ?? 0, headers: ctx.headers, nowMs: clock.now() };
      if (status === 429) rateLimitedFailures += 1;
      else if (!ok) otherFailures += 1;
      const classCount = status === 429 ? rateLimitedFailures : otherFailures;
      let delay = ok || fatal !== undefined ? null : retryDelay(classCount, input, random, retry);
      if (delay !== null && clock.now() + delay - firstStart > retry.maxElapsedMs) delay = null;
      writeLedger(this.options.ledger, {
        ts: new Date(started).toISOString(),
        method,
        path: target.path,
        query: target.query,
        status,
        request_id: ctx.requestId,
        attempt,
        duration_ms: Math.round(duration),
        bytes: ctx.bytes,
        outcome: ok ? 'ok' : delay === null ? 'error' : 'retry',
        error: ok ? null : (fatal?.code ?? failure ?? errorType ?? `http_${status}`),
        retry_in_ms: delay,
        key_fp: this.options.keyFingerprint,
      });
      if (result !== undefined) return result.value;

      if (delay === null) {
        this.stats.errors += 1;
        if (fatal !== undefined) throw fatal;
        const exhausted = isRetryable(input) && failure === null;
        // §5.5: "Local sessions are not available." is a 404 that a later run may get past
        const retryable =
          isRetryable(input) || (status === 404 && /not available/i.test(serverMessage ?? ''));
        const code =
          failure !== null
            ? codeForFailure(failure)
            : exhausted
              ? 'retries_exhausted'
              : codeForStatus(status ?? 0);
        throw new ApiError(
          code,
          {
            target,
            status,
            errorType,
            detailCode,
            requestId: ctx.requestId,
            attempts: attempt,
            failure,
            serverMessage: serverMessage === null ? null : redactText(serverMessage, [this.options.apiKey]),
          },
          { cause, retryable },
        );
      }
      this.stats.retries += 1;
      // A 429 means the shared budget is spent: hold every request of the job, not just this one.
      if (status === 429) budget.pauseUntil(clock.now() + delay);
      try {
        await clock.sleep(delay, abort);
      } catch (error) {
        throw new ExportError('interrupted', `${describeTarget(target)}: interrupted`, { cause: error });
      }
    }
  }

  private noteStart(at: number): void {
    this.stats.requests += 1;
    this.stats.firstRequestAt ??= at;
    this.stats.lastRequestAt = at;
  }

  /** Read (a bounded prefix of) an error body: `{ error: { type, message, details?: { error_code } } }` (§5.1). */
  private async readErrorBody(
    response: TransportResponse,
    ctx: AttemptContext,
  ): Promise<{ errorType: string | null; detailCode: string | null; serverMessage: string | null }> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        const buf = chunk as Buffer;
        ctx.bytes += buf.length;
        if (size < MAX_ERROR_BODY) {
          chunks.push(buf);
          size += buf.length;
        }
      }
    } catch {
      // an error body cut short still tells us the status; keep what arrived
    }
    const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY);
    try {
      const body = JSON.parse(text) as {
        error?: { type?: unknown; message?: unknown; details?: { error_code?: unknown } };
      };
      const err = body.error;
      return {
        errorType: typeof err?.type === 'string' ? err.type : null,
        detailCode: typeof err?.details?.error_code === 'string' ? err.details.error_code : null,
        serverMessage: typeof err?.message === 'string' ? err.message.slice(0, 500) : null,
      };
    } catch {
      return { errorType: null, detailCode: null, serverMessage: null };
    }
  }
}

/** Read a whole JSON body (pages and metadata are bounded by the API's `limit`). */
export async function readJsonBody(
  response: TransportResponse,
  ctx: AttemptContext,
): Promise<{ text: string; value: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) {
    const buf = chunk as Buffer;
    ctx.bytes += buf.length;
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    throw new AttemptFailure('invalid_response', `response body is not JSON (${text.length} chars)`);
  }
}

export interface JsonResult {
  target: RequestTarget;
  requestId: string | null;
  status: number;
  headers: HeaderBag;
  /** The body exactly as received. */
  text: string;
  /** The parsed body; always a JSON object. */
  value: Record<string, unknown>;
  /** When the response arrived (ISO). */
  fetchedAt: string;
}

/**
 * GET a JSON object. `validate` may throw AttemptFailure (e.g. a checksum over a `content` field)
 * to have the attempt retried from scratch.
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
      const { text, value } = await readJsonBody(response, ctx);
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
    options.signal,
  );
}
