import { systemClock, type Clock } from './clock.js';
import { headerValue, type HeaderBag } from './headers.js';

/**
 * One request budget for a whole job (compliance-api.md §5.8: 600 requests/min per parent
 * organization, shared with the customer's other integrations). Every attempt of every request,
 * retries included, takes a slot here.
 *
 * - Smooth pacing: request starts are spaced 60 000 / rpm ms apart; idle time earns no credit, so
 *   the budget is never burst.
 * - A cap on requests in flight (FIFO).
 * - Adaptation: the `anthropic-ratelimit-requests-remaining/reset` headers say how many requests
 *   the server will still take before its window resets. When that is less than our pace would
 *   use (someone else is spending the shared budget), requests are spread over the time left; at
 *   zero they wait for the reset.
 * - `pauseUntil` (after a 429) holds every new request until the given time.
 */
export interface RateBudgetOptions {
  /** Default 540: 90 % of the documented 600, leaving room for the customer's other tools. */
  requestsPerMinute?: number;
  /** Default 8. */
  maxInFlight?: number;
  clock?: Clock;
}

export interface RateBudgetSnapshot {
  requestsPerMinute: number;
  maxInFlight: number;
  inFlight: number;
  waiting: number;
  granted: number;
  pausedUntil: number | null;
  serverRemaining: number | null;
  serverResetAt: number | null;
}

interface ServerWindow {
  remaining: number;
  /** Local epoch ms at which the server's window resets. */
  resetAt: number;
  /** `granted` when the observation arrived: later grants are not in `remaining` yet. */
  grantedAtObservation: number;
  inFlightAtObservation: number;
}

export type Release = () => void;

export class RateBudget {
  readonly requestsPerMinute: number;
  readonly maxInFlight: number;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private nextSlotAt = 0;
  private pausedUntil = 0;
  private inFlight = 0;
  private granted = 0;
  private readonly waiters: (() => void)[] = [];
  private window: ServerWindow | null = null;

  constructor(options: RateBudgetOptions = {}) {
    const rpm = options.requestsPerMinute ?? 540;
    const maxInFlight = options.maxInFlight ?? 8;
    if (!(Number.isFinite(rpm) && rpm > 0)) throw new RangeError(`requestsPerMinute must be > 0, got ${rpm}`);
    if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) {
      throw new RangeError(`maxInFlight must be an integer >= 1, got ${maxInFlight}`);
    }
    this.requestsPerMinute = rpm;
    this.maxInFlight = maxInFlight;
    this.clock = options.clock ?? systemClock;
    this.intervalMs = 60_000 / rpm;
  }

  /**
   * Wait for an in-flight slot and then for this request's start time. Returns the release
   * function, to be called once the response (body included) is finished. Call it exactly once.
   */
  async acquire(signal?: AbortSignal): Promise<Release> {
    await this.takeInFlightSlot(signal);
    try {
      for (;;) {
        const slot = this.reserveSlot();
        const wait = slot - this.clock.now();
        if (wait > 0) await this.clock.sleep(wait, signal);
        else signal?.throwIfAborted();
        // A 429 or an exhausted server window may have moved the goalposts while we slept.
        if (this.clock.now() >= this.blockedUntil()) break;
      }
    } catch (error) {
      this.releaseInFlight();
      throw error;
    }
    this.granted += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.releaseInFlight();
    };
  }

  /** Feed the rate-limit headers of any response (success or error) back into the pacing. */
  observe(headers: HeaderBag): void {
    const remainingText = headerValue(headers, 'anthropic-ratelimit-requests-remaining');
    const resetText = headerValue(headers, 'anthropic-ratelimit-requests-reset');
    if (remainingText === undefined || resetText === undefined) return;
    const remaining = Number(remainingText);
    const resetServer = Date.parse(resetText);
    if (!Number.isFinite(remaining) || Number.isNaN(resetServer)) return;
    // Measure the time to reset on the server's own clock (its Date header) so clock skew between
    // us and the server does not distort it; fall back to ours.
    const now = this.clock.now();
    const serverNow = Date.parse(headerValue(headers, 'date') ?? '');
    const untilReset = resetServer - (Number.isNaN(serverNow) ? now : serverNow);
    if (untilReset <= 0) return;
    this.window = {
      remaining,
      resetAt: now + untilReset,
      grantedAtObservation: this.granted,
      inFlightAtObservation: Math.max(0, this.inFlight - 1),
    };
  }

  /** Hold every request not yet started until `epochMs` (after a 429: the shared budget is spent). */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  snapshot(): RateBudgetSnapshot {
    return {
      requestsPerMinute: this.requestsPerMinute,
      maxInFlight: this.maxInFlight,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
      granted: this.granted,
      pausedUntil: this.pausedUntil > this.clock.now() ? this.pausedUntil : null,
      serverRemaining: this.window?.remaining ?? null,
      serverResetAt: this.window?.resetAt ?? null,
    };
  }

  /** The earliest time any request may start, given pauses and the server's window. */
  private blockedUntil(): number {
    let until = this.pausedUntil;
    const w = this.window;
    if (w !== null && this.clock.now() < w.resetAt && this.available(w) <= 0)
      until = Math.max(until, w.resetAt);
    return until;
  }

  /** Requests the server will still take in its current window, minus ours it has not counted yet. */
  private available(w: ServerWindow): number {
    return w.remaining - w.inFlightAtObservation - (this.granted - w.grantedAtObservation);
  }

  private reserveSlot(): number {
    const now = this.clock.now();
    let interval = this.intervalMs;
    const w = this.window;
    if (w !== null && now < w.resetAt) {
      const available = this.available(w);
      if (available > 0) interval = Math.max(interval, (w.resetAt - now) / available);
    } else if (w !== null) {
      this.window = null; // the window it described is over
    }
    const slot = Math.max(now, this.nextSlotAt, this.blockedUntil());
    this.nextSlotAt = slot + interval;
    return slot;
  }

  private async takeInFlightSlot(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.inFlight < this.maxInFlight && this.waiters.length === 0) {
      this.inFlight += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(wake);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaseInFlight(): void {
    const next = this.waiters.shift();
    if (next !== undefined)
      next(); // hand the slot over directly: inFlight stays the same
    else this.inFlight -= 1;
  }
}
