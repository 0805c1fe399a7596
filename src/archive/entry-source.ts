/**
 * Opening one zip entry's bytes for the sealer, and reading a few entries ahead.
 *
 * Per-entry latency dominates small files (each is an open, reads and a close through the libuv
 * thread pool, which zlib shares), so the sealer prepares the next entries while the current one
 * is compressed: at most AHEAD_FILES entries and AHEAD_BYTES of small-file bytes. Files of known
 * size up to SMALL_FILE are read whole into a buffer; larger ones are streamed after a 64 KiB
 * head has been read to choose the compression. Which path an entry takes depends only on its
 * size, so rebuilding the same input still gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ExportError } from '../errors.js';
import { PROBE_BYTES, chooseCompression, type Compression } from './compression.js';

const SMALL_FILE = 1024 * 1024;
const AHEAD_FILES = 16;
const AHEAD_BYTES = 32 * 1024 * 1024;

export interface Entry {
  readonly path: string;
  readonly open: () => Readable;
  readonly size?: number;
  /** Hash the bytes on the way (tag files, for the tag manifests). */
  readonly tag: boolean;
  readonly expected?: { sha256: string; md5: string };
}

export interface Digests {
  readonly sha256: string;
  readonly md5: string;
}

export interface Prepared {
  readonly entry: Entry;
  readonly source: Buffer | Readable;
  readonly method: Compression;
  /** The tag hashes, once all bytes have passed (null for payload files). */
  readonly digests: () => Digests | null;
}

const toBuffer = (chunk: Buffer | string): Buffer => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk);

class Meter {
  private total = 0;
  private readonly sha;
  private readonly md5;
  result: Digests | null = null;

  constructor(private readonly entry: Entry) {
    const hashing = entry.tag || entry.expected !== undefined;
    this.sha = hashing ? createHash('sha256') : null;
    this.md5 = hashing ? createHash('md5') : null;
  }

  take(chunk: Buffer): Buffer {
    this.total += chunk.length;
    this.sha?.update(chunk);
    this.md5?.update(chunk);
    return chunk;
  }

  /** Size and (for tag files or when asked) hash checks once every byte has passed. */
  finish(): void {
    const { entry } = this;
    if (entry.size !== undefined && this.total !== entry.size) {
      throw new ExportError(
        'archive_error',
        `${entry.path}: read ${this.total} bytes, expected ${entry.size}`,
      );
    }
    if (this.sha !== null && this.md5 !== null) {
      const result = { sha256: this.sha.digest('hex'), md5: this.md5.digest('hex') };
      const expected = entry.expected;
      if (expected !== undefined && (expected.sha256 !== result.sha256 || expected.md5 !== result.md5)) {
        throw new ExportError('checksum_mismatch', `${entry.path}: bytes do not match the staged sha256/md5`);
      }
      this.result = result;
    }
  }
}

/** Opens an entry: whole into memory when small, else a stream after peeking its head. */
export async function prepareEntry(entry: Entry): Promise<Prepared> {
  const meter = new Meter(entry);
  const iterator = entry.open()[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  if (entry.size !== undefined && entry.size <= SMALL_FILE) {
    const chunks: Buffer[] = [];
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      chunks.push(meter.take(toBuffer(next.value)));
    }
    meter.finish();
    const whole = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks);
    return { entry, source: whole, method: chooseCompression(whole), digests: () => meter.result };
  }
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < PROBE_BYTES) {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    const chunk = toBuffer(next.value);
    head.push(chunk);
    headBytes += chunk.length;
  }
  const headBuffer = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    if (headBuffer.length > 0) yield meter.take(headBuffer);
    while (!ended) {
      const next = await iterator.next();
      if (next.done === true) break;
      yield meter.take(toBuffer(next.value));
    }
    meter.finish();
  }
  return {
    entry,
    source: Readable.from(all(), { objectMode: false }),
    method: chooseCompression(headBuffer),
    digests: () => meter.result,
  };
}

/**
 * Yields prepared entries in order, keeping a bounded number prepared ahead. A failure surfaces
 * when its entry's turn comes (never as an unhandled rejection before that).
 */
export async function* prepareAhead(entries: AsyncIterable<Entry>): AsyncGenerator<Prepared> {
  const queue: { promise: Promise<Prepared>; bytes: number }[] = [];
  const source = entries[Symbol.asyncIterator]();
  let bytesAhead = 0;
  let exhausted = false;
  const fill = async (): Promise<void> => {
    while (!exhausted && queue.length < AHEAD_FILES && bytesAhead < AHEAD_BYTES) {
      const next = await source.next();
      if (next.done === true) {
        exhausted = true;
        return;
      }
      const entry = next.value;
      const bytes = entry.size !== undefined && entry.size <= SMALL_FILE ? entry.size : PROBE_BYTES;
      const promise = prepareEntry(entry);
      promise.catch(() => undefined);
      queue.push({ promise, bytes });
      bytesAhead += bytes;
      // A streamed (large) entry is consumed only when appended; don't open more behind it than needed.
      if (bytes === PROBE_BYTES && entry.size !== undefined && entry.size > SMALL_FILE) return;
    }
  };
  try {
    for (;;) {
      await fill();
      const head = queue.shift();
      if (head === undefined) return;
      bytesAhead -= head.bytes;
      yield await head.promise;
    }
  } finally {
    // Stopped early (a failure downstream): close whatever was opened ahead, and the entry list
    // (a payload list read from disk holds a file open).
    for (const { promise } of queue) {
      promise.then(
        (p) => (p.source instanceof Readable ? p.source.destroy() : undefined),
        () => undefined,
      );
    }
    if (!exhausted) await Promise.resolve(source.return?.()).catch(() => undefined);
  }
}

export type { Compression };
