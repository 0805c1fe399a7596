/**
 * Content-addressed blob store: every payload byte the export stages lives here exactly once,
 * named by its SHA-256. Writes go to a temp file, are fsynced, then renamed into place, so a
 * blob path either does not exist or holds exactly the bytes its name promises (a crash leaves
 * at most a stray temp file, which `open` clears).
 *
 * Cost: collecting is bound by requests, and each request stages about one blob, so a blob costs
 * as few file-system calls as its guarantee allows: open, one write per 64 KiB, fchmod, fsync,
 * close, rename. No `stat` first (renaming identical bytes over an existing blob is harmless)
 * and no second open to fsync. The fchmod keeps a blob 0600 under a umask such as 0277.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ExportError } from '../errors.js';
import { makeDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenDir } from '../local-files.js';

export interface BlobRef {
  readonly sha256: string;
  readonly md5: string;
  readonly size: number;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/** Bytes gathered before one write: a chat document arrives a message (a few hundred bytes) at a time. */
const WRITE_BATCH_BYTES = 64 * 1024;

/** Write all of `chunks` at the file's position (a short write is continued, never counted as done). */
async function writeChunks(fh: FileHandle, chunks: readonly Uint8Array[], bytes: number): Promise<void> {
  const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  for (let at = 0; at < buf.byteLength;) {
    const { bytesWritten } = await fh.write(buf, at, buf.byteLength - at);
    if (bytesWritten <= 0) throw new Error(`wrote ${at} of ${buf.byteLength} bytes`);
    at += bytesWritten;
  }
}

export class BlobStore {
  readonly #root: string;
  readonly #tmp: string;
  /** Shard directories renamed into since the last `syncDirs()`; fsynced in batches. */
  readonly #dirtyDirs = new Set<string>();
  /** Shard directories known to exist (at most 256): no `mkdir` call per blob once made. */
  readonly #madeDirs = new Set<string>();
  /** Temp names: a random prefix per store and a counter (no random bytes drawn per blob). */
  readonly #tempPrefix = `${Date.now()}-${randomBytes(6).toString('hex')}`;
  #tempSeq = 0;

  constructor(root: string, tmp: string) {
    this.#root = root;
    this.#tmp = tmp;
  }

  /** Create folders (private) and clear temp files a crash may have left (the caller holds the state lock). */
  async init(): Promise<void> {
    for (const dir of [this.#root, this.#tmp]) {
      await makeDir(dir, PRIVATE_DIR_MODE);
      await tightenDir(dir, PRIVATE_DIR_MODE);
    }
    for (const name of await readdir(this.#tmp)) await rm(join(this.#tmp, name), { force: true });
  }

  pathOf(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new ExportError('internal', `not a sha256 digest: ${sha256}`);
    return join(this.#root, sha256.slice(0, 2), sha256);
  }

  /** A fresh temp path for callers that stream into a file themselves (e.g. the API client's sink). */
  tempPath(): string {
    this.#tempSeq += 1;
    return join(this.#tmp, `${this.#tempPrefix}-${this.#tempSeq}.part`);
  }

  /** Store bytes given in memory (small JSON documents). */
  async putBytes(bytes: Uint8Array | string): Promise<BlobRef> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    const ref: BlobRef = {
      sha256: createHash('sha256').update(buf).digest('hex'),
      md5: createHash('md5').update(buf).digest('hex'),
      size: buf.byteLength,
    };
    const tmp = this.tempPath();
    await this.#writeTemp(tmp, async (fh) => writeChunks(fh, [buf], buf.byteLength));
    await this.#commit(tmp, ref.sha256);
    return ref;
  }

  /** Store a stream, hashing on the way to disk; memory stays flat whatever the size. */
  async putStream(source: AsyncIterable<Uint8Array> | Readable): Promise<BlobRef> {
    const tmp = this.tempPath();
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let size = 0;
    await this.#writeTemp(tmp, async (fh) => {
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      // Leaving this loop early (a failed write) ends the source too: a generator stops paging.
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        sha.update(chunk);
        md5.update(chunk);
        size += chunk.byteLength;
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (batchBytes >= WRITE_BATCH_BYTES) {
          await writeChunks(fh, batch, batchBytes);
          batch = [];
          batchBytes = 0;
        }
      }
      if (batchBytes > 0) await writeChunks(fh, batch, batchBytes);
    });
    const ref: BlobRef = { sha256: sha.digest('hex'), md5: md5.digest('hex'), size };
    await this.#commit(tmp, ref.sha256);
    return ref;
  }

  /**
   * Move a written temp file (from `tempPath()`) into place under the digest the writer computed.
   * The writer fsynced it before closing (a file stream with `flush: true`, waited on until it
   * closed); it is made 0600 whatever mode its writer created it with. The caller vouches for the
   * digest; `verifyBlob` can re-check it.
   */
  async adoptTemp(tmp: string, ref: BlobRef): Promise<void> {
    await chmod(tmp, PRIVATE_FILE_MODE);
    await this.#commit(tmp, ref.sha256);
  }

  async discardTemp(tmp: string): Promise<void> {
    await rm(tmp, { force: true });
  }

  /**
   * A blob's bytes. Given the size the store recorded, the stream reads at most one byte past it
   * (a longer file still shows as longer to a reader that counts) in reads no larger than the
   * blob: a read stream otherwise allocates 64 KiB for every read, two per small blob, and
   * sealing ~400,000 small files left those buffers to the garbage collector by the tens of MB.
   */
  open(sha256: string, size?: number): Readable {
    const path = this.pathOf(sha256);
    return size === undefined || !Number.isSafeInteger(size) || size < 0
      ? createReadStream(path)
      : createReadStream(path, { end: size });
  }

  /** Re-hash a stored blob (used by tests and by seal-time paranoia checks). */
  async verifyBlob(ref: BlobRef): Promise<boolean> {
    const sha = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of this.open(ref.sha256)) {
        sha.update(chunk as Buffer);
        size += (chunk as Buffer).byteLength;
      }
    } catch {
      return false;
    }
    return size === ref.size && sha.digest('hex') === ref.sha256;
  }

  /** fsync every shard directory that gained an entry, so the renames survive power loss. */
  async syncDirs(): Promise<void> {
    const dirs = [...this.#dirtyDirs];
    this.#dirtyDirs.clear();
    for (const dir of dirs) {
      const fh = await open(dir, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }

  /** Create `tmp` (0600, not there before), let `write` fill it, fsync, close; removed on failure. */
  async #writeTemp(tmp: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
    try {
      const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
      try {
        await write(fh);
        await fh.chmod(PRIVATE_FILE_MODE);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (error) {
      // The write's own error is the one to report, not a failure to clean up after it.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async #commit(tmp: string, sha256: string): Promise<void> {
    const dest = this.pathOf(sha256);
    const dir = join(this.#root, sha256.slice(0, 2));
    if (!this.#madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      this.#madeDirs.add(dir);
    }
    try {
      try {
        await rename(tmp, dest);
      } catch (error) {
        // The shard went away since (retention removed the blobs): make it again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
        await rename(tmp, dest);
      }
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw error;
    }
    this.#dirtyDirs.add(dir);
  }
}
