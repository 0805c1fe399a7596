import { ExportError } from '../errors.js';
import {
  ApiError,
  codeForFailure,
  codeForStatus,
  describeTarget,
  type FailureKind,
  type RequestTarget,
} from './api-error.js';
import { AttemptFailure, type AttemptContext } from './attempt.js';
import { discardBody, readErrorBody, type BodyLimits } from './body-readers.js';
import type { Clock } from './clock.js';
import { headerValue, type HeaderBag } from './headers.js';
import { writeLedger, type LedgerSink } from './ledger.js';
import { flattenQuery, redactQuery, serializeQuery, type QueryParams } from './query.js';
import type { RateBudget } from './rate-budget.js';
import type { Redactor } from './redact.js';
import { isRetryable, retryDelay, type RetryInput, type RetryPolicy } from './retry-timing.js';
import {
  classifyTransportError,
  isAbortError,
  networkCauseOf,
  type Transport,
  type TransportResponse,
  type TransportTimeouts,
} from './transport.js';

/**
 * The one place a request is executed: rate budget → transport → ledger → retry decision
 * (compliance-api.md §5.10). A retry resends exactly the same path and query, so a cursor never
 * moves on failure (§4.1). Every attempt has an overall deadline, and every string that leaves
 * (target, headers, error fields, ledger lines) has been through the client's redactor.
 */

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

/** One failed attempt that will be retried, for progress displays (`onRetry`). */
export interface RetryEvent {
  /** The attempt that failed (1-based); the next one is `attempt + 1`. */
  attempt: number;
  target: RequestTarget;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  errorType: string | null;
  failure: FailureKind | null;
  /** System or undici error code of a transport failure (`ECONNREFUSED`, ...). */
  networkCause: string | null;
  /** `host:port` of the API. */
  host: string;
  /** Wait before the next attempt. */
  delayMs: number;
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
  limits: BodyLimits;
  redact: Redactor;
  ledger?: LedgerSink;
  onRetry?: (event: RetryEvent) => void;
  /** Aborted when the client closes. */
  closeSignal: AbortSignal;
}

export interface RunOptions {
  signal?: AbortSignal | undefined;
  /** Overall deadline of each attempt; default `timeouts.totalMs`. */
  deadlineMs?: number | undefined;
}

const API_PREFIX = '/v1/compliance';

type Handler<T> = (response: TransportResponse, ctx: AttemptContext) => Promise<T>;

