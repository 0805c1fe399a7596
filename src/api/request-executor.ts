import type { FailureKind, RequestTarget } from './api-error.js';
import {
  finalError,
  interrupted,
  newOutcome,
  noteAttemptError,
  noteResponse,
  retryInputOf,
  type AttemptPhase,
  type Outcome,
} from './attempt-outcome.js';
import type { AttemptContext } from './attempt.js';
import { discardBody, readErrorBody, type BodyLimits } from './body-readers.js';
import type { Clock } from './clock.js';
import { writeLedger, type LedgerSink } from './ledger.js';
import { linkedAbort, type LinkedAbort } from './linked-abort.js';
import { flattenQuery, redactQuery, serializeQuery, type QueryParams } from './query.js';
import type { RateBudget } from './rate-budget.js';
import type { Redactor } from './redact.js';
import { retryDelay, type RetryInput, type RetryPolicy } from './retry-timing.js';
import { isAbortError, type Transport, type TransportResponse, type TransportTimeouts } from './transport.js';

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

/** One logical request, fixed for all its attempts. */
interface PreparedRequest<T> {
  readonly method: string;
  readonly pathAndQuery: string;
  readonly target: RequestTarget;
  readonly handle: Handler<T>;
  /** The caller's signal joined with the client's close. */
  readonly abort: AbortSignal;
  /** Overall deadline of each attempt. */
  readonly deadlineMs: number;
}

/** A request's failures so far, per backoff class, and when its first attempt started. */
interface RetryState {
  readonly firstStart: number;
  rateLimited: number;
  other: number;
}

/** Counts of a client that has sent nothing yet (started at `startedAt`, ms). */
export function emptyClientStats(startedAt: number): ClientStats {
  return {
    requests: 0,
    retries: 0,
    rateLimited: 0,
    errors: 0,
    bytes: 0,
    byStatus: {},
    byFailure: {},
    startedAt,
    firstRequestAt: null,
    lastRequestAt: null,
  };
}

