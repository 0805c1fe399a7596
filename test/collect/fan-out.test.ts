import { describe, expect, it } from 'vitest';
import { forEachBounded, mapBounded } from '../../src/collect/fan-out.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('mapBounded', () => {
  it('keeps at most N in flight and pulls the source only when there is room', async () => {
    let pulled = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    async function* source() {
      for (let i = 0; i < 200; i += 1) {
        pulled += 1;
        yield i;
      }
    }
    const seen: number[] = [];
    let maxAhead = 0;
    for await (const v of mapBounded(
      source(),
      async (i) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tick();
        inFlight -= 1;
        return i * 2;
      },
      { concurrency: 4, readAhead: 6 },
    )) {
      maxAhead = Math.max(maxAhead, pulled - seen.length - 1);
      seen.push(v);
      // A slow consumer: the source must not run ahead while we wait.
      await tick();
      await tick();
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i * 2));
    expect(maxInFlight).toBe(4);
    expect(maxAhead).toBeLessThanOrEqual(6);
  });

  it('stops pulling on the first error and rethrows it after in-flight calls end', async () => {
    let pulled = 0;
    let finished = 0;
    const source = {
      *[Symbol.iterator]() {
        for (let i = 0; i < 1000; i += 1) {
          pulled += 1;
          yield i;
        }
      },
    };
    await expect(
      forEachBounded(
        source,
        async (i) => {
          await tick();
          if (i === 5) throw new Error('boom');
          finished += 1;
        },
        { concurrency: 3 },
      ),
    ).rejects.toThrow('boom');
    expect(pulled).toBeLessThan(20);
    expect(finished).toBeLessThan(20);
  });

  it('closes the source when the consumer breaks early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i += 1) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const v of mapBounded(source(), async (i) => i, { concurrency: 2 })) {
      if (v >= 3) break;
    }
    expect(closed).toBe(true);
  });
});
