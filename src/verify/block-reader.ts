/**
 * Random access to an archive (a local file or an S3 object via ranged GETs) in fixed blocks,
 * with a small cache, that also computes the SHA-256 of the whole object on the way: blocks are
 * hashed in order as the zip reader pulls them (the entries are read front to back), and only the
 * tail it skipped is fetched again at the end. So verifying an S3 archive downloads it about once
 * and never holds more than a few blocks in memory.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export type FetchRange = (start: number, endExclusive: number) => Promise<Buffer>;

const KEEP_BLOCKS = 4;

export class BlockReader {
  readonly size: number;
  private readonly blockSize: number;
  private readonly fetchRange: FetchRange;
  private readonly cache = new Map<number, Buffer>();
  private readonly inflight = new Map<number, Promise<Buffer>>();
  private readonly sha = createHash('sha256');
  private nextToHash = 0;
  /** Blocks fetched but not yet hashed (ahead of the cursor), kept only until hashed or evicted. */
  private readonly ahead = new Map<number, Buffer>();
  fetched = 0;
  private readonly signal: AbortSignal | undefined;

  /** Once `signal` is aborted every read throws its reason (a run stopped while verifying). */
  constructor(size: number, blockSize: number, fetchRange: FetchRange, signal?: AbortSignal) {
    this.size = size;
    this.blockSize = blockSize;
    this.fetchRange = fetchRange;
    this.signal = signal;
  }

  private get blocks(): number {
    return Math.ceil(this.size / this.blockSize);
  }

  async block(index: number): Promise<Buffer> {
    this.signal?.throwIfAborted();
    const cached = this.cache.get(index);
    if (cached !== undefined) {
      // refresh LRU position
      this.cache.delete(index);
      this.cache.set(index, cached);
      return cached;
    }
    let pending = this.inflight.get(index);
    if (pending === undefined) {
      const start = index * this.blockSize;
      const end = Math.min(this.size, start + this.blockSize);
      pending = this.fetchRange(start, end).then((buffer) => {
        if (buffer.length !== end - start) {
          throw new Error(`read ${buffer.length} bytes at ${start}, expected ${end - start}`);
        }
        this.fetched += buffer.length;
        this.inflight.delete(index);
        this.remember(index, buffer);
        return buffer;
      });
      this.inflight.set(index, pending);
    }
    return pending;
  }

  private remember(index: number, buffer: Buffer): void {
    this.cache.set(index, buffer);
    while (this.cache.size > KEEP_BLOCKS) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
    if (index === this.nextToHash) {
      this.sha.update(buffer);
      this.nextToHash += 1;
      // Blocks that arrived early can be hashed now; drop those we would not keep anyway.
      for (
        let next = this.ahead.get(this.nextToHash);
        next !== undefined;
        next = this.ahead.get(this.nextToHash)
      ) {
        this.ahead.delete(this.nextToHash);
        this.sha.update(next);
        this.nextToHash += 1;
      }
    } else if (index > this.nextToHash && this.ahead.size < KEEP_BLOCKS) {
      this.ahead.set(index, buffer);
    }
  }

  /** Copies the bytes [position, position + length) into `target` at `offset`. */
  async copy(target: Buffer, offset: number, length: number, position: number): Promise<void> {
    if (position < 0 || position + length > this.size)
      throw new Error(`read of ${length} bytes at ${position} is outside the ${this.size}-byte object`);
    let done = 0;
    while (done < length) {
      const index = Math.floor((position + done) / this.blockSize);
      const block = await this.block(index);
      const from = position + done - index * this.blockSize;
      done += block.copy(target, offset + done, from, Math.min(block.length, from + length - done));
    }
  }

  /** The bytes [start, end) as a stream, block by block. */
  stream(start: number, end: number): Readable {
    const chunks = async function* (this: BlockReader): AsyncGenerator<Buffer> {
      let position = start;
      while (position < end) {
        const index = Math.floor(position / this.blockSize);
        const block = await this.block(index);
        const offset = position - index * this.blockSize;
        const take = Math.min(block.length - offset, end - position);
        yield block.subarray(offset, offset + take);
        position += take;
      }
    };
    return Readable.from(chunks.call(this), { objectMode: false });
  }

  /** SHA-256 of the whole object: fetches (and hashes) whatever the reads skipped. */
  async sha256(): Promise<string> {
    while (this.nextToHash < this.blocks) {
      const index = this.nextToHash;
      this.cache.delete(index);
      await this.block(index);
      if (this.nextToHash === index) throw new Error(`block ${index} was not hashed`);
    }
    return this.sha.copy().digest('hex');
  }
}
