/**
 * When the staging store writes its state image (state-image.ts): once the journal has grown by
 * 8 MiB, or by twice the last image's size if that is more, since the last image, so a
 * kill costs the replay of at most that much journal and the images written over a run stay a
 * fraction of the journal's bytes; and once more when the store closes, if anything was appended
 * since. One image is written at a time, in the background: the state is copied at a consistent
 * point (between two of the store's operations), the journal is flushed past it, then the file is
 * written. An image that cannot be written is left out (the journal is the record; the next open
 * replays more of it); the error is kept for the caller to see.
 */
import { writeStateImage, type StateImage } from './state-image.js';

const MIN_IMAGE_INTERVAL_BYTES = 8 * 1024 * 1024;

export interface StateImagerOptions {
  readonly path: string;
  readonly journalPath: string;
  /** A fresh temp path in the image's folder. */
  readonly tempPath: () => string;
  /** Writes and fsyncs every journal line appended so far. */
  readonly flush: () => Promise<void>;
  /** Journal growth that starts an image (tests set it low); at least MIN_IMAGE_INTERVAL_BYTES by default. */
  readonly intervalBytes?: number;
}

export class StateImager {
  readonly #o: StateImagerOptions;
  /** Journal bytes the image on disk covers (0: none, or one from before this open). */
  #covered: number;
  #lastSize = 0;
  #running: Promise<void> | null = null;
  /** The last image write's error, if it failed. */
  lastError: unknown = null;
  /** Images written by this store. */
  written = 0;

  constructor(options: StateImagerOptions, covered: number) {
    this.#o = options;
    this.#covered = covered;
  }

  /** Whether the journal, now `size` bytes, has grown enough since the last image for another. */
  due(size: number): boolean {
    const interval = Math.max(this.#o.intervalBytes ?? MIN_IMAGE_INTERVAL_BYTES, 2 * this.#lastSize);
    return this.#running === null && size - this.#covered >= interval;
  }

  /** The state as `capture` copies it, or null (the error kept) when copying it failed. */
  capture(capture: () => StateImage): StateImage | null {
    try {
      return capture();
    } catch (error) {
      this.lastError = error;
      return null;
    }
  }

  /** Start writing an image of the state `capture` copies now, in the background. */
  start(capture: () => StateImage): void {
    const image = this.capture(capture);
    if (image === null) return;
    this.#running = (async () => {
      await this.#o.flush();
      await this.#write(image);
    })()
      .catch((error: unknown) => {
        this.lastError = error;
      })
      .finally(() => {
        this.#running = null;
      });
  }

  /**
   * Closing: wait for the image under way, then write `image` (the journal, closed, holds all of
   * it) when it covers more than the one on disk. Never throws.
   */
  async finish(image: StateImage): Promise<void> {
    await this.#running;
    if (image.upTo <= this.#covered) return;
    await this.#write(image).catch((error: unknown) => {
      this.lastError = error;
    });
  }

  async #write(image: StateImage): Promise<void> {
    this.#lastSize = await writeStateImage(this.#o.path, this.#o.tempPath(), this.#o.journalPath, image);
    this.#covered = image.upTo;
    this.written += 1;
  }
}
