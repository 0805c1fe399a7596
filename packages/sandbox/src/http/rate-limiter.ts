/**
 * Per-parent-org request budget (§5.8): `rpm` requests in any sliding 60 s window, shared by every
 * key. A sliding log (not a fixed window) so a client cannot burst 2×rpm across a window edge.
 *
 * Header semantics chosen here (the docs only say "an RFC 3339 time"):
 * - `remaining`: slots left in the current 60 s window after this request.
 * - `reset`: when the budget is fully replenished (newest counted request + 60 s; now when idle),
 *   rounded UP to the whole second: a client that waits for the stated time must find the budget
 *   replenished, never a second early.
 * - 429 `retry-after`: whole seconds until the oldest counted request leaves the window, i.e.
 *   when the next request can succeed (≥ 1).
 *
 * `rpm` 0 is "unlimited": nothing is refused, but every response still carries the headers (the
 * real API always sends them), with a limit of UNLIMITED_RPM and an honest remaining count.
 */

export const WINDOW_MS = 60_000;
/** The limit an unlimited sandbox (`rpm` 0) reports. */
export const UNLIMITED_RPM = 1_000_000;
/** First size of the request log; it doubles as needed, up to the limit. */
const INITIAL_LOG = 1024;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
  retryAfterSeconds: number;
}

export class SlidingWindowLimiter {
  /** What the headers report (UNLIMITED_RPM when `rpm` is 0). */
  readonly limit: number;
  /** Start times of the counted requests: a ring buffer of `count` entries from `head`. */
  private times: Float64Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly rpm: number,
    private readonly now: () => number,
  ) {
    this.limit = rpm > 0 ? rpm : UNLIMITED_RPM;
    this.times = new Float64Array(Math.min(this.limit, INITIAL_LOG));
  }

  /** Whether requests can be refused (false: unlimited, headers only). */
  get enforced(): boolean {
    return this.rpm > 0;
  }

  private expire(t: number): void {
    while (this.count > 0 && (this.times[this.head] ?? 0) <= t - WINDOW_MS) {
      this.head = (this.head + 1) % this.times.length;
      this.count--;
    }
  }

  /** Count one request if the window has room (an unlimited limiter always has). */
  take(): RateDecision {
    const t = this.now();
    this.expire(t);
    if (this.count >= this.limit) {
      if (!this.enforced) {
        // a million requests in a minute: forget the oldest rather than refuse
        this.head = (this.head + 1) % this.times.length;
        this.count--;
      } else {
        const oldest = this.times[this.head] ?? t;
        return {
          allowed: false,
          limit: this.limit,
          remaining: 0,
          resetAt: this.newest() + WINDOW_MS,
          retryAfterSeconds: Math.max(1, Math.ceil((oldest + WINDOW_MS - t) / 1000)),
        };
      }
    }
    if (this.count === this.times.length) this.grow();
    this.times[(this.head + this.count) % this.times.length] = t;
    this.count++;
    return {
      allowed: true,
      limit: this.limit,
      remaining: this.limit - this.count,
      resetAt: t + WINDOW_MS,
      retryAfterSeconds: 0,
    };
  }

  /** Double the log (up to the limit), oldest entry first. */
  private grow(): void {
    const bigger = new Float64Array(Math.min(this.limit, this.times.length * 2));
    for (let i = 0; i < this.count; i++) bigger[i] = this.times[(this.head + i) % this.times.length] ?? 0;
    this.times = bigger;
    this.head = 0;
  }

  private newest(): number {
    return this.times[(this.head + this.count - 1) % this.times.length] ?? this.now();
  }
}

/** An RFC 3339 time in whole seconds, rounded up (`2026-11-01T12:01:00Z`). */
export function resetTime(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
