import type { Readable } from 'node:stream';
import { AttemptFailure, type AttemptContext } from './attempt.js';
import { headerValue } from './headers.js';
import type { Redactor } from './redact.js';
import type { TransportResponse } from './transport.js';

/**
 * Reading response bodies within bounds. Every byte is hostile (a never-ending body once grew the
 * process by ~330 MB/s until it was killed), so each kind of body has a cap, and a body that
 * passes it is cut off (the connection is dropped) and fails with `response_too_large`, not
 * retried: the same server would send the same body again.
 *
 * - JSON (pages, records, artifact and document content): 64 MiB by default. Real pages are far
 *   smaller (activity pages at limit=1000 run 1-3 MB, compliance-api.md §7.3).
 * - Error bodies: only the first 64 KiB are read, then the body is dropped.
 * - Downloads: see downloadByteCap.
 */
export interface BodyLimits {
  /** Largest JSON body accepted. Default 64 MiB. */
  jsonBytes: number;
  /** Largest download accepted when the listing gives no size, and the cap of every download. Default 1 GiB. */
  downloadBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_BODY_LIMITS: BodyLimits = { jsonBytes: 64 * MiB, downloadBytes: 1024 * MiB };

const MAX_ERROR_BODY = 64 * 1024;
/** Served bytes may legitimately differ from the listed size_bytes (§3.10): this much, or 2x. */
const DOWNLOAD_SLACK_BYTES = 16 * MiB;
/** Slowest transfer rate a download may average before its deadline (128 KiB/s). */
const DOWNLOAD_FLOOR_BYTES_PER_S = 128 * 1024;

/**
 * Bytes a download may have: min(cap, max(2 x listed, listed + 16 MiB)) when the listing gives a
 * size, else the cap. The slack is generous because the served bytes may be a processed copy or
 * extracted text of the listed file (§3.10), so only a body far past its listing is refused.
 */
export function downloadByteCap(expectedSize: number | null | undefined, capBytes: number): number {
  if (expectedSize === null || expectedSize === undefined || !(expectedSize >= 0)) return capBytes;
  return Math.min(capBytes, Math.max(2 * expectedSize, expectedSize + DOWNLOAD_SLACK_BYTES));
}

/**
 * Overall deadline of one download attempt: the time the largest body it may have (downloadByteCap)
 * takes at 128 KiB/s, but at least `minMs` (default 10 min). A 1 GiB cap gives about 2 h 20 min.
 */
export function downloadDeadlineMs(allowedBytes: number, minMs: number): number {
  return Math.max(minMs, Math.ceil((allowedBytes / DOWNLOAD_FLOOR_BYTES_PER_S) * 1000));
}

/** Drop a body nobody will read: frees the connection. undici emits an AbortError on destroy; swallow it. */
export function discardBody(body: Readable): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}

/** Fail at once when Content-Length already announces more than `cap` bytes. */
export function refuseAnnouncedLength(ctx: AttemptContext, cap: number, what: string): void {
  const announced = Number(headerValue(ctx.headers, 'content-length') ?? NaN);
  if (Number.isFinite(announced) && announced > cap) {
    throw new AttemptFailure(
      'too_large',
      `${what}: Content-Length ${announced} is past the cap of ${cap} bytes`,
    );
  }
}

/** Read a whole JSON body of at most `maxBytes`. */
export async function readJsonBody(
  response: TransportResponse,
  ctx: AttemptContext,
  maxBytes: number,
): Promise<{ text: string; value: unknown }> {
  refuseAnnouncedLength(ctx, maxBytes, 'JSON body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buf = chunk as Buffer;
    ctx.bytes += buf.length;
    size += buf.length;
    if (size > maxBytes) {
      discardBody(response.body);
      throw new AttemptFailure('too_large', `JSON body passed the cap of ${maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    throw new AttemptFailure('invalid_response', `response body is not JSON (${text.length} chars)`);
  }
}

export interface ErrorBodyFields {
  errorType: string | null;
  detailCode: string | null;
  serverMessage: string | null;
}

/**
 * Read the first 64 KiB of an error body, `{ error: { type, message, details?: { error_code } } }`
 * (§5.1), then drop the rest. Every field is redacted: a server may echo the key in any of them.
 */
export async function readErrorBody(
  response: TransportResponse,
  ctx: AttemptContext,
  redact: Redactor,
): Promise<ErrorBodyFields> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      const buf = chunk as Buffer;
      ctx.bytes += buf.length;
      chunks.push(buf);
      size += buf.length;
      if (size >= MAX_ERROR_BODY) {
        discardBody(response.body);
        break;
      }
    }
  } catch {
    // an error body cut short still tells us the status; keep what arrived
  }
  const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY);
  const field = (value: unknown, max = 200): string | null =>
    typeof value === 'string' ? redact(value.slice(0, max)) : null;
  try {
    const body = JSON.parse(text) as {
      error?: { type?: unknown; message?: unknown; details?: { error_code?: unknown } };
    };
    const err = body.error;
    return {
      errorType: field(err?.type),
      detailCode: field(err?.details?.error_code),
      serverMessage: field(err?.message, 500),
    };
  } catch {
    return { errorType: null, detailCode: null, serverMessage: null };
  }
}