export class RequestExecutor {
  readonly stats: ClientStats;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: ExecutorOptions) {
    this.stats = emptyClientStats(options.clock.now());
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
    const { clock, closeSignal, transport } = this.options;
    const joined = options.signal === undefined ? null : linkedAbort([options.signal, closeSignal]);
    const req: PreparedRequest<T> = {
      method,
      pathAndQuery,
      target,
      handle,
      abort: joined?.signal ?? closeSignal,
      deadlineMs: options.deadlineMs ?? transport.timeouts.totalMs,
    };
    const retries: RetryState = { firstStart: clock.now(), rateLimited: 0, other: 0 };
    try {
      for (let attempt = 1; ; attempt++) {
        const o = await this.attempt(req, attempt);
        const duration = clock.now() - o.started;
        this.countAttempt(o);
        const input = retryInputOf(o, () => clock.now());
        const delay = this.nextDelay(o, input, retries);
        this.writeAttempt(req, attempt, o, duration, delay);
        if (o.result !== undefined) return o.result.value;
        if (delay === null) {
          this.stats.errors += 1;
          throw o.fatal ?? finalError(target, attempt, input, o, transport.host);
        }
        await this.waitToRetry(req, attempt, o, delay);
      }
    } finally {
      joined?.dispose();
    }
  }

  /** One attempt: budget slot, request, body, within the overall deadline. */
  private async attempt<T>(req: PreparedRequest<T>, attempt: number): Promise<Outcome<T>> {
    const { clock, budget } = this.options;
    const o = newOutcome<T>(req.target, attempt, clock.now());
    let release: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let link: LinkedAbort | undefined;
    try {
      release = await budget.acquire(req.abort);
      o.started = clock.now();
      this.noteStart(o.started);
      // The caller's abort or the deadline, whichever comes first, aborts the exchange.
      const attemptAbort = linkedAbort([req.abort]);
      link = attemptAbort;
      const deadline = { aborted: false };
      // A real timer, not the injectable clock: it bounds real I/O from a real server.
      timer = setTimeout(() => {
        deadline.aborted = true;
        attemptAbort.abort();
      }, req.deadlineMs);
      timer.unref();
      await this.exchange(req, o, attemptAbort.signal, deadline);
    } catch (error) {
      if (req.abort.aborted || isAbortError(error)) throw interrupted(req.target, error);
      throw error;
    } finally {
      clearTimeout(timer);
      link?.dispose();
      release?.();
    }
    return o;
  }

  /** Send the request and read its answer into `o`; a failed exchange is noted in `o`, not thrown. */
  private async exchange<T>(
    req: PreparedRequest<T>,
    o: Outcome<T>,
    signal: AbortSignal,
    deadline: { readonly aborted: boolean },
  ): Promise<void> {
    const { transport, budget, redact } = this.options;
    let phase: AttemptPhase = 'request';
    let response: TransportResponse | undefined;
    try {
      response = await transport.send(req.method, req.pathAndQuery, this.headers, signal);
      phase = 'body';
      noteResponse(o, response, redact);
      budget.observe(response.headers);
      if (response.status >= 200 && response.status < 300) {
        o.result = { value: await req.handle(response, o.ctx) };
      } else {
        Object.assign(o, await readErrorBody(response, o.ctx, redact));
      }
    } catch (error) {
      // a handler that gave up early leaves the body unread: free the connection
      if (response !== undefined) discardBody(response.body);
      if (req.abort.aborted) throw error;
      noteAttemptError(o, error, phase, { aborted: deadline.aborted, ms: req.deadlineMs }, redact);
    }
  }

  private countAttempt<T>(o: Outcome<T>): void {
    const { status, failure } = o;
    this.stats.bytes += o.ctx.bytes;
    if (status !== null) this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
    if (status === 429) this.stats.rateLimited += 1;
    if (failure !== null) this.stats.byFailure[failure] = (this.stats.byFailure[failure] ?? 0) + 1;
  }

  /**
   * The wait before the next attempt, or null when there is none: the attempt succeeded, failed
   * for good, or the wait would end past the request's retry budget. 429s and other failures
   * back off on their own counts.
   */
  private nextDelay<T>(o: Outcome<T>, input: RetryInput, retries: RetryState): number | null {
    const { clock, random, retry } = this.options;
    const ok = o.result !== undefined;
    if (o.status === 429) retries.rateLimited += 1;
    else if (!ok) retries.other += 1;
    const classCount = o.status === 429 ? retries.rateLimited : retries.other;
    const delay = ok || o.fatal !== undefined ? null : retryDelay(classCount, input, random, retry);
    if (delay !== null && clock.now() + delay - retries.firstStart > retry.maxElapsedMs) return null;
    return delay;
  }

  /** The attempt's ledger entry (custody log input). */
  private writeAttempt<T>(
    req: PreparedRequest<T>,
    attempt: number,
    o: Outcome<T>,
    duration: number,
    delay: number | null,
  ): void {
    const { status, failure, ctx } = o;
    const ok = o.result !== undefined;
    writeLedger(this.options.ledger, {
      ts: new Date(o.started).toISOString(),
      method: req.method,
      path: req.target.path,
      query: req.target.query,
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
  }

  /** Announce the retry and wait for it; a 429 holds the whole job's budget for the wait. */
  private async waitToRetry<T>(
    req: PreparedRequest<T>,
    attempt: number,
    o: Outcome<T>,
    delay: number,
  ): Promise<void> {
    const { clock, budget, transport } = this.options;
    this.stats.retries += 1;
    this.notifyRetry({
      attempt,
      target: req.target,
      status: o.status,
      errorType: o.errorType,
      failure: o.failure,
      networkCause: o.networkCause,
      host: transport.host,
      delayMs: delay,
    });
    // A 429 means the shared budget is spent: hold every request of the job, not just this one.
    if (o.status === 429) budget.pauseUntil(clock.now() + delay);
    try {
      await clock.sleep(delay, req.abort);
    } catch (error) {
      throw interrupted(req.target, error);
    }
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
