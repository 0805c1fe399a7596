/**
 * A pass-through that hashes what flows through it: SHA-256 (the sidecar) and CRC32 (S3's
 * full-object checksum, compared on read-back). zlib.crc32 is native (Node ≥ 20.15) and cheap
 * next to SHA-256; the SHA-256 here is the only hash of the zip the whole pipeline computes.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, Writable, type Readable } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';

export interface StreamDigest {
  readonly bytes: number;
  readonly sha256: string;
  /** base64 of the big-endian CRC32, as S3 reports `ChecksumCRC32`. */
  readonly crc32: string;
}

export function crc32Base64(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
}

export class HashStream extends Transform {
  private readonly sha = createHash('sha256');
  private crc = 0;
  private count = 0;
  private result: StreamDigest | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sha.update(chunk);
    this.crc = crc32(chunk, this.crc);
    this.count += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = { bytes: this.count, sha256: this.sha.digest('hex'), crc32: crc32Base64(this.crc) };
    callback();
  }

  /** The digest; only after the stream has ended. */
  digest(): StreamDigest {
    if (this.result === null) throw new Error('HashStream: digest() before the stream ended');
    return this.result;
  }
}

/** Bytes `digestFile` reads at a time, into one buffer it reuses for the whole file. */
const FILE_READ_BYTES = 1024 * 1024;

/**
 * The digest of a local file, read through one reused buffer. A read stream allocates a buffer
 * per 64 KiB chunk, and the garbage collector frees them late: reading back a 2.5 GB archive held
 * ~45 MB of them at a time (bench/RESULTS.md, "Scale"). An aborted `signal` stops it before its
 * next read (a 2.5 GB read-back is a minute or more). The destination is a shared disk: a link or
 * anything but a regular file there is refused, never followed or waited on (a FIFO).
 */
export async function digestFile(path: string, signal?: AbortSignal): Promise<StreamDigest> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
    throw new Error(`${path} is a symbolic link, not the archive file`, { cause: error });
  }
  try {
    if (!(await fh.stat()).isFile()) throw new Error(`${path} is not a regular file`);
    const buffer = Buffer.allocUnsafe(FILE_READ_BYTES);
    const sha = createHash('sha256');
    let crc = 0;
    let bytes = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      sha.update(chunk);
      crc = crc32(chunk, crc);
      bytes += bytesRead;
    }
    return { bytes, sha256: sha.digest('hex'), crc32: crc32Base64(crc) };
  } finally {
    await fh.close();
  }
}

/** How long a body read whole may go without a byte before it fails (`digestStream`). */
const BODY_IDLE_MS = 120_000;

export interface DigestStreamOptions {
  /** A stop (Ctrl-C, SIGTERM): rejects with it at once. */
  readonly signal?: AbortSignal | undefined;
  /** Fails once the body has sent nothing for this long; default `BODY_IDLE_MS`. */
  readonly idleMs?: number | undefined;
}

/**
 * The digest of a stream read to its end (an S3 object's body). An error on the way (a connection
 * cut mid-body), a body that sends nothing for `idleMs`, or an aborted `signal` rejects and
 * destroys the stream: `body.pipe(hasher)` would leave the hasher waiting for an end that never
 * comes.
 */
export async function digestStream(body: Readable, options: DigestStreamOptions = {}): Promise<StreamDigest> {
  const idleMs = options.idleMs ?? BODY_IDLE_MS;
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), idleMs);
  };
  const watch = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      arm();
      done(null, chunk);
    },
  });
  const hasher = new HashStream();
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const stop = options.signal;
  arm();
  try {
    await pipeline(body, watch, hasher, discard, {
      signal: stop === undefined ? idle.signal : AbortSignal.any([stop, idle.signal]),
    });
  } catch (error) {
    stop?.throwIfAborted();
    if (idle.signal.aborted)
      throw new Error(`the body sent nothing for ${idleMs / 1000} s`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return hasher.digest();
}
