import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { WriteStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { ExportError } from '../errors.js';
import { AttemptFailure, type AttemptContext } from './attempt.js';
import { downloadByteCap, downloadDeadlineMs, refuseAnnouncedLength } from './body-readers.js';
import type { Clock } from './clock.js';
import { parseContentDisposition } from './content-disposition.js';
import { headerValue } from './headers.js';
import type { QueryParams } from './query.js';
import { redactNullable, type Redactor } from './redact.js';
import type { RequestExecutor } from './request-executor.js';
import { isRetryable } from './retry-timing.js';

/**
 * Streaming downloads (compliance-api.md §3.10, §3.15): bytes go to the caller's sink as they
 * arrive (never buffered whole), MD5 and SHA-256 are computed on the fly, and the result is checked
 * against `Content-MD5` and the metadata `md5`/`size_bytes`. A mismatch or a body cut short is
 * retried from the start (the sink is reopened/reset); if it persists the error is typed
 * (`checksum_mismatch`, `body_truncated`).
 *
 * A download is bounded in bytes (downloadByteCap: the listed size plus generous slack, or the
 * absolute cap when the listing gives none, and never past its own Content-Length) and in time
 * (downloadDeadlineMs). Past either it stops at once and the attempt's sink is discarded; too many
 * bytes fail with `response_too_large` and are not retried.
 */

/** Receives bytes chunk by chunk; `reset` is called before a retry starts over. */
export interface ChunkSink {
  write(chunk: Buffer): void | Promise<void>;
  reset?(): void | Promise<void>;
}

/**
 * Where the bytes go:
 * - a factory `(attempt) => Writable`: a fresh Writable per attempt. It is ended only after the
 *   bytes verified; a failed attempt's Writable is destroyed (no 'error' event) and the caller
 *   discards what it wrote. This is the shape for temp-file-then-rename stores.
 * - a ChunkSink with `reset` (for retries) — without `reset`, a failure after bytes were written
 *   cannot be retried;
 * - a plain Writable: same restriction; ended on success, destroyed on failure.
 */
export type DownloadSink = ((attempt: number) => Writable | Promise<Writable>) | ChunkSink | Writable;

export interface DownloadExpectations {
  /** Lower-case hex MD5 from the metadata (`md5`). */
  expectedMd5?: string | null | undefined;
  /** `size_bytes` from the metadata. */
  expectedSize?: number | null | undefined;
  signal?: AbortSignal | undefined;
}

export interface DownloadResult {
  sha256: string;
  /** Lower-case hex. */
  md5: string;
  size: number;
  contentType: string | null;
  /** Decoded from Content-Disposition (`filename*` first); untrusted, see safeBaseName. */
  filename: string | null;
  /** The Content-MD5 header as sent (base64), or null. */
  contentMd5: string | null;
  /** What the bytes were verified against. */
  verified: { contentMd5: boolean; metadataMd5: boolean; metadataSize: boolean };
  /**
   * Metadata that disagreed with bytes the Content-MD5 header vouched for: the header wins
   * (§3.10: served bytes may be a processed copy), so this is reported, not failed.
   */
  metadataMismatch: { md5?: string; size?: number } | null;
  requestId: string | null;
  endpoint: string;
  query: string;
  attempts: number;
  fetchedAt: string;
}

interface AttemptSink {
  write(chunk: Buffer): Promise<void>;
  commit(): Promise<void>;
  discard(): Promise<void>;
  /** Whether another attempt can start over (false: bytes already went somewhere unrewindable). */
  rewindable(): boolean;
}

function openSink(
  sink: DownloadSink,
  attempt: number,
  used: { bytes: boolean },
): Promise<AttemptSink> | AttemptSink {
  if (typeof sink === 'function') {
    return Promise.resolve(sink(attempt)).then((w) => writableSink(w, () => true));
  }
  if (sink instanceof Writable) return writableSink(sink, () => !used.bytes);
  return {
    write: async (chunk) => {
      used.bytes = true;
      await sink.write(chunk);
    },
    commit: async () => undefined,
    discard: async () => {
      if (sink.reset !== undefined) await sink.reset();
    },
    rewindable: () => sink.reset !== undefined || !used.bytes,
  };

  function writableSink(w: Writable, rewindable: () => boolean): AttemptSink {
    // A write the stream accepted may fail later (a full disk, EIO) while the body waits for its
    // next chunk: the 'error' is kept here and thrown at the next step, never left unhandled
    // (an unhandled 'error' event ends the process).
    let failed: Error | null = null;
    w.on('error', (e: Error) => {
      failed ??= e;
    });
    // `errored` is set as the stream is destroyed; the 'error' event follows once its file is closed.
    const failure = (): Error | null => failed ?? w.errored ?? null;
    const check = (): void => {
      const e = failure();
      if (e !== null) throw e;
    };
    return {
      write: async (chunk) => {
        used.bytes = true;
        check();
        if (!w.write(chunk)) await settled(w, 'drain', failure);
      },
      commit: async () => {
        check();
        // A file stream fsyncs (`flush`) and closes only after 'finish'; the caller moves the file next.
        const done = [settled(w, 'finish', failure)];
        if (w instanceof WriteStream) done.push(settled(w, 'close', failure));
        w.end();
        await Promise.all(done);
      },
      discard: async () => {
        // Wait until it has really closed: a file stream's last write may still be in flight, and
        // the next attempt may reopen the same path (bounded, in case a Writable never emits close).
        const closed = w.closed
          ? Promise.resolve()
          : once(w, 'close').then(
              () => undefined,
              () => undefined,
            );
        w.destroy();
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      },
      rewindable,
    };
  }
}

export async function streamDownload(
  executor: RequestExecutor,
  clock: Clock,
  path: string,
  params: QueryParams,
  sink: DownloadSink,
  expect: DownloadExpectations = {},
): Promise<DownloadResult> {
  const used = { bytes: false };
  const allowed = downloadByteCap(expect.expectedSize, executor.limits.downloadBytes);
  const deadlineMs = downloadDeadlineMs(allowed, executor.timeouts.downloadTotalMs);
  const bounds: ByteBound = { allowed, listed: expect.expectedSize ?? 'not listed' };
  return executor.run(
    'GET',
    path,
    params,
    async (response, ctx) => {
      refuseAnnouncedLength(ctx, allowed, `download (size_bytes ${bounds.listed})`);
      const out = await sinkStep(ctx.target.path, 'open', () => openSink(sink, ctx.attempt, used));
      try {
        const digest = await copyBody(response.body, ctx, out, bounds);
        const checked = verify(digest.md5, digest.size, ctx.headers, expect);
        await sinkStep(ctx.target.path, 'finish', () => out.commit());
        return downloadResult(executor.redact, clock, ctx, digest, checked);
      } catch (error) {
        await out.discard();
        throw unrewindable(executor.redact, ctx.target.path, error, out) ?? error;
      }
    },
    { signal: expect.signal, deadlineMs },
  );
}

/** The most bytes a download may have, and its listed size for messages. */
interface ByteBound {
  readonly allowed: number;
  readonly listed: number | string;
}

interface BodyDigest {
  readonly md5: Buffer;
  /** Lower-case hex. */
  readonly sha256: string;
  readonly size: number;
}

/** Copy the body into the attempt's sink, hashing as it goes; stopped at once past `allowed` bytes. */
async function copyBody(
  body: Readable,
  ctx: AttemptContext,
  out: AttemptSink,
  bound: ByteBound,
): Promise<BodyDigest> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    ctx.bytes += buf.length;
    if (size > bound.allowed) {
      throw new AttemptFailure(
        'too_large',
        `download passed ${bound.allowed} bytes (size_bytes ${bound.listed}) and was stopped`,
      );
    }
    md5.update(buf);
    sha256.update(buf);
    await sinkStep(ctx.target.path, 'write', () => out.write(buf));
  }
  return { md5: md5.digest(), sha256: sha256.digest('hex'), size };
}

