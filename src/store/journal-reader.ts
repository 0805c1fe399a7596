/**
 * Synchronous reads of single journal lines by position, for the item index: a status() answered
 * from the item's journal line stays synchronous. One positioned read of the line's known length
 * (or, for a line too long to have its length kept, reads until its newline). The file is opened
 * on the first read and again after `close`.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ExportError } from '../errors.js';

/** Reads up to this size go through one buffer kept for them; longer lines get their own. */
const SCRATCH_BYTES = 64 * 1024;

export class JournalReader {
  readonly path: string;
  #fd: number | null = null;
  #scratch: Buffer | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * The JSON value of the line at `offset`: `length` bytes without the newline, or, when the
   * length is not known (null), up to the newline.
   */
  read(offset: number, length: number | null): unknown {
    const where = `${this.path} at byte ${offset}`;
    const bytes = length === null ? this.#untilNewline(offset, where) : this.#exactly(offset, length, where);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new ExportError('store_corrupt', `${where}: unreadable journal line`, { cause: error });
    }
  }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }

  #file(): number {
    return (this.#fd ??= openSync(this.path, 'r'));
  }

  /** Fills `buf` from `offset`; returns the bytes read (fewer only at the end of the file). */
  #fill(buf: Buffer, offset: number): number {
    let got = 0;
    while (got < buf.byteLength) {
      const n = readSync(this.#file(), buf, got, buf.byteLength - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  #exactly(offset: number, length: number, where: string): Buffer {
    let buf: Buffer;
    if (length <= SCRATCH_BYTES) {
      this.#scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
      buf = this.#scratch.subarray(0, length);
    } else buf = Buffer.allocUnsafe(length);
    if (this.#fill(buf, offset) !== length) {
      throw new ExportError('store_corrupt', `${where}: journal line is short`);
    }
    return buf;
  }

  #untilNewline(offset: number, where: string): Buffer {
    const parts: Buffer[] = [];
    for (let at = offset; ;) {
      const chunk = Buffer.allocUnsafe(SCRATCH_BYTES);
      const got = this.#fill(chunk, at);
      const nl = chunk.subarray(0, got).indexOf(10);
      if (nl >= 0) {
        parts.push(chunk.subarray(0, nl));
        return Buffer.concat(parts);
      }
      if (got < chunk.byteLength) throw new ExportError('store_corrupt', `${where}: journal line has no end`);
      parts.push(chunk);
      at += got;
    }
  }
}
