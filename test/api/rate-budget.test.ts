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

  it('slows down in proportion when the shared budget runs low (someone else spends it)', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, maxInFlight: 1, clock });
    const observe = (remaining: number): void =>
      budget.observe({
        'anthropic-ratelimit-requests-limit': '600',
        'anthropic-ratelimit-requests-remaining': String(remaining),
        'anthropic-ratelimit-requests-reset': new Date(clock.now() + 60_000).toISOString(),
      });
    observe(590); // plenty: our own pace
    const [a, b] = await grantTimes(budget, clock, 2);
    expect(b! - a!).toBeCloseTo(111.1, 0);
    observe(10); // low water is 30: spread out 3x
    const [c, d] = await grantTimes(budget, clock, 2);
    expect(d! - c!).toBeGreaterThan(250);
    observe(3);
    const [e, f] = await grantTimes(budget, clock, 2);
    expect(f! - e!).toBeGreaterThan(900);
  });

  it('waits for one request of replenishment when the server has nothing left', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, clock });
    const t0 = clock.now();
    budget.observe({
      'anthropic-ratelimit-requests-limit': '600',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': new Date(t0 + 12_000).toISOString(),
    });
    const times = await grantTimes(budget, clock, 1);
    expect(times[0]! - t0).toBe(20); // 12 s to replenish 600
  });

  it('measures time-to-reset on the server clock (Date header), not ours', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, clock });
    const t0 = clock.now();
    const serverNow = t0 + 3_600_000; // server clock an hour ahead
    budget.observe({
      date: new Date(serverNow).toUTCString(),
      'anthropic-ratelimit-requests-limit': '600',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': new Date(serverNow + 30_000).toISOString(),
    });
    const times = await grantTimes(budget, clock, 1);
    expect(times[0]! - t0).toBe(50);
  });

  /** A sliding-window server like the sandbox's: rpm per any 60 s, reset = fully replenished. */
  function slidingServer(limit: number) {
    const log: number[] = [];
    return {
      log,
      take(now: number): Record<string, string> {
        while (log.length > 0 && log[0]! <= now - 60_000) log.shift();
        const allowed = log.length < limit;
        if (allowed) log.push(now);
        return {
          allowed: String(allowed),
          'anthropic-ratelimit-requests-limit': String(limit),
          'anthropic-ratelimit-requests-remaining': String(limit - log.length),
          'anthropic-ratelimit-requests-reset': new Date((log.at(-1) ?? now) + 60_000).toISOString(),
        };
      },
    };
  }

  it('keeps full pace alone under a 600 rpm sliding window, without a 429', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, maxInFlight: 1, clock });
    const server = slidingServer(600);
    const t0 = clock.now();
    let rejected = 0;
    while (clock.now() - t0 < 120_000) {
      const release = await budget.acquire();
      const h = server.take(clock.now());
      if (h.allowed === 'false') rejected++;
      budget.observe(h);
      release();
    }
    expect(rejected).toBe(0);
    expect(budget.snapshot().granted).toBeGreaterThanOrEqual(1075); // 540/min for 2 min
  });

  it('yields to another consumer of the shared budget without tripping the limit', async () => {
    const clock = createVirtualClock();
    const budget = new RateBudget({ requestsPerMinute: 540, maxInFlight: 1, clock });
    const server = slidingServer(600);
    const t0 = clock.now();
    let nextOther = t0;
    let rejected = 0;
    let ours = 0;
    while (clock.now() - t0 < 180_000) {
      const release = await budget.acquire();
      // another integration polling at 240 rpm on the same parent
      while (nextOther <= clock.now()) {
        server.take(nextOther);
        nextOther += 250;
      }
      const h = server.take(clock.now());
      if (h.allowed === 'false') {
        rejected++;
        budget.pauseUntil(server.log[0]! + 60_000); // what the executor does with retry-after
      } else ours++;
      budget.observe(h);
      release();
    }
    expect(rejected).toBeLessThanOrEqual(3); // only while the first minute's estimate is still building
    expect(ours / 3).toBeGreaterThan(300); // most of the 360 rpm left over
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
  it('says, read only, until when a waiting request is held and why, and still starts it on time', async () => {
    const clock = createVirtualClock();
    const snapshots: ReturnType<RateBudget['snapshot']>[] = [];
    const watching = {
      now: () => clock.now(),
      sleep: (ms: number, signal?: AbortSignal) => {
        snapshots.push(budget.snapshot());
        return clock.sleep(ms, signal);
      },
    };
    const budget = new RateBudget({ requestsPerMinute: 600, clock: watching });
    const start = clock.now();
    budget.pauseUntil(start + 5_000); // a 429's retry-after
    expect(budget.snapshot()).toMatchObject({ waitingUntil: null, waitingFor: null });
    (await budget.acquire())();
    expect(snapshots).toEqual([
      expect.objectContaining({ waitingUntil: start + 5_000, waitingFor: 'retry_after' }),
    ]);
    expect(clock.now() - start).toBe(5_000);
    expect(budget.snapshot()).toMatchObject({ waitingUntil: null, waitingFor: null });
    (await budget.acquire())(); // the next slot, 100 ms on: plain pacing
    expect(snapshots[1]).toMatchObject({ waitingUntil: start + 5_100, waitingFor: 'pace' });
  });
});
