/**
 * Per-parent-org request budget (§5.8): `rpm` requests in any sliding 60 s window, shared by every
 * key. A sliding log (not a fixed window) so a client cannot burst 2×rpm across a window edge.
 *
 * Header semantics chosen here (the docs only say "an RFC 3339 time"):
 * - `remaining`: slots left in the current 60 s window after this request.
 * - `reset`: when the budget is fully replenished (newest counted request + 60 s; now when idle).
 * - 429 `retry-after`: whole seconds until the oldest counted request leaves the window, i.e.
 *   when the next request can succeed (≥ 1).
 */

export const WINDOW_MS = 60_000;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
  retryAfterSeconds: number;
}

export class SlidingWindowLimiter {
  private readonly times: Float64Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly rpm: number,
    private readonly now: () => number,
  ) {
    this.times = new Float64Array(Math.max(1, rpm));
  }

  get enabled(): boolean {
    return this.rpm > 0;
  }

  private expire(t: number): void {
    while (this.count > 0 && (this.times[this.head] ?? 0) <= t - WINDOW_MS) {
      this.head = (this.head + 1) % this.times.length;
      this.count--;
    }
  }

  /** Count one request if the window has room. */
  take(): RateDecision {
    const t = this.now();
    this.expire(t);
    if (this.count >= this.rpm) {
      const oldest = this.times[this.head] ?? t;
      return {
        allowed: false,
        limit: this.rpm,
        remaining: 0,
        resetAt: this.newest() + WINDOW_MS,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + WINDOW_MS - t) / 1000)),
      };
    }
    this.times[(this.head + this.count) % this.times.length] = t;
    this.count++;
    return {
      allowed: true,
      limit: this.rpm,
      remaining: this.rpm - this.count,
      resetAt: t + WINDOW_MS,
      retryAfterSeconds: 0,
    };
  }

  private newest(): number {
    return this.times[(this.head + this.count - 1) % this.times.length] ?? this.now();
  }
}
