/**
 * A scope of resources closed exactly once, last opened first (the shape of TC39's
 * `AsyncDisposableStack`, which Node 20 does not have): whoever opens a resource registers how to
 * close it with `defer`, and one `close()` ends them all on success, interrupt and failure alike.
 * A later resource may depend on an earlier one (the client writes to the ledger, the ledger and
 * the custody log live in the locked state folder), so the reverse order is what keeps it safe.
 */
import { ExportError } from './errors.js';

export class Resources {
  #closers: (() => Promise<void> | void)[] = [];
  #closed = false;

  /** Registers how to close a resource just opened. */
  defer(close: () => Promise<void> | void): void {
    if (this.#closed) throw new ExportError('internal', 'resource opened after its scope was closed');
    this.#closers.push(close);
  }

  /**
   * Closes every resource, last opened first; a closer that fails does not stop the others. Throws
   * the first failure once all have run. A second call does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closers = this.#closers.reverse();
    this.#closers = [];
    let failure: { error: unknown } | null = null;
    for (const close of closers) {
      try {
        await close();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== null) throw failure.error;
  }
}
