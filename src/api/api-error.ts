import { ExportError, type ErrorCode } from '../errors.js';

/** Where a request went: enough to name it in a message, a ledger line or a journal record. */
export interface RequestTarget {
  method: string;
  /** Path including the `/v1/compliance/...` prefix, without the query. */
  path: string;
  /** Serialized query string without `?`, secrets redacted ('' when none). */
  query: string;
}

export function describeTarget(target: RequestTarget): string {
  return `${target.method} ${target.path}${target.query === '' ? '' : `?${target.query}`}`;
}

/**
 * Why an attempt failed before or without an HTTP status. `too_large`: a body passed its cap
 * (body-readers.ts); never retried, the same server would send the same body again.
 */
export type FailureKind = 'timeout' | 'network' | 'truncated' | 'checksum' | 'invalid_response' | 'too_large';

export interface ApiErrorDetails {
  target: RequestTarget;
  status: number | null;
  /** `error.type` from the body (`rate_limit_error`, `not_found_error`, ...), when there was one. */
  errorType: string | null;
  /** `error.details.error_code` (Code Artifacts: `multi_file_unavailable`, ...). */
  detailCode: string | null;
  requestId: string | null;
  attempts: number;
  failure: FailureKind | null;
  /** The server's `error.message`, secrets already redacted. */
  serverMessage: string | null;
  /** The system or undici error code of a transport failure (`ECONNREFUSED`, `ENOTFOUND`, ...). */
  networkCause?: string | null;
  /** `host:port` the request went to, named with a transport failure. */
  host?: string | null;
}

/**
 * An API or transport failure. Callers branch on `code`, `status` and `errorType` (compliance-api.md
 * §5.1: match on status plus error.type), never on the message. The message names the method, path
 * and query, status, error type and request-id, and never the key (redacted at the source).
 */
export class ApiError extends ExportError {
  readonly target: RequestTarget;
  readonly status: number | null;
  readonly errorType: string | null;
  readonly detailCode: string | null;
  readonly requestId: string | null;
  readonly attempts: number;
  readonly failure: FailureKind | null;
  readonly networkCause: string | null;
  readonly host: string | null;

  constructor(
    code: ErrorCode,
    details: ApiErrorDetails,
    options: { cause?: unknown; retryable?: boolean; note?: string } = {},
  ) {
    super(code, formatApiErrorMessage(details, options.note), options);
    this.name = 'ApiError';
    this.target = details.target;
    this.status = details.status;
    this.errorType = details.errorType;
    this.detailCode = details.detailCode;
    this.requestId = details.requestId;
    this.attempts = details.attempts;
    this.failure = details.failure;
    this.networkCause = details.networkCause ?? null;
    this.host = details.host ?? null;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

function formatApiErrorMessage(d: ApiErrorDetails, note: string | undefined): string {
  const parts: string[] = [];
  if (d.status !== null) parts.push(String(d.status));
  if (d.errorType !== null) parts.push(d.errorType);
  if (d.detailCode !== null) parts.push(`(${d.detailCode})`);
  if (d.failure !== null) parts.push(d.failure);
  if (d.networkCause != null) {
    const meaning = causeMeaning(d.networkCause);
    parts.push(
      `(${d.networkCause}${d.host == null ? '' : ` ${d.host}`}${meaning === null ? '' : `: ${meaning}`})`,
    );
  }
  let message = `${describeTarget(d.target)}: ${parts.join(' ') || 'failed'}`;
  if (d.serverMessage !== null && d.serverMessage !== '') message += `: ${d.serverMessage}`;
  if (note !== undefined) message += `: ${note}`;
  message += ` (request-id ${d.requestId ?? 'none'}`;
  if (d.attempts > 1) message += `, after ${d.attempts} attempts`;
  return `${message})`;
}

/** The error code for a final HTTP status (HOUSE-STYLE §4; compliance-api.md §5.3-5.9). */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'api_key_rejected';
  if (status === 403) return 'scope_missing';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  return 'api_error';
}

export function codeForFailure(failure: FailureKind): ErrorCode {
  switch (failure) {
    case 'timeout':
      return 'timeout';
    case 'network':
      return 'network_error';
    case 'truncated':
      return 'body_truncated';
    case 'checksum':
      return 'checksum_mismatch';
    case 'invalid_response':
      return 'invalid_response';
    case 'too_large':
      return 'response_too_large';
  }
}

/** What an operator should read into the commonest transport causes. */
function causeMeaning(cause: string): string | null {
  if (cause === 'ENOTFOUND' || cause === 'EAI_NONAME' || cause === 'EAI_FAIL')
    return 'unknown host, check source.base_url';
  if (cause === 'EAI_AGAIN') return 'DNS lookup failed for now';
  if (cause === 'ECONNREFUSED') return 'nothing listens there';
  if (cause === 'ECONNRESET') return 'connection reset by the peer';
  if (cause === 'ETIMEDOUT') return 'no answer in time';
  if (/CERT|SELF_SIGNED|TLS|SSL/u.test(cause)) return 'TLS certificate not trusted';
  return null;
}
