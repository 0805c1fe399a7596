import { describe, expect, it } from 'vitest';
import { createVirtualClock, RateBudget } from '../../src/api/index.js';

async function grantTimes(budget: RateBudget, clock: { now(): number }, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const release = await budget.acquire();
    times.push(clock.now());
    release();
  }
  return times;
}

describe('RateBudget', () => {
  it('paces starts smoothly at the configured rate: 540 grants take a minute', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, maxInFlight: 8, clock });
    const t0 = clock.now();
    const times = await grantTimes(budget, clock, 541);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeCloseTo(60_000 / 540, 2);
    expect(times[540]! - t0).toBeCloseTo(60_000, 0);
  });

  it('earns no burst credit while idle', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 600, clock });
    await grantTimes(budget, clock, 2);
    clock.advance(30_000); // half a minute idle
    const times = await grantTimes(budget, clock, 5);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([100, 100, 100, 100]);
  });

  it('caps requests in flight and hands slots over in FIFO order', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 1e9, maxInFlight: 2, clock });
    const order: number[] = [];
    const r1 = await budget.acquire();
    const r2 = await budget.acquire();
    const p3 = budget.acquire().then((r) => (order.push(3), r));
    const p4 = budget.acquire().then((r) => (order.push(4), r));
    await new Promise((r) => setImmediate(r));
    expect(budget.snapshot()).toMatchObject({ inFlight: 2, waiting: 2 });
    expect(order).toEqual([]);
    r1();
    r1(); // double release is a no-op
    const r3 = await p3;
    expect(order).toEqual([3]);
    expect(budget.snapshot()).toMatchObject({ inFlight: 2, waiting: 1 });
    r2();
    (await p4)();
    r3();
    expect(budget.snapshot()).toMatchObject({ inFlight: 0, waiting: 0, granted: 4 });
  });

  it('holds every new request after pauseUntil (a 429)', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 600, clock });
    const t0 = clock.now();
    budget.pauseUntil(t0 + 25_000);
    const times = await grantTimes(budget, clock, 2);
    expect(times[0]! - t0).toBe(25_000);
    expect(times[1]! - t0).toBe(25_100);
  });

  it('spreads the server-reported remaining requests over the time to reset', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, maxInFlight: 1, clock });
    const reset = new Date(clock.now() + 60_000).toISOString();
    // someone else spent most of the shared budget: 11 left for the next 60 s
    budget.observe({
      'anthropic-ratelimit-requests-remaining': '11',
      'anthropic-ratelimit-requests-reset': reset,
    });
    const times = await grantTimes(budget, clock, 3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(5_400);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(5_400);
  });

  it('waits for the reset when the server has nothing left', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, clock });
    const t0 = clock.now();
    budget.observe({
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': new Date(t0 + 12_000).toISOString(),
    });
    const times = await grantTimes(budget, clock, 1);
    expect(times[0]! - t0).toBe(12_000);
  });

  it('measures time-to-reset on the server clock (Date header), not ours', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, clock });
    const t0 = clock.now();
    const serverNow = t0 + 3_600_000; // server clock an hour ahead
    budget.observe({
      date: new Date(serverNow).toUTCString(),
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': new Date(serverNow + 10_000).toISOString(),
    });
    const times = await grantTimes(budget, clock, 1);
    expect(times[0]! - t0).toBe(10_000);
  });

  it('does not slow down a sole user at full pace in a fixed window', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, maxInFlight: 1, clock });
    const windowEnd = clock.now() + 60_000;
    const times: number[] = [];
    let used = 0;
    for (let i = 0; i < 540; i++) {
      const release = await budget.acquire();
      times.push(clock.now());
      used++;
      budget.observe({
        'anthropic-ratelimit-requests-remaining': String(600 - used),
        'anthropic-ratelimit-requests-reset': new Date(windowEnd).toISOString(),
      });
      release();
    }
    expect(times[539]! - times[0]!).toBeLessThanOrEqual(60_000);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new RateBudget({ requestsPerMinute: 0 })).toThrow(RangeError);
    expect(() => new RateBudget({ maxInFlight: 0 })).toThrow(RangeError);
  });

  it('aborts a waiting acquire', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 600, maxInFlight: 1, clock });
    const r1 = await budget.acquire();
    const ac = new AbortController();
    const p = budget.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    r1();
    expect(budget.snapshot()).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});
