import type { FailureKind } from './api-error.js';
import { headerValue, type HeaderBag } from './headers.js';

/**
 * Retry timing as a pure function (HOUSE-STYLE §6; compliance-api.md §5.8-5.10). No I/O, no clock:
 * the caller passes the attempt number, what happened, a random source and (for HTTP-date
 * `retry-after` values) the current time.
 */
export interface RetryPolicy {
  /** Attempts per request that may end in a failure other than 429, the first included. */
  maxAttempts: number;
  /**
   * 429s per request before giving up. Counted apart from other failures: a 429 is flow control
   * on a budget shared with the customer's other tools, not a fault, so a busy hour must not
   * exhaust the retries meant for a broken server.
   */
  maxRateLimitedAttempts: number;
  /** Give up when the next wait would end more than this long after the first attempt started. */
  maxElapsedMs: number;
  /** First exponential delay (doubling from here). */
  baseDelayMs: number;
  /** Cap of the exponential delay. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  maxRateLimitedAttempts: 50,
  maxElapsedMs: 30 * 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
};

/** What one failed attempt looked like: an HTTP response, or a failure without one. */
export interface RetryInput {
  status?: number;
  headers?: HeaderBag;
  failure?: FailureKind;
  /** The system error code behind a `network` failure (`ECONNREFUSED`, `ENOTFOUND`, ...). */
  cause?: string | null;
  /**
   * Epoch ms, used only to turn an HTTP-date `retry-after` into a delay when the response has no
   * usable `date` header (the server's own clock is preferred: ours may be skewed).
   */
  nowMs?: number;
}

/** Statuses retried with exponential backoff (§5.9, §5.10), unless the response says x-should-retry: false. */
const BACKOFF_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504, 529]);
/**
 * Statuses never retried even when the server says `x-should-retry: true`: they are verdicts on
 * the key (401 rejected, 403 scope missing) or on the item (404 gone, 422 unusable content),
 * which the pipeline records as exception rows or preflight failures; another attempt with the
 * same key and id cannot change them, and retrying them would only delay those rows (§5.3-5.7).
 */
const FINAL_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 422]);
/** Failures without a usable response that a fresh attempt may cure. */
const RETRIED_FAILURES: ReadonlySet<FailureKind> = new Set(['timeout', 'network', 'truncated', 'checksum']);

/**
 * Network causes another attempt cannot cure: a host name that does not resolve, and a TLS
 * certificate that does not verify (expired, self-signed, wrong name, unknown issuer). Retrying
 * them only hides a configuration error behind minutes of backoff.
 */
function isFinalNetworkCause(cause: string | null | undefined): boolean {
  if (cause === null || cause === undefined) return false;
  return (
    cause === 'ENOTFOUND' ||
    cause === 'EAI_NONAME' ||
    cause === 'EAI_FAIL' ||
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(cause)
  );
}

/** Whether the rules of §5.10 allow another attempt at all (ignoring attempt and time bounds). */
export function isRetryable(input: RetryInput): boolean {
  if (input.failure !== undefined) {
    if (input.failure === 'network' && isFinalNetworkCause(input.cause)) return false;
    return RETRIED_FAILURES.has(input.failure);
  }
  const status = input.status;
  if (status === undefined) return false;
  if (status === 429) return true;
  const shouldRetry = headerValue(input.headers, 'x-should-retry')?.trim().toLowerCase();
  // The server says another attempt will fail the same way: a deterministic 500 (§5.9), and the
  // local-sessions 503 "cannot currently evaluate retention overrides" that can persist and is
  // to be skipped and come back to on a later run (§5.9). Honoured on any status but 429.
  if (shouldRetry === 'false') return false;
  // The server marks this failure transient (the Anthropic API's own retry hint): a 409 or 400
  // with it is retried like a 503, with backoff, the cursor unchanged (§4.1).
  if (shouldRetry === 'true' && status >= 400 && status <= 599 && !FINAL_STATUSES.has(status)) return true;
  return BACKOFF_STATUSES.has(status);
}

/**
 * `retry-after` in milliseconds: delta-seconds (decimals tolerated) or an HTTP-date. Undefined when
 * absent or unparsable, or when it is a date and no `nowMs` was given.
 */
export function parseRetryAfter(value: string | undefined, nowMs?: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at) || nowMs === undefined) return undefined;
  return Math.max(0, at - nowMs);
}

/** Exponential backoff for the n-th failure (1-based): base·2^(n-1), capped, jittered ±25 %, kept within [base, cap]. */
export function backoffDelay(attempt: number, random: () => number, policy: RetryPolicy): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (0.75 + 0.5 * random());
  return Math.round(Math.min(policy.maxDelayMs, Math.max(policy.baseDelayMs, jittered)));
}

/**
 * How long to wait before the next attempt, or null when there must be no next attempt.
 *
 * @param attempt how many attempts of this request have failed so far in this class (429s and
 *                other failures are counted apart; 1 = the first failure)
 * @param input   its status and headers, or its failure kind
 * @param random  a source of [0, 1) for jitter (inject a constant in tests)
 *
 * - 429: wait `retry-after` (seconds, or an HTTP-date read against the response's `date`). From
 *   the second failure on, wait at least the exponential delay too: the remote-session budget
 *   always says `retry-after: 1`, which is a floor, not the reset (§5.8). Without `retry-after`,
 *   or with one that is 0 or already past, back off exponentially.
 * - 500 (unless `x-should-retry: false`), 502, 503, 504, 529, any other 4xx/5xx but 401, 403,
 *   404 and 422 that says `x-should-retry: true`, timeouts, network errors, bodies cut short and
 *   checksum mismatches: exponential 1 s → 60 s with jitter; a `retry-after` there (Code Artifact
 *   `/content` 503) is honoured as a minimum.
 * - Everything else (400, 401, 403, 404, 409, 422 without `x-should-retry: true`; 500 +
 *   `x-should-retry: false`; a body past its cap, an unknown host or a TLS certificate that does
 *   not verify): null.
 */
export function retryDelay(
  attempt: number,
  input: RetryInput,
  random: () => number = Math.random,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): number | null {
  if (attempt >= (input.status === 429 ? policy.maxRateLimitedAttempts : policy.maxAttempts)) return null;
  if (!isRetryable(input)) return null;
  // An HTTP-date is read against the response's own `date` (RFC 9110 §10.2.3), so a client clock
  // that is off by minutes neither skips the wait nor turns it into a give-up.
  const serverNow = Date.parse(headerValue(input.headers, 'date') ?? '');
  const retryAfter = parseRetryAfter(
    headerValue(input.headers, 'retry-after'),
    Number.isNaN(serverNow) ? input.nowMs : serverNow,
  );
  if (input.status === 429) {
    // No retry-after, `0`, or a date already past (the reset it names is gone, yet the budget
    // refused us): no usable guidance, so back off exponentially rather than spin (§5.8).
    if (retryAfter === undefined || retryAfter <= 0) return backoffDelay(attempt, random, policy);
    return attempt >= 2 ? Math.max(retryAfter, backoffDelay(attempt - 1, random, policy)) : retryAfter;
  }
  const backoff = backoffDelay(attempt, random, policy);
  return retryAfter === undefined ? backoff : Math.max(backoff, retryAfter);
}