/** What one attempt came to. */
interface Outcome<T> {
  ctx: AttemptContext;
  started: number;
  status: number | null;
  result?: { value: T };
  fatal?: ExportError;
  failure: FailureKind | null;
  networkCause: string | null;
  errorType: string | null;
  detailCode: string | null;
  serverMessage: string | null;
  cause?: unknown;
}

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

  get limits(): BodyLimits {
    return this.options.limits;
  }

  get timeouts(): TransportTimeouts {
    return this.options.transport.timeouts;
  }

  get redact(): Redactor {
    return this.options.redact;
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
    const { redact } = this.options;
    return {
      // ids in the path come from listings: a hostile server could have planted the key there
      target: { method, path: redact(fullPath), query: redactQuery(pairs, redact) },
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
    handle: Handler<T>,
    options: RunOptions = {},
  ): Promise<T> {
    const { target, pathAndQuery } = this.target(method, path, params);
    const { clock, budget, retry, random, transport } = this.options;
    const signal = options.signal;
    const abort =
      signal === undefined ? this.options.closeSignal : AbortSignal.any([signal, this.options.closeSignal]);
    const deadlineMs = options.deadlineMs ?? transport.timeouts.totalMs;
    const firstStart = clock.now();
    let rateLimitedFailures = 0;
    let otherFailures = 0;
    for (let attempt = 1; ; attempt++) {
      const o = await this.attempt(method, pathAndQuery, target, attempt, abort, deadlineMs, handle);
      const { ctx, status, failure } = o;
      const duration = clock.now() - o.started;
      this.stats.bytes += ctx.bytes;
      if (status !== null) this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
      if (status === 429) this.stats.rateLimited += 1;
      if (failure !== null) this.stats.byFailure[failure] = (this.stats.byFailure[failure] ?? 0) + 1;

      const ok = o.result !== undefined;
      const input: RetryInput =
        failure !== null
          ? { failure, cause: o.networkCause }
          : { status: status ?? 0, headers: ctx.headers, nowMs: clock.now() };
      if (status === 429) rateLimitedFailures += 1;
      else if (!ok) otherFailures += 1;
      const classCount = status === 429 ? rateLimitedFailures : otherFailures;
      let delay = ok || o.fatal !== undefined ? null : retryDelay(classCount, input, random, retry);
      if (delay !== null && clock.now() + delay - firstStart > retry.maxElapsedMs) delay = null;
      writeLedger(this.options.ledger, {
        ts: new Date(o.started).toISOString(),
        method,
        path: target.path,
        query: target.query,
        status,
        request_id: ctx.requestId,
        attempt,
        duration_ms: Math.round(duration),
        bytes: ctx.bytes,
        outcome: ok ? 'ok' : delay === null ? 'error' : 'retry',
        error: ok ? null : (o.fatal?.code ?? failure ?? o.errorType ?? `http_${status}`),
        retry_in_ms: delay,
        key_fp: this.options.keyFingerprint,
      });
      if (o.result !== undefined) return o.result.value;

      if (delay === null) {
        this.stats.errors += 1;
        if (o.fatal !== undefined) throw o.fatal;
        throw this.finalError(target, attempt, input, o);
      }
      this.stats.retries += 1;
      this.notifyRetry({
        attempt,
        target,
        status,
        errorType: o.errorType,
        failure,
        networkCause: o.networkCause,
        host: transport.host,
        delayMs: delay,
      });
      // A 429 means the shared budget is spent: hold every request of the job, not just this one.
      if (status === 429) budget.pauseUntil(clock.now() + delay);
      try {
        await clock.sleep(delay, abort);
      } catch (error) {
        throw new ExportError('interrupted', `${describeTarget(target)}: interrupted`, { cause: error });
      }
    }
  }

  /** One attempt: budget slot, request, body, within the overall deadline. */
  private async attempt<T>(
    method: string,
    pathAndQuery: string,
    target: RequestTarget,
    attempt: number,
    abort: AbortSignal,
    deadlineMs: number,
    handle: Handler<T>,
  ): Promise<Outcome<T>> {
    const { clock, budget, transport, redact } = this.options;
    const ctx: AttemptContext = { target, attempt, status: 0, headers: {}, requestId: null, bytes: 0 };
    const o: Outcome<T> = {
      ctx,
      started: clock.now(),
      status: null,
      failure: null,
      networkCause: null,
      errorType: null,
      detailCode: null,
      serverMessage: null,
    };
    let release: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      release = await budget.acquire(abort);
      o.started = clock.now();
      this.noteStart(o.started);
      // A real timer, not the injectable clock: it bounds real I/O from a real server.
      const deadline = new AbortController();
      timer = setTimeout(() => deadline.abort(), deadlineMs);
      timer.unref();
      let phase: 'request' | 'body' = 'request';
      let response: TransportResponse | undefined;
      try {
        response = await transport.send(
          method,
          pathAndQuery,
          this.headers,
          AbortSignal.any([abort, deadline.signal]),
        );
        phase = 'body';
        o.status = response.status;
        ctx.status = response.status;
        ctx.headers = redactHeaders(response.headers, redact);
        ctx.requestId = headerValue(ctx.headers, 'request-id') ?? null;
        budget.observe(response.headers);
        if (o.status >= 200 && o.status < 300) {
          o.result = { value: await handle(response, ctx) };
        } else {
          Object.assign(o, await readErrorBody(response, ctx, redact));
        }
      } catch (error) {
        // a handler that gave up early leaves the body unread: free the connection
        if (response !== undefined) discardBody(response.body);
        if (abort.aborted) throw error;
        o.cause = error;
        if (error instanceof ExportError) {
          // The handler's own verdict (a sink that failed, a body that cannot be re-read): final.
          o.fatal = error;
          o.failure = error instanceof ApiError ? error.failure : null;
        } else if (deadline.signal.aborted) {
          o.failure = 'timeout';
          o.serverMessage = `no complete response within the overall deadline of ${deadlineMs} ms`;
        } else if (isAbortError(error)) {
          throw error;
        } else if (error instanceof AttemptFailure) {
          o.failure = error.kind;
          o.serverMessage = redact(error.message);
        } else {
          o.failure = classifyTransportError(error, phase);
          o.networkCause = networkCauseOf(error);
        }
      }
    } catch (error) {
      if (abort.aborted || isAbortError(error)) {
        throw new ExportError('interrupted', `${describeTarget(target)}: interrupted`, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      release?.();
    }
    return o;
  }

  private finalError<T>(target: RequestTarget, attempts: number, input: RetryInput, o: Outcome<T>): ApiError {
    const { status, failure } = o;
    const exhausted = isRetryable(input) && failure === null;
    // §5.5: "Local sessions are not available." is a 404 that a later run may get past
    const retryable = isRetryable(input) || (status === 404 && /not available/i.test(o.serverMessage ?? ''));
    const code =
      failure !== null
        ? codeForFailure(failure)
        : exhausted
          ? 'retries_exhausted'
          : codeForStatus(status ?? 0);
    return new ApiError(
      code,
      {
        target,
        status,
        errorType: o.errorType,
        detailCode: o.detailCode,
        requestId: o.ctx.requestId,
        attempts,
        failure,
        serverMessage: o.serverMessage,
        networkCause: o.networkCause,
        host: o.networkCause === null ? null : this.options.transport.host,
      },
      { cause: o.cause, retryable },
    );
  }

  private notifyRetry(event: RetryEvent): void {
    try {
      this.options.onRetry?.(event);
    } catch {
      // a display hook must never fail a request
    }
  }

  private noteStart(at: number): void {
    this.stats.requests += 1;
    this.stats.firstRequestAt ??= at;
    this.stats.lastRequestAt = at;
  }
}

/** Every header value through the redactor: request ids, filenames and types end up in results and errors. */
function redactHeaders(headers: HeaderBag, redact: Redactor): HeaderBag {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = Array.isArray(value) ? value.map(redact) : value === undefined ? undefined : redact(value);
  }
  return out;
}
