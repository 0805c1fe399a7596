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
 * - Adaptation to `anthropic-ratelimit-requests-limit/remaining/reset`. `limit - remaining` is
 *   what the server has counted recently; we know how many of those were ours (our starts in the
 *   last 60 s), so the difference is what the customer's other integrations spend. Our pace is
 *   capped at `limit - others - low-water`, so together we stay under the limit: alone at 540 of
 *   600 nothing changes. Below the low-water mark starts are also spread out in proportion, and
 *   at zero we wait for one request's worth of replenishment (reset = fully replenished, so one
 *   request comes back every (reset - now) / (limit - remaining)).
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
  /**
   * When the next request waiting for its start time may go (epoch ms), or null when none waits.
   * Read-only: what a progress display shows as "waiting for budget until T".
   */
  waitingUntil: number | null;
  /** Why that wait is longer than pacing: a 429's retry-after, or the server's budget spent. */
  waitingFor: 'retry_after' | 'server_budget' | 'pace' | null;
}

interface ServerWindow {
  limit: number;
  remaining: number;
  /** Local epoch ms at which the server's budget is fully replenished. */
  resetAt: number;
  observedAt: number;
  /** `granted` when the observation arrived: later grants are not in `remaining` yet. */
  grantedAtObservation: number;
  inFlightAtObservation: number;
  /** Requests per minute the server counted that were not ours. */
  othersRpm: number;
}

const WINDOW_MS = 60_000;
const MIN_RPM = 6;

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
  /** Start times of our requests in the last minute (ascending). */
  private readonly recent: number[] = [];
  /** Wake times of requests sleeping until their start slot (for `snapshot`, never for timing). */
  private readonly sleepers: number[] = [];

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
        if (wait > 0) {
          // noted while it lasts, so `snapshot` can say what the run waits for (timing unchanged)
          this.sleepers.push(slot);
          try {
            await this.clock.sleep(wait, signal);
          } finally {
            this.sleepers.splice(this.sleepers.indexOf(slot), 1);
          }
        } else signal?.throwIfAborted();
        // A 429 or an exhausted server window may have moved the goalposts while we slept.
        if (this.clock.now() >= this.blockedUntil()) break;
      }
    } catch (error) {
      this.releaseInFlight();
      throw error;
    }
    this.granted += 1;
    this.recent.push(this.clock.now());
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.releaseInFlight();
    };
  }

  /** Feed the rate-limit headers of any response (success or error) back into the pacing. */
  observe(headers: HeaderBag): void {
    const remaining = Number(headerValue(headers, 'anthropic-ratelimit-requests-remaining') ?? NaN);
    if (!Number.isFinite(remaining) || remaining < 0) return;
    const limitHeader = Number(headerValue(headers, 'anthropic-ratelimit-requests-limit') ?? NaN);
    const limit =
      Number.isFinite(limitHeader) && limitHeader > 0
        ? limitHeader
        : Math.max(remaining, this.requestsPerMinute);
    // Measure the time to reset on the server's own clock (its Date header) so clock skew does not
    // distort it; fall back to ours, and to a steady one-minute refill when the value is unusable.
    const now = this.clock.now();
    const resetServer = Date.parse(headerValue(headers, 'anthropic-ratelimit-requests-reset') ?? '');
    const serverNow = Date.parse(headerValue(headers, 'date') ?? '');
    let untilReset = resetServer - (Number.isNaN(serverNow) ? now : serverNow);
    if (Number.isNaN(untilReset) || untilReset < 0 || untilReset > 2 * WINDOW_MS) {
      untilReset = (WINDOW_MS * Math.max(0, limit - remaining)) / limit;
    }
    const ours = this.oursInLastMinute(now);
    this.window = {
      othersRpm: Math.max(0, limit - remaining - ours),
      limit,
      remaining,
      resetAt: now + untilReset,
      observedAt: now,
      grantedAtObservation: this.granted,
      inFlightAtObservation: Math.max(0, this.inFlight - 1),
    };
  }

  /** Hold every request not yet started until `epochMs` (after a 429: the shared budget is spent). */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  snapshot(): RateBudgetSnapshot {
    const now = this.clock.now();
    const wake = this.sleepers.length > 0 ? Math.min(...this.sleepers) : null;
    const waitingUntil = wake !== null && wake > now ? wake : null;
    let waitingFor: RateBudgetSnapshot['waitingFor'] = null;
    if (waitingUntil !== null) {
      if (this.pausedUntil > now) waitingFor = 'retry_after';
      else if (this.window !== null && now < this.window.resetAt && this.available(this.window) <= 0)
        waitingFor = 'server_budget';
      else waitingFor = 'pace';
    }
    return {
      requestsPerMinute: this.requestsPerMinute,
      maxInFlight: this.maxInFlight,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
      granted: this.granted,
      pausedUntil: this.pausedUntil > this.clock.now() ? this.pausedUntil : null,
      serverRemaining: this.window?.remaining ?? null,
      serverResetAt: this.window?.resetAt ?? null,
      waitingUntil,
      waitingFor,
    };
  }

  /** The earliest time any request may start, given pauses and an exhausted server budget. */
  private blockedUntil(): number {
    let until = this.pausedUntil;
    const w = this.window;
    if (w !== null && this.available(w) <= 0) {
      // the moment one request's worth has come back
      const shortBy = 1 - (w.remaining - w.inFlightAtObservation - (this.granted - w.grantedAtObservation));
      until = Math.max(until, w.observedAt + shortBy * this.refillMs(w));
    }
    return until;
  }

  /**
   * Requests the server will take now: what it said remained, plus what it has replenished since,
   * minus ours it had not counted when it said so.
   */
  private available(w: ServerWindow): number {
    const replenished = Math.floor((this.clock.now() - w.observedAt) / this.refillMs(w));
    return w.remaining + replenished - w.inFlightAtObservation - (this.granted - w.grantedAtObservation);
  }

  /** Time for the server to replenish one request, as of the observation. */
  private refillMs(w: ServerWindow): number {
    const missing = w.limit - w.remaining;
    return missing > 0 ? (w.resetAt - w.observedAt) / missing : WINDOW_MS / w.limit;
  }

  private oursInLastMinute(now: number): number {
    while (this.recent.length > 0 && (this.recent[0] ?? now) <= now - WINDOW_MS) this.recent.shift();
    return this.recent.length;
  }

  /** Below this many spare requests on the server we start slowing down. */
  private lowWater(w: ServerWindow): number {
    return Math.max(2 * this.maxInFlight, Math.ceil(0.05 * w.limit));
  }

  private reserveSlot(): number {
    const now = this.clock.now();
    let interval = this.intervalMs;
    const w = this.window;
    if (w !== null && now >= w.resetAt) {
      this.window = null; // fully replenished since: the observation says nothing any more
    } else if (w !== null) {
      const available = this.available(w);
      const low = this.lowWater(w);
      // leave the others their share of the limit (never below one request per 10 s)
      const share = Math.max(MIN_RPM, w.limit - low - w.othersRpm);
      interval = Math.max(interval, WINDOW_MS / share);
      if (available > 0 && available < low)
        interval = Math.max(interval, (this.refillMs(w) * low) / available);
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
