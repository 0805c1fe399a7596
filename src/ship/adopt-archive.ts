/**
 * Crash-safe finish: a run killed after its zip landed but before it recorded the archive as
 * shipped must be able to finish on rerun without ever overwriting it. Before uploading, the run
 * records a shipping intent (run id, location, payload manifest hash). A rerun that finds the
 * intent and an archive at that location reads the archive back and adopts it only when its
 * payload manifest (manifest-sha256.txt) is exactly what the store would seal now; the zip bytes
 * themselves differ between runs (the sealed custody log and summary carry run times), so the
 * payload manifest is the comparison that means "same evidence". Once the store recorded the
 * archive as landed (a run stopped in read-back or verify), the rerun knows the very zip: it must
 * be those bytes (SHA-256 and size) and hold the manifest that landed.
 */
import { createHash } from 'node:crypto';
import type { CustodyLog } from '../archive/custody-log.js';
import { ExportError } from '../errors.js';
import { createS3Client } from '../sink/s3-sink.js';
import {
  archiveFileName,
  sidecarText,
  type ArchiveRef,
  type Sink,
  type WrittenArchive,
} from '../sink/sink.js';
import type { BagSource } from '../verify/bag-source.js';
import { openLocalZip, openS3Zip } from '../verify/zip-source.js';

/** Recorded in the store (meta `shipping`) before the upload starts. */
export interface ShippingIntent {
  readonly runId: string;
  readonly location: string;
  /** SHA-256 of the payload manifest the store seals (`payloadManifestSha256` in src/seal/). */
  readonly manifestSha256: string;
  readonly at: string;
}

export interface DestinationAccess {
  readonly region?: string;
  readonly endpoint?: string;
  readonly force_path_style?: boolean;
}

export function shippingIntentOf(value: unknown): ShippingIntent | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<ShippingIntent>;
  return typeof v.runId === 'string' && typeof v.manifestSha256 === 'string' && typeof v.location === 'string'
    ? (v as ShippingIntent)
    : null;
}

async function readEntry(source: BagSource, path: string): Promise<Buffer | null> {
  const i = source.index.get(path);
  const file = i === undefined ? undefined : source.files[i];
  if (file === undefined) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of await source.open(file)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The payload manifest hash and sealed summary of a stored zip (local path or `s3://`). */
async function readSealed(
  location: string,
  dest: DestinationAccess,
  signal: AbortSignal | undefined,
): Promise<{ manifestSha256: string | null; summary: Buffer | null }> {
  let source: BagSource;
  let client: ReturnType<typeof createS3Client> | null = null;
  if (location.startsWith('s3://')) {
    const rest = location.slice('s3://'.length);
    const slash = rest.indexOf('/');
    client = createS3Client({
      ...(dest.region !== undefined ? { region: dest.region } : {}),
      ...(dest.endpoint !== undefined ? { endpoint: dest.endpoint } : {}),
      forcePathStyle: dest.force_path_style ?? false,
    });
    source = await openS3Zip(client, rest.slice(0, slash), rest.slice(slash + 1), signal).catch(
      (error: unknown) => {
        client?.destroy();
        throw error;
      },
    );
  } else source = await openLocalZip(location, signal);
  try {
    const manifest = await readEntry(source, 'manifest-sha256.txt');
    return {
      manifestSha256: manifest === null ? null : createHash('sha256').update(manifest).digest('hex'),
      summary: await readEntry(source, 'reports/summary.json'),
    };
  } finally {
    await source.close();
    client?.destroy();
  }
}

export interface AdoptInput {
  readonly sink: Sink;
  readonly ref: ArchiveRef;
  readonly intent: ShippingIntent;
  /** What the store would seal now. */
  readonly manifestSha256: string;
  readonly dest: DestinationAccess;
  readonly custody: CustodyLog;
  /** The bytes that landed, when the store recorded them: anything else there is refused. */
  readonly landed?: { readonly sha256: string; readonly bytes: number };
  /** A stop (Ctrl-C, SIGTERM) while the archive is read: it throws, nothing is written. */
  readonly signal?: AbortSignal | undefined;
}

export interface Adopted {
  readonly written: WrittenArchive;
  /** `reports/summary.json` as sealed in the adopted zip (what belongs beside it). */
  readonly sealedSummary: Buffer | null;
}

/** Writes a beside file unless one is already there (never overwrites; the caller checks it). */
export async function putBesideIfAbsent(
  sink: Sink,
  ref: ArchiveRef,
  fileName: string,
  bytes: Uint8Array | string,
  contentType: string,
): Promise<boolean> {
  try {
    await sink.putBeside(ref, fileName, bytes, contentType);
    return true;
  } catch (error) {
    if (error instanceof ExportError && error.code === 'destination_exists') return false;
    throw error;
  }
}

export function refusal(location: string, why: string): ExportError {
  return new ExportError(
    'destination_exists',
    `${location} already exists and cannot be adopted by this run: ${why}; refusing to overwrite an archive (move it aside to ship again)`,
  );
}

/**
 * Adopts the archive a killed run of this job left at the destination, or returns null when
 * there is none (ship normally). Throws `destination_exists` naming the object and the reason
 * when one is there but is not this run's evidence.
 */
export async function adoptArchive(input: AdoptInput): Promise<Adopted | null> {
  const { sink, ref, intent, landed, signal } = input;
  const found = await sink.digestStored(ref, signal);
  if (found === null) return null;
  if (landed !== undefined && (found.sha256 !== landed.sha256 || found.bytes !== landed.bytes)) {
    throw refusal(
      found.location,
      `it is ${found.bytes} bytes hashing to ${found.sha256}; the archive that landed was ${landed.bytes} bytes hashing to ${landed.sha256}`,
    );
  }
  let sealed: { manifestSha256: string | null; summary: Buffer | null };
  try {
    sealed = await readSealed(found.location, input.dest, signal);
  } catch (error) {
    signal?.throwIfAborted();
    throw refusal(found.location, `it cannot be read as a zip (${(error as Error).message})`);
  }
  // A stop while the zip was opened reads as a zip without a manifest: it is the stop.
  signal?.throwIfAborted();
  if (sealed.manifestSha256 === null) throw refusal(found.location, 'it holds no manifest-sha256.txt');
  if (sealed.manifestSha256 !== input.manifestSha256) {
    throw refusal(
      found.location,
      `its payload manifest hashes to ${sealed.manifestSha256}, the staged data seals to ${input.manifestSha256}` +
        (intent.manifestSha256 === input.manifestSha256
          ? ''
          : ' (the staged data changed since it was shipped)'),
    );
  }
  // Killed between the zip and its sidecar: write the sidecar now; one already there is checked
  // by the read-back that follows.
  const zipName = archiveFileName(ref);
  const sidecarWritten = await putBesideIfAbsent(
    sink,
    ref,
    `${zipName}.sha256`,
    sidecarText(found.sha256, zipName),
    'text/plain; charset=utf-8',
  );
  await input.custody.append('ship_adopted', {
    location: found.location,
    bytes: found.bytes,
    sha256: found.sha256,
    crc32: found.crc32,
    manifestSha256: sealed.manifestSha256,
    intentAt: intent.at,
    sidecarWritten,
  });
  return { written: found, sealedSummary: sealed.summary };
}