function downloadResult(
  redact: Redactor,
  clock: Clock,
  ctx: AttemptContext,
  digest: BodyDigest,
  checked: ReturnType<typeof verify>,
): DownloadResult {
  return {
    sha256: digest.sha256,
    md5: digest.md5.toString('hex'),
    size: digest.size,
    contentType: headerValue(ctx.headers, 'content-type') ?? null,
    // headers are redacted already; the percent-decoded name is a new string, so again
    filename: redactNullable(
      redact,
      parseContentDisposition(headerValue(ctx.headers, 'content-disposition')),
    ),
    contentMd5: headerValue(ctx.headers, 'content-md5') ?? null,
    verified: checked.verified,
    metadataMismatch: checked.mismatch,
    requestId: ctx.requestId,
    endpoint: ctx.target.path,
    query: ctx.target.query,
    attempts: ctx.attempt,
    fetchedAt: new Date(clock.now()).toISOString(),
  };
}

/**
 * A failed attempt the executor would retry, after bytes went to a sink that cannot start over:
 * a typed error that says so (retryable by a later run), else null and the error stands as it is.
 */
function unrewindable(redact: Redactor, path: string, error: unknown, out: AttemptSink): ExportError | null {
  const final = error instanceof AttemptFailure && !isRetryable({ failure: error.kind });
  if (error instanceof ExportError || final || out.rewindable()) return null;
  return new ExportError(
    error instanceof AttemptFailure && error.kind === 'checksum' ? 'checksum_mismatch' : 'body_truncated',
    `${path}: ${redact((error as Error).message)}; not retried: the sink cannot be rewound (pass a factory or a ChunkSink with reset)`,
    { cause: error, retryable: true },
  );
}

