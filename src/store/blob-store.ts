/**
 * Content-addressed blob store: every payload byte the export stages lives here exactly once,
 * named by its SHA-256. Writes go to a temp file, are fsynced, then renamed into place, so a
 * blob path either does not exist or holds exactly the bytes its name promises (a crash leaves
 * at most a stray temp file, which `open` clears).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { ExportError } from '../errors.js';
import { makeDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenDir } from '../local-files.js';

export interface BlobRef {
  readonly sha256: string;
  readonly md5: string;
  readonly size: number;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

export class BlobStore {
  readonly #root: string;
  readonly #tmp: string;
  /** Shard directories renamed into since the last `syncDirs()`; fsynced in batches. */
  readonly #dirtyDirs = new Set<string>();
  /** Shard directories known to exist (at most 256): no `mkdir` call per blob once made. */
  readonly #madeDirs = new Set<string>();

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

  async has(sha256: string): Promise<boolean> {
    try {
      await stat(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** A fresh temp path for callers that stream into a file themselves (e.g. the API client's sink). */
  tempPath(): string {
    return join(this.#tmp, `${Date.now()}-${randomBytes(6).toString('hex')}.part`);
  }

  /** Store bytes given in memory (small JSON documents). */
  async putBytes(bytes: Uint8Array | string): Promise<BlobRef> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    const ref: BlobRef = {
      sha256: createHash('sha256').update(buf).digest('hex'),
      md5: createHash('md5').update(buf).digest('hex'),
      size: buf.byteLength,
    };
    if (await this.has(ref.sha256)) return ref;
    const tmp = this.tempPath();
    const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
    try {
      await fh.writeFile(buf);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.#commit(tmp, ref.sha256);
    return ref;
  }

  /** Store a stream, hashing on the way to disk; memory stays flat whatever the size. */
  async putStream(source: AsyncIterable<Uint8Array> | Readable): Promise<BlobRef> {
    const tmp = this.tempPath();
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sha.update(chunk);
        md5.update(chunk);
        size += chunk.byteLength;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, hasher, createWriteStream(tmp, { flags: 'wx', mode: PRIVATE_FILE_MODE }));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    const ref: BlobRef = { sha256: sha.digest('hex'), md5: md5.digest('hex'), size };
    await this.adoptTemp(tmp, ref);
    return ref;
  }

  /**
   * Move a written temp file (from `tempPath()`) into place under the digest the writer computed,
   * fsyncing it first. The caller vouches for the digest; `verifyBlob` can re-check it. The blob
   * is made private (0600) whatever mode its writer created it with.
   */
  async adoptTemp(tmp: string, ref: BlobRef, fsync = true): Promise<void> {
    if (await this.has(ref.sha256)) {
      await rm(tmp, { force: true });
      return;
    }
    if (fsync) await this.#fsyncFile(tmp);
    else await chmod(tmp, PRIVATE_FILE_MODE);
    await this.#commit(tmp, ref.sha256);
  }

  async discardTemp(tmp: string): Promise<void> {
    await rm(tmp, { force: true });
  }

  open(sha256: string): Readable {
    return createReadStream(this.pathOf(sha256));
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

  async #fsyncFile(path: string): Promise<void> {
    const fh = await open(path, 'r+');
    try {
      await fh.chmod(PRIVATE_FILE_MODE);
      await fh.sync();
    } finally {
      await fh.close();
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
      await rename(tmp, dest);
    } catch (error) {
      // The shard went away since (retention removed the blobs): make it again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      await rename(tmp, dest);
    }
    this.#dirtyDirs.add(dir);
  }
}
