import { describe, expect, it } from 'vitest';
import type { PassContext } from '../../src/collect/context.js';
import { runConcurrently } from '../../src/collect/quiesce.js';
import { ExportError } from '../../src/errors.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

function waitForAbort(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((_, reject) => {
    signal?.addEventListener('abort', () => reject(new ExportError('interrupted', 'stopped')), {
      once: true,
    });
  });
}

describe('runConcurrently', () => {
  it('widens the stages’ fan-out (not the read-ahead); the pass itself is never changed', async () => {
    const ctx = { signal: undefined, concurrency: 8, readAhead: 16 } as unknown as PassContext;
    const seen: [number, number][] = [];
    const stage = async (s: PassContext) => {
      seen.push([s.concurrency, s.readAhead]);
      await tick();
    };
    await runConcurrently(ctx, [stage, stage], { widen: 2 });
    expect(seen).toEqual([
      [16, 16],
      [16, 16],
    ]);
    expect([ctx.concurrency, ctx.readAhead, ctx.signal]).toEqual([8, 16, undefined]);
  });

  it('runs stages at once and returns when all are done', async () => {
    const ctx = { signal: undefined } as unknown as PassContext;
    let running = 0;
    let maxRunning = 0;
    const stage = async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await tick();
      await tick();
      running -= 1;
    };
    await runConcurrently(ctx, [stage, stage, stage]);
    expect(maxRunning).toBe(3);
    expect(running).toBe(0);
  });

  it('stops the siblings of a failed stage, waits for them to settle, throws the first failure', async () => {
    const user = new AbortController();
    const ctx = { signal: user.signal } as unknown as PassContext;
    const settled: string[] = [];
    const boom = new ExportError('store_corrupt', 'journal unreadable');
    const sibling = async (s: PassContext) => {
      try {
        await waitForAbort(s.signal);
      } finally {
        await tick();
        settled.push('sibling');
      }
    };
    const failing = async () => {
      await tick();
      settled.push('failing');
      throw boom;
    };
    await expect(runConcurrently(ctx, [sibling, failing, sibling])).rejects.toBe(boom);
    expect(settled).toEqual(['failing', 'sibling', 'sibling']);
    // The pass keeps the user's signal, and it is untouched.
    expect(ctx.signal).toBe(user.signal);
    expect(user.signal.aborted).toBe(false);
  });

  it('a user interrupt reaches every stage through the group signal', async () => {
    const user = new AbortController();
    const ctx = { signal: user.signal } as unknown as PassContext;
    const stage = (s: PassContext) => waitForAbort(s.signal);
    const run = runConcurrently(ctx, [stage, stage]);
    await tick();
    user.abort(new ExportError('interrupted', 'Ctrl-C'));
    await expect(run).rejects.toMatchObject({ code: 'interrupted' });
    expect(ctx.signal).toBe(user.signal);
  });
});
