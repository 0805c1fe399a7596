import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the client sees it. Everything that waits (retry backoff, rate pacing, 429 pauses) goes
 * through a Clock, so tests inject a virtual one and never sleep through real backoff.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolve after `ms`; reject with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (ms <= 0) {
      signal?.throwIfAborted();
      return;
    }
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  },
};

/**
 * A virtual clock for tests: `sleep` advances time instantly and records each wait, so a test can
 * assert exactly how long the client would have waited.
 */
export interface VirtualClock extends Clock {
  readonly sleeps: number[];
  advance(ms: number): void;
}

export function createVirtualClock(start = Date.UTC(2026, 10, 22, 12, 0, 0)): VirtualClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      if (ms > 0) now += ms;
      // Yield a macrotask so concurrent callers interleave as they would with real timers.
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    },
  };
}
