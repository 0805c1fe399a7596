/**
 * The run's free-space floor. Checked before a run opens anything (`requireFree` in run-job),
 * at each stage boundary (`check`), before a local destination receives the archive
 * (`checkDestination`), and while collecting: every `every` requests (`tick`, from the request
 * ledger) one `statfs` runs in the background; below the floor it aborts the run's signal, so
 * collection stops at its next clean checkpoint exactly as on Ctrl-C, and the run then fails
 * with `disk_full` (exit 1) instead of meeting ENOSPC halfway through a blob or journal write.
 * Disabled (`--ignore-disk-space`), every check passes and the signal is the caller's.
 */
import type { ExportError } from '../errors.js';
import { diskFullError, type FreeSpaceReader } from './free-space.js';

export interface DiskGuardOptions {
  readonly read: FreeSpaceReader;
  /** The state folder (or its nearest existing parent). */
  readonly stateDir: string;
  /** Bytes to keep free on the state folder's filesystem. */
  readonly floor: number;
  /** Requests between two background checks while collecting. */
  readonly every?: number;
  readonly enabled: boolean;
  /** The caller's stop signal (Ctrl-C, SIGTERM), folded into `signal`. */
  readonly signal?: AbortSignal | undefined;
}

/** One background check per this many requests by default: statfs is cheap, requests are not. */
const DEFAULT_EVERY = 100;

export class DiskGuard {
  readonly #options: DiskGuardOptions;
  readonly #controller = new AbortController();
  #tripped: ExportError | null = null;
  #sinceCheck = 0;
  #checking = false;

  constructor(options: DiskGuardOptions) {
    this.#options = options;
    const outer = options.signal;
    if (outer?.aborted === true) this.#controller.abort(outer.reason);
    else outer?.addEventListener('abort', () => this.#controller.abort(outer.reason), { once: true });
  }

  /** Aborted by the caller's signal or when the disk fell below the floor. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The `disk_full` error once a background check found the disk below the floor. */
  get tripped(): ExportError | null {
    return this.#tripped;
  }

  /** One request was made: every `every` of them, a background check. */
  tick(): void {
    if (!this.#options.enabled || this.#tripped !== null || this.#checking) return;
    this.#sinceCheck += 1;
    if (this.#sinceCheck < (this.#options.every ?? DEFAULT_EVERY)) return;
    this.#sinceCheck = 0;
    this.#checking = true;
    void this.#measure()
      .then((error) => {
        if (error !== null) this.#trip(error);
      })
      // A statfs that fails says nothing about space; the writes themselves will tell.
      .catch(() => undefined)
      .finally(() => {
        this.#checking = false;
      });
  }

  /** A stage boundary: throws `disk_full` when the state folder's filesystem is below the floor. */
  async check(): Promise<void> {
    if (this.#tripped !== null) throw this.#tripped;
    if (!this.#options.enabled) return;
    const error = await this.#measure();
    if (error !== null) {
      this.#tripped = error;
      throw error;
    }
  }

  /**
   * Before the archive (at most `archiveBytes`) is written to a local destination: that much plus
   * the floor when it shares the state folder's filesystem, else that much.
   */
  async checkDestination(dir: string, archiveBytes: number): Promise<void> {
    if (!this.#options.enabled) return;
    const { read, stateDir, floor } = this.#options;
    const [dest, state] = await Promise.all([read(dir), read(stateDir)]);
    const need = archiveBytes + (dest.device === state.device ? floor : 0);
    if (dest.free < need) {
      this.#tripped = diskFullError('local destination', dir, dest.free, need);
      throw this.#tripped;
    }
  }

  async #measure(): Promise<ExportError | null> {
    const { read, stateDir, floor } = this.#options;
    const space = await read(stateDir);
    return space.free < floor ? diskFullError('state folder', stateDir, space.free, floor) : null;
  }

  #trip(error: ExportError): void {
    this.#tripped = error;
    this.#controller.abort(error);
  }
}
