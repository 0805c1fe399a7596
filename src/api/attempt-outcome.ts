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
import { headerValue, type HeaderBag } from './headers.js';
import type { Redactor } from './redact.js';
import { isRetryable, type RetryInput } from './retry-timing.js';
import { classifyTransportError, isAbortError, networkCauseOf, type TransportResponse } from './transport.js';

/**
 * What one attempt of the executor (request-executor.ts) came to, and the error a request that
 * failed for good ends with. Every string kept here has been through the client's redactor.
 */
export interface Outcome<T> {
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

/** An attempt that has not got anywhere yet. */
export function newOutcome<T>(target: RequestTarget, attempt: number, started: number): Outcome<T> {
  return {
    ctx: { target, attempt, status: 0, headers: {}, requestId: null, bytes: 0 },
    started,
    status: null,
    failure: null,
    networkCause: null,
    errorType: null,
    detailCode: null,
    serverMessage: null,
  };
}

/** The response's status, redacted headers and request id, for the handler, ledger and errors. */
export function noteResponse<T>(o: Outcome<T>, response: TransportResponse, redact: Redactor): void {
  o.status = response.status;
  o.ctx.status = response.status;
  o.ctx.headers = redactHeaders(response.headers, redact);
  o.ctx.requestId = headerValue(o.ctx.headers, 'request-id') ?? null;
}

/** Where an attempt's exchange stopped, for naming a transport failure. */
export type AttemptPhase = 'request' | 'body';

/**
 * Note why an attempt's exchange failed: the handler's own verdict (an ExportError: final), the
 * overall deadline, a failure the handler named, or a transport error. A bare abort is rethrown.
 */
export function noteAttemptError<T>(
  o: Outcome<T>,
  error: unknown,
  phase: AttemptPhase,
  deadline: { readonly aborted: boolean; readonly ms: number },
  redact: Redactor,
): void {
  o.cause = error;
  if (error instanceof ExportError) {
    // The handler's own verdict (a sink that failed, a body that cannot be re-read): final.
    o.fatal = error;
    o.failure = error instanceof ApiError ? error.failure : null;
  } else if (deadline.aborted) {
    o.failure = 'timeout';
    o.serverMessage = `no complete response within the overall deadline of ${deadline.ms} ms`;
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

/** The retry decision's input: the failure kind, or the status and headers of the answer. */
export function retryInputOf<T>(o: Outcome<T>, now: () => number): RetryInput {
  return o.failure !== null
    ? { failure: o.failure, cause: o.networkCause }
    : { status: o.status ?? 0, headers: o.ctx.headers, nowMs: now() };
}

/** The request was interrupted (the caller's signal or the client's close). */
export function interrupted(target: RequestTarget, cause: unknown): ExportError {
  return new ExportError('interrupted', `${describeTarget(target)}: interrupted`, { cause });
}

/** The error a request ends with after its last attempt, `host` naming the API on a transport failure. */
export function finalError<T>(
  target: RequestTarget,
  attempts: number,
  input: RetryInput,
  o: Outcome<T>,
  host: string,
): ApiError {
  const { status, failure } = o;
  const exhausted = isRetryable(input) && failure === null;
  // §5.5: "Local sessions are not available." is a 404 that a later run may get past
  const retryable = isRetryable(input) || (status === 404 && /not available/i.test(o.serverMessage ?? ''));
  const code =
    failure !== null ? codeForFailure(failure) : exhausted ? 'retries_exhausted' : codeForStatus(status ?? 0);
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
      host: o.networkCause === null ? null : host,
    },
    { cause: o.cause, retryable },
  );
}

/** Every header value through the redactor: request ids, filenames and types end up in results and errors. */
function redactHeaders(headers: HeaderBag, redact: Redactor): HeaderBag {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = Array.isArray(value) ? value.map(redact) : value === undefined ? undefined : redact(value);
  }
  return out;
}
