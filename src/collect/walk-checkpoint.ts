/**
 * Checkpoints for a listing walk whose items are processed out of order by a fan-out. A page's
 * resume cursor may be recorded only when every item of that page AND of every page before it
 * is durable in the store (compliance-api.md §4.1: advance the cursor only after the page has
 * been stored), so a crash never skips an item.
 */
import type { Page } from '../api/paginate.js';
import type { StagingStore } from '../store/index.js';
import { prefetchOne } from './fan-out.js';

interface OpenPage {
  readonly cursor: string | null;
  readonly done: boolean;
  remaining: number;
}

export interface WalkItem<T> {
  readonly item: T;
  /** The item's exact JSON text as received. */
  readonly raw: string;
  readonly page: Page<T>;
  /** Call once the item is stored (or its gap recorded). */
  readonly finish: () => void;
}

export class WalkCheckpoint {
  readonly #store: StagingStore;
  readonly #walk: string;
  readonly #pages: OpenPage[] = [];

  constructor(store: StagingStore, walk: string) {
    this.#store = store;
    this.#walk = walk;
  }

  /** Where to resume this walk from, or `done` when a previous run finished it. */
  get resume(): { from: string | undefined; done: boolean } {
    const cp = this.#store.checkpointOf(this.#walk);
    return { from: cp?.cursor ?? undefined, done: cp?.done === true };
  }

  /** Resolves when the store can take another page of records without its journal backlog growing. */
  ready(): Promise<void> {
    return this.#store.ready();
  }

  /** Register a page; returns one `finish` per item. */
  open(page: Page<unknown>): (() => void)[] {
    const entry: OpenPage = { cursor: page.resumeCursor, done: page.done, remaining: page.items.length };
    this.#pages.push(entry);
    if (entry.remaining === 0) this.#advance();
    return page.items.map(() => {
      let called = false;
      return () => {
        if (called) return;
        called = true;
        entry.remaining -= 1;
        if (entry.remaining === 0) this.#advance();
      };
    });
  }

  #advance(): void {
    let last: OpenPage | undefined;
    while (this.#pages[0] !== undefined && this.#pages[0].remaining === 0) last = this.#pages.shift();
    if (last !== undefined) this.#store.checkpoint(this.#walk, last.cursor, last.done);
  }
}

/**
 * Flatten a page walk into items, each with a `finish` that advances the walk's checkpoint. The
 * next page is fetched while the current page's items are handed out (one page of read-ahead, so
 * the budget does not drain at every page boundary); beyond that pages are pulled lazily, so the
 * fan-out's read-ahead bound holds for the whole walk. A page is registered with the checkpoint
 * only when its first item is handed out, so checkpoints still advance in page order and only past
 * pages whose items are all stored. `onListed` is called once the walk has handed out its last
 * item (its listing is through, or ended as a gap), not when it fails.
 */
export async function* trackedItems<T>(
  pages: AsyncIterable<Page<T>>,
  checkpoint: WalkCheckpoint,
  onWalkFailure?: (error: unknown) => boolean,
  onListed?: () => void,
): AsyncGenerator<WalkItem<T>, void, undefined> {
  const walk =
    onWalkFailure === undefined ? prefetchOne(pages) : endOnFailure(prefetchOne(pages), onWalkFailure);
  for await (const page of walk) {
    // A page's records go to the journal at memory speed; wait here while it is behind the disk.
    await checkpoint.ready();
    const finishers = checkpoint.open(page);
    for (let i = 0; i < page.items.length; i += 1) {
      yield {
        item: page.items[i] as T,
        raw: page.rawItems[i] ?? JSON.stringify(page.items[i]),
        page,
        finish: finishers[i]!,
      };
    }
  }
  onListed?.();
}

/**
 * The pages of a walk, ended quietly when the listing itself fails and `onFailure` says it
 * recorded the failure as a gap (the walk's checkpoint stays at the last stored page); any other
 * failure is rethrown and stops the run.
 */
export async function* endOnFailure<P>(
  pages: AsyncIterable<P>,
  onFailure: (error: unknown) => boolean,
): AsyncGenerator<P, void, undefined> {
  const iterator = pages[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<P>;
    try {
      next = await iterator.next();
    } catch (error) {
      if (onFailure(error)) return;
      throw error;
    }
    if (next.done === true) return;
    yield next.value;
  }
}
