/**
 * Append-only JSONL journal. Lines are buffered and written + fsynced in batches; order on disk
 * is the order of `append` calls, so a checkpoint line appended after the records it covers can
 * never be durable before them. A crash can tear only the last line: `scanJournal` drops it (and
 * truncates the file there) instead of failing; a bad line anywhere else is corruption.
 */
import { createReadStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ExportError } from '../errors.js';
import { PRIVATE_FILE_MODE } from '../local-files.js';

export interface ScannedLine {
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** Length in bytes, without the newline. */
  readonly length: number;
  readonly value: unknown;
}

export interface ScanResult {
  /** Bytes of intact lines; the file was truncated to this if a torn tail was found. */
  readonly goodBytes: number;
  readonly tornBytes: number;
}

/** Every newline-terminated line of a file with its byte offset; `tail` is what follows the last newline. */
async function* rawLines(
  path: string,
  from = 0,
): AsyncGenerator<{ offset: number; buf: Buffer }, { tailBytes: number }, undefined> {
  let offset = from;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, start: from })) {
    const buf = chunk as Buffer;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const part = buf.subarray(start, nl);
      const line = pending.length === 0 ? part : Buffer.concat([...pending, part]);
      const lineStart = offset - pendingLen + start;
      pending = [];
      pendingLen = 0;
      yield { offset: lineStart, buf: line };
      start = nl + 1;
    }
    if (start < buf.byteLength) {
      const rest = buf.subarray(start);
      pending.push(Buffer.from(rest));
      pendingLen += rest.byteLength;
    }
    offset += buf.byteLength;
  }
  return { tailBytes: pendingLen };
}

/** Parsed journal lines with positions (the journal must be flushed and intact). */
export async function* journalLines(path: string): AsyncGenerator<ScannedLine> {
  const it = rawLines(path);
  for (;;) {
    const next = await it.next();
    if (next.done === true) return;
    const { offset, buf } = next.value;
    yield { offset, length: buf.byteLength, value: JSON.parse(buf.toString('utf8')) as unknown };
  }
}

/**
 * Stream every intact line to `onLine`, from byte `from` (a line's start) on. A final line that is
 * unterminated or unparsable is torn (a crash mid-write) and is cut off; an unparsable line
 * followed by more data is corruption.
 */
