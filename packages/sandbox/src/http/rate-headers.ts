/**
 * The rate-limit headers of §5.8 and the shared budget's 429, in the documented form or in the
 * forms peers have seen (§7.3) when a quirk asks for them.
 */
import type { QuirkOptions } from '../scenario.js';
import { ApiError } from './errors.js';
import { resetTime, type RateDecision } from './rate-limiter.js';

/** The three headers every authenticated response carries. */
export function rateHeaders(d: RateDecision): Record<string, string> {
  return {
    'anthropic-ratelimit-requests-limit': String(d.limit),
    'anthropic-ratelimit-requests-remaining': String(d.remaining),
    'anthropic-ratelimit-requests-reset': resetTime(d.resetAt),
  };
}

export interface Limited {
  limit: number;
  /** When the budget is fully replenished. */
  resetAt: number;
  /** Whole seconds until the next request can succeed. */
  retryAfterSeconds: number;
  now: number;
}

/**
 * 429 `rate_limit_error` of the shared budget. Documented: `retry-after` in seconds, `remaining`
 * 0 and the reset. Quirks: `retry-after` as an HTTP-date (whole seconds, rounded up so it is
 * never early); or a reset already past with `retry-after: 0` or none at all.
 */
export function rateLimited(l: Limited, quirks: QuirkOptions): ApiError {
  const headers: Record<string, string> = {
    'anthropic-ratelimit-requests-limit': String(l.limit),
    'anthropic-ratelimit-requests-remaining': '0',
    'anthropic-ratelimit-requests-reset': resetTime(l.resetAt),
  };
  if (quirks.pastReset !== undefined) {
    headers['anthropic-ratelimit-requests-reset'] = resetTime(Math.floor(l.now / 1000) * 1000 - 1000);
    if (quirks.pastReset === 'zero') headers['retry-after'] = '0';
  } else if (quirks.retryAfterDate === true) {
    const at = Math.ceil((l.now + l.retryAfterSeconds * 1000) / 1000) * 1000;
    headers['retry-after'] = new Date(at).toUTCString();
  } else {
    headers['retry-after'] = String(l.retryAfterSeconds);
  }
  return new ApiError(
    429,
    'rate_limit_error',
    `Compliance API rate limit of ${l.limit} requests per minute per parent organization has been exceeded. Retry after the time indicated by the retry-after header. Quote the request-id response header when contacting Anthropic support.`,
    { headers },
  );
}
