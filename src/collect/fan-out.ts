/**
 * Bounded fan-out over an async source (HOUSE-STYLE §3): at most `concurrency` calls in flight
 * AND at most `readAhead` finished results waiting for the consumer. The source is pulled only
 * when there is room, so a listing of 100,000 chats is never drained into memory ahead of the
 * work (p-limit alone would queue the whole source).
 */

export interface FanOutOptions {
  /** Maximum calls of `fn` in flight. */
  readonly concurrency: number;
  /** Maximum finished results held for the consumer (defaults to `concurrency`). */
  readonly readAhead?: number;
  readonly signal?: AbortSignal;
}

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Map `fn` over `source` with bounded concurrency and read-ahead, yielding results in completion
 * order. The first error stops pulling from the source; calls already in flight are awaited, then
 * the error is thrown to the consumer.
 */
export async function* mapBounded<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  fn: (item: T) => Promise<R>,
  options: FanOutOptions,
): AsyncGenerator<R, void, undefined> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  // Results in flight plus results waiting never exceed this, so at most `readAhead` wait.
  const window = Math.max(concurrency, Math.floor(options.readAhead ?? concurrency));
  const iterator =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const done: Settled<R>[] = [];
  let inFlight = 0;
  let pulling = false;
  let exhausted = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };

  const pump = async (): Promise<void> => {
    if (pulling) return;
    pulling = true;
    try {
      while (!exhausted && failure === null && inFlight < concurrency && inFlight + done.length < window) {
        if (options.signal?.aborted === true) {
          failure = { error: options.signal.reason };
          break;
        }
        let next: IteratorResult<T>;
        try {
          next = await iterator.next();
        } catch (error) {
          failure = { error };
          break;
        }
        if (next.done === true) {
          exhausted = true;
          break;
        }
        inFlight += 1;
        const item = next.value;
        void (async () => {
          let settled: Settled<R>;
          try {
            settled = { ok: true, value: await fn(item) };
          } catch (error) {
            settled = { ok: false, error };
          }
          inFlight -= 1;
          done.push(settled);
          notify();
          void pump();
        })();
      }
    } finally {
      pulling = false;
      notify();
    }
  };

  try {
    void pump();
    for (;;) {
      const settled = done.shift();
      if (settled !== undefined) {
        if (!settled.ok) {
          failure ??= { error: settled.error };
          continue;
        }
        void pump();
        yield settled.value;
        continue;
      }
      if (inFlight === 0 && !pulling && (exhausted || failure !== null)) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure !== null) throw failure.error;
  } finally {
    if (!exhausted) {
      // Stop the source (the consumer broke out early, or an error ended the run).
      failure ??= { error: new Error('fan-out closed') };
      while (inFlight > 0 || pulling) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        done.length = 0;
      }
      await iterator.return?.();
    }
  }
}

/** Run `fn` over every item with bounded concurrency; resolves when all are done. */
export async function forEachBounded<T>(
  source: AsyncIterable<T> | Iterable<T>,
  fn: (item: T) => Promise<void>,
  options: FanOutOptions,
): Promise<void> {
  for await (const _ of mapBounded(source, fn, options)) {
    // results are not needed; draining keeps the read-ahead window moving
  }
}

/**
 * Pull the next element of `source` while the consumer works on the current one: at most ONE
 * element of read-ahead. A listing walk then fetches its next page while the current page's items
 * are processed, instead of letting the job's budget sit idle until its buffer is empty. The source
 * is never called concurrently (a generator queues `next` calls anyway), so a page walk still
 * requests its cursors one after another and each retry reuses its cursor. A failed prefetch
 * surfaces only when the consumer asks for that element.
 */
export async function* prefetchOne<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | null = iterator.next();
  // Kept from an unhandled rejection if the consumer stops before asking for it.
  pending.catch(() => undefined);
  let exhausted = false;
  try {
    for (;;) {
      const next: IteratorResult<T> = await pending;
      pending = null;
      if (next.done === true) {
        exhausted = true;
        return;
      }
      pending = iterator.next();
      pending.catch(() => undefined);
      yield next.value;
    }
  } finally {
    if (!exhausted) {
      // Let the prefetch settle (a generator queues `return` behind it anyway), then close.
      if (pending !== null) await pending.catch(() => undefined);
      await iterator.return?.();
    }
  }
}