/** Run a sink operation; its failure (disk full, permissions) is ours, final, and not retried. */
/**
 * Resolves on `event`; rejects on the stream's error (one already seen included), or when it
 * closes first, so a destroyed stream never leaves the download waiting for a 'drain' that will
 * not come.
 */
function settled(
  w: Writable,
  event: 'drain' | 'finish' | 'close',
  failure: () => Error | null,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = (): void => {
      w.off(event, onEvent);
      w.off('error', onError);
      w.off('close', onClose);
    };
    const onEvent = (): void => {
      off();
      const e = failure();
      if (e !== null) reject(e);
      else resolve();
    };
    const onError = (e: Error): void => {
      off();
      reject(e);
    };
    const onClose = (): void => {
      off();
      reject(failure() ?? new Error(`the sink closed before '${event}'`));
    };
    const seen = failure();
    if (seen !== null) return reject(seen);
    if (w.destroyed && event !== 'close') return reject(new Error(`the sink closed before '${event}'`));
    if (w.closed && event === 'close') return resolve();
    w.on(event, onEvent);
    w.on('error', onError);
    if (event !== 'close') w.on('close', onClose);
  });
}

/** Local disk errors that mean "no room": the run stops at a clean checkpoint (`disk_full`). */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

async function sinkStep<R>(path: string, what: string, step: () => R | Promise<R>): Promise<R> {
  try {
    return await step();
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    throw new ExportError(
      errno !== undefined && NO_SPACE.has(errno) ? 'disk_full' : 'internal',
      `${path}: download sink failed to ${what}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

function verify(
  md5: Buffer,
  size: number,
  headers: Record<string, string | string[] | undefined>,
  expect: DownloadExpectations,
): { verified: DownloadResult['verified']; mismatch: DownloadResult['metadataMismatch'] } {
  const verified = { contentMd5: false, metadataMd5: false, metadataSize: false };
  const lengthHeader = headerValue(headers, 'content-length');
  if (lengthHeader !== undefined && Number(lengthHeader) !== size) {
    throw new AttemptFailure('truncated', `body has ${size} bytes, Content-Length says ${lengthHeader}`);
  }
  const headerMd5 = headerValue(headers, 'content-md5');
  if (headerMd5 !== undefined) {
    if (headerMd5.trim() !== md5.toString('base64')) {
      throw new AttemptFailure(
        'checksum',
        `Content-MD5 is ${headerMd5.trim()}, the body hashes to ${md5.toString('base64')}`,
      );
    }
    verified.contentMd5 = true;
  }
  const mismatch: { md5?: string; size?: number } = {};
  const hex = md5.toString('hex');
  if (expect.expectedMd5 !== undefined && expect.expectedMd5 !== null) {
    if (expect.expectedMd5.toLowerCase() === hex) verified.metadataMd5 = true;
    else if (verified.contentMd5) mismatch.md5 = expect.expectedMd5;
    else
      throw new AttemptFailure(
        'checksum',
        `metadata md5 is ${expect.expectedMd5}, the body hashes to ${hex}`,
      );
  }
  if (expect.expectedSize !== undefined && expect.expectedSize !== null) {
    if (expect.expectedSize === size) verified.metadataSize = true;
    else if (verified.contentMd5) mismatch.size = expect.expectedSize;
    else
      throw new AttemptFailure(
        'checksum',
        `metadata size_bytes is ${expect.expectedSize}, the body has ${size} bytes`,
      );
  }
  return { verified, mismatch: Object.keys(mismatch).length === 0 ? null : mismatch };
}
