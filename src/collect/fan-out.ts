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
  const run = new BoundedRun(source, fn, options);
  try {
    void run.pump();
    for (;;) {
      const settled = run.done.shift();
      if (settled !== undefined) {
        if (!settled.ok) {
          run.failure ??= { error: settled.error };
          continue;
        }
        void run.pump();
        yield settled.value;
        continue;
      }
      if (run.finished()) break;
      await run.changed();
    }
    if (run.failure !== null) throw run.failure.error;
  } finally {
    // Stop the source (the consumer broke out early, or an error ended the run).
    if (!run.exhausted) await run.close();
  }
}

/** One `mapBounded` run: the source, the calls in flight and the results waiting for the consumer. */
class BoundedRun<T, R> {
  readonly done: Settled<R>[] = [];
  failure: { error: unknown } | null = null;
  exhausted = false;
  #inFlight = 0;
  #pulling = false;
  #wake: (() => void) | null = null;
  readonly #iterator: AsyncIterator<T> | Iterator<T>;
  readonly #fn: (item: T) => Promise<R>;
  readonly #signal: AbortSignal | undefined;
  readonly #concurrency: number;
  /** Results in flight plus results waiting never exceed this, so at most `readAhead` wait. */
  readonly #window: number;

  constructor(source: AsyncIterable<T> | Iterable<T>, fn: (item: T) => Promise<R>, options: FanOutOptions) {
    this.#iterator =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    this.#fn = fn;
    this.#signal = options.signal;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency));
    this.#window = Math.max(this.#concurrency, Math.floor(options.readAhead ?? this.#concurrency));
  }

  /** Pull from the source and start calls while there is room; one pull loop at a time. */
  async pump(): Promise<void> {
    if (this.#pulling) return;
    this.#pulling = true;
    try {
      while (this.#hasRoom()) {
        if (this.#signal?.aborted === true) {
          this.failure = { error: this.#signal.reason };
          break;
        }
        let next: IteratorResult<T>;
        try {
          next = await this.#iterator.next();
        } catch (error) {
          this.failure = { error };
          break;
        }
        if (next.done === true) {
          this.exhausted = true;
          break;
        }
        this.#start(next.value);
      }
    } finally {
      this.#pulling = false;
      this.#notify();
    }
  }

  /** Nothing in flight, nothing being pulled, and nothing more will be: the source ended or failed. */
  finished(): boolean {
    return this.#inFlight === 0 && !this.#pulling && (this.exhausted || this.failure !== null);
  }

  /** Resolves at the next change: a call settled or a pull loop ended. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Stop pulling, wait for the calls in flight (dropping their results), then close the source. */
  async close(): Promise<void> {
    this.failure ??= { error: new Error('fan-out closed') };
    while (this.#inFlight > 0 || this.#pulling) {
      await this.changed();
      this.done.length = 0;
    }
    await this.#iterator.return?.();
  }

  #hasRoom(): boolean {
    return (
      !this.exhausted &&
      this.failure === null &&
      this.#inFlight < this.#concurrency &&
      this.#inFlight + this.done.length < this.#window
    );
  }

  #start(item: T): void {
    this.#inFlight += 1;
    void this.#call(item);
  }

  /** One call of `fn`: its result (or error) waits for the consumer, and frees room to pull. */
  async #call(item: T): Promise<void> {
    let settled: Settled<R>;
    try {
      settled = { ok: true, value: await this.#fn(item) };
    } catch (error) {
      settled = { ok: false, error };
    }
    this.#inFlight -= 1;
    this.done.push(settled);
    this.#notify();
    void this.pump();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
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
