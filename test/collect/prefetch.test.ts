import { describe, expect, it } from 'vitest';
import type { Page } from '../../src/api/index.js';
import { forEachBounded, prefetchOne } from '../../src/collect/fan-out.js';
import { trackedItems, type WalkCheckpoint } from '../../src/collect/walk-checkpoint.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A source whose elements each need an explicit `release`, recording what was requested when. */
function gatedSource(n: number, failAt = -1) {
  const requested: number[] = [];
  const gates: (() => void)[] = [];
  let closed = false;
  async function* source() {
    try {
      for (let i = 0; i < n; i += 1) {
        requested.push(i);
        await new Promise<void>((r) => gates.push(r));
        if (i === failAt) throw new Error(`page ${i} failed`);
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return {
    source: source(),
    requested,
    release: () => gates.shift()?.(),
    get closed() {
      return closed;
    },
  };
}

describe('prefetchOne', () => {
  it('requests the next element while the consumer works on the current one, never two ahead', async () => {
    const s = gatedSource(4);
    const it = prefetchOne(s.source);
    const first = it.next();
    await tick();
    expect(s.requested).toEqual([0]);
    s.release();
    expect(await first).toEqual({ value: 0, done: false });
    await tick();
    // Element 1 is on its way while element 0 is being worked on; element 2 is not.
    expect(s.requested).toEqual([0, 1]);
    await tick();
    expect(s.requested).toEqual([0, 1]);
    s.release();
    await tick();
    expect(s.requested).toEqual([0, 1]);
    expect(await it.next()).toEqual({ value: 1, done: false });
    await tick();
    expect(s.requested).toEqual([0, 1, 2]);
    s.release();
    expect(await it.next()).toEqual({ value: 2, done: false });
    s.release();
    expect(await it.next()).toEqual({ value: 3, done: false });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('surfaces a failed prefetch only when that element is asked for', async () => {
    const s = gatedSource(4, 1);
    const it = prefetchOne(s.source);
    const first = it.next();
    await tick();
    s.release();
    expect(await first).toEqual({ value: 0, done: false });
    await tick();
    s.release(); // element 1 fails while the consumer still holds element 0
    await tick();
    await expect(it.next()).rejects.toThrow('page 1 failed');
  });

  it('closes the source after the pending prefetch when the consumer stops early', async () => {
    const s = gatedSource(10);
    const it = prefetchOne(s.source);
    const first = it.next();
    await tick();
    s.release();
    await first;
    await tick();
    const closing = it.return(undefined);
    await tick();
    expect(s.closed).toBe(false); // waits for the request in flight
    s.release();
    await closing;
    expect(s.closed).toBe(true);
    expect(s.requested).toEqual([0, 1]);
  });
});

describe('trackedItems read-ahead', () => {
  function page(index: number, items: string[], resumeCursor: string, done = false): Page<string> {
    return {
      scheme: 'cursor',
      endpoint: '/x',
      query: '',
      requestId: null,
      fetchedAt: '',
      index,
      cursor: null,
      resumeCursor,
      done,
      items,
      rawItems: items.map((i) => JSON.stringify(i)),
      envelope: {},
    };
  }

  it('hands out no item of a page until the store says its journal can take more', async () => {
    async function* pages(): AsyncGenerator<Page<string>> {
      yield page(0, ['0a', '0b'], 'c0', true);
    }
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const cp = {
      ready: () => gate,
      open: (p: Page<unknown>) => p.items.map(() => () => undefined),
    } as unknown as WalkCheckpoint;
    const seen: string[] = [];
    const done = (async () => {
      for await (const w of trackedItems(pages(), cp)) seen.push(w.item);
    })();
    for (let i = 0; i < 5; i += 1) await tick();
    expect(seen).toEqual([]);
    release();
    await done;
    expect(seen).toEqual(['0a', '0b']);
  });

  it('fetches page N+1 while page N is processed, checkpoints only past stored pages', async () => {
    const fetched: number[] = [];
    const log: string[] = [];
    async function* pages() {
      for (let i = 0; i < 3; i += 1) {
        fetched.push(i);
        log.push(`fetch ${i}`);
        await tick();
        yield page(i, [`${i}a`, `${i}b`], `c${i}`, i === 2);
      }
    }
    const checkpoints: (string | null)[] = [];
    const cp = {
      ready: () => Promise.resolve(),
      open: (p: Page<unknown>) =>
        p.items.map((_, j) => () => {
          if (j === p.items.length - 1) checkpoints.push(p.resumeCursor);
        }),
    } as unknown as WalkCheckpoint;
    let maxAhead = 0;
    await forEachBounded(
      trackedItems(pages(), cp),
      async (w) => {
        log.push(`item ${w.item}`);
        const current = w.page.index;
        // Never more than one page beyond the one being processed.
        maxAhead = Math.max(maxAhead, fetched.length - 1 - current);
        await tick();
        await tick();
        await tick();
        w.finish();
      },
      { concurrency: 1, readAhead: 1 },
    );
    expect(maxAhead).toBe(1);
    // Page 1 was requested before page 0's items were done.
    expect(log.indexOf('fetch 1')).toBeLessThan(log.indexOf('item 0b'));
    expect(checkpoints).toEqual(['c0', 'c1', 'c2']);
  });
});