export async function scanJournal(
  path: string,
  onLine: (line: ScannedLine) => void,
  options: { readonly from?: number } = {},
): Promise<ScanResult> {
  const from = options.from ?? 0;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return { goodBytes: 0, tornBytes: 0 };
  }
  let badAt: number | null = null;
  const it = rawLines(path, from);
  let tailBytes = 0;
  for (;;) {
    const next = await it.next();
    if (next.done === true) {
      tailBytes = next.value.tailBytes;
      break;
    }
    const { offset, buf } = next.value;
    if (badAt !== null) {
      throw new ExportError('store_corrupt', `${path}: unreadable journal line at byte ${badAt}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch {
      badAt = offset;
      continue;
    }
    onLine({ offset, length: buf.byteLength, value });
  }
  // The good prefix ends before the first bad line (which must be the last), or before a tail
  // without a newline.
  const goodBytes = badAt ?? size - tailBytes;
  if (goodBytes < size) await truncate(path, goodBytes);
  return { goodBytes, tornBytes: size - goodBytes };
}

/** Read one line back by position (used at seal time to fetch current records). */
export async function readLineAt(fh: FileHandle, offset: number, length: number): Promise<unknown> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new ExportError('store_corrupt', `journal line at byte ${offset} is short`);
  return JSON.parse(buf.toString('utf8'));
}

export interface JournalWriterOptions {
  /** Write + fsync once this many lines are buffered. */
  readonly batchLines?: number;
  /** ... or this long after the first buffered line. */
  readonly batchMs?: number;
  /** Called before each fsync of the journal (e.g. to fsync blob directories first). */
  readonly beforeSync?: () => Promise<void>;
  /** Buffered bytes above which `ready()` waits for a write (default 8 MiB). */
  readonly highWaterBytes?: number;
  /**
   * Lines not yet durable (buffered, or in the write under way) above which `ready()` waits for
   * them (default 128): what a kill can lose, and a resumed run fetch again, stays this small.
   */
  readonly maxPendingLines?: number;
}

export class JournalWriter {
  readonly #fh: FileHandle;
  #size: number;
  /** Bytes in the file: lines before this offset can be read back from it (not necessarily fsynced). */
  #written: number;
  #buffer: string[] = [];
  /** UTF-8 bytes of the lines in `#buffer`. */
  #bufferBytes = 0;
  /** Lines of the write under way (not yet fsynced). */
  #writingLines = 0;
  #timer: NodeJS.Timeout | null = null;
  /** The last write started or queued; the next one waits for it (order on disk = append order). */
  #flushing: Promise<void> = Promise.resolve();
  /** A write queued behind the running one and not started yet: it takes the whole buffer when it starts. */
  #queued: Promise<void> | null = null;
  #failed: Error | null = null;
  readonly #batchLines: number;
  readonly #batchMs: number;
  readonly #beforeSync: (() => Promise<void>) | undefined;
  readonly #highWaterBytes: number;
  readonly #maxPendingLines: number;

  private constructor(fh: FileHandle, size: number, options: JournalWriterOptions) {
    this.#fh = fh;
    this.#size = size;
    this.#written = size;
    this.#highWaterBytes = options.highWaterBytes ?? 8 * 1024 * 1024;
    this.#maxPendingLines = options.maxPendingLines ?? 128;
    this.#batchLines = options.batchLines ?? 256;
    this.#batchMs = options.batchMs ?? 250;
    this.#beforeSync = options.beforeSync;
  }

  static async open(path: string, options: JournalWriterOptions = {}): Promise<JournalWriter> {
    const fh = await open(path, 'a', PRIVATE_FILE_MODE);
    const { size } = await fh.stat();
    return new JournalWriter(fh, size, options);
  }

  /** Bytes appended so far (written or still buffered). */
  get size(): number {
    return this.#size;
  }

  /**
   * Bytes of the journal in the file: every line that starts before this is whole in it, and a
   * positioned read sees it (written, perhaps not yet fsynced). Lines at or after it are still in
   * memory here.
   */
  get written(): number {
    return this.#written;
  }

  /** Append a line; returns the byte offset and length it will occupy. */
  append(value: unknown): { offset: number; length: number } {
    if (this.#failed !== null) throw this.#failed;
    const text = JSON.stringify(value);
    const length = Buffer.byteLength(text);
    // Offsets are logical: a batch being written by an earlier flush is already counted.
    const offset = this.#size;
    this.#size += length + 1;
    this.#buffer.push(text);
    this.#bufferBytes += length + 1;
    if (this.#buffer.length >= this.#batchLines) void this.flush().catch(() => undefined);
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => void this.flush().catch(() => undefined), this.#batchMs);
      this.#timer.unref();
    }
    return { offset, length };
  }

  /**
   * Everything appended so far is written and fsynced when this resolves. Group commit: at most
   * one write runs and one waits behind it; lines appended meanwhile all go into that waiting
   * write. So when the disk is slower than the appends (a write fsyncs the blob folders first),
   * batches grow instead of a queue of batches each holding its lines in memory.
   */
  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#queued !== null) return this.#queued;
    const previous = this.#flushing;
    const queued = (async () => {
      await previous.catch(() => undefined);
      // Started: lines appended from here on go to a later write.
      this.#queued = null;
      if (this.#failed !== null) throw this.#failed;
      const lines = this.#buffer;
      const bytes = this.#bufferBytes;
      this.#buffer = [];
      this.#bufferBytes = 0;
      this.#writingLines = lines.length;
      try {
        if (lines.length > 0) {
          if (this.#beforeSync) await this.#beforeSync();
          const { bytesWritten } = await this.#fh.write(`${lines.join('\n')}\n`);
          // A short write (a full disk) leaves a torn line: nothing after it may be read back.
          if (bytesWritten !== bytes) throw new Error(`wrote ${bytesWritten} of ${bytes} bytes`);
          this.#written += bytes;
        }
        await this.#fh.sync();
        this.#writingLines = 0;
      } catch (error) {
        this.#failed = new ExportError('store_corrupt', 'could not write the staging journal', {
          cause: error,
        });
        throw this.#failed;
      }
    })();
    this.#queued = queued;
    this.#flushing = queued;
    return queued;
  }

  /**
   * Backpressure for producers: resolves at once while the lines waiting for a write are under the
   * high-water mark and the lines not yet durable are few, else when they are written. A walk that
   * appends a page of thousands of lines at a time awaits this between pages, and the listed kinds
   * before each item's fetch, so a slow disk slows the fetches instead of growing memory or the
   * work a kill would lose.
   */
  ready(): Promise<void> {
    const pending = this.#buffer.length + this.#writingLines;
    return this.#bufferBytes < this.#highWaterBytes && pending < this.#maxPendingLines
      ? Promise.resolve()
      : this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#fh.close();
  }
}
