/**
 * Destinations for a sealed archive. Both sinks lay objects out the same way, under the
 * destination root:
 *
 *   <root>/<name>/<run-id>/<name>-<run-id>.zip   (or volumes: <name>-<run-id>.vol001-of-003.zip, …)
 *   <root>/<name>/<run-id>/<name>-<run-id>.zip.sha256   (sha256sum format)
 *   <root>/<name>/<run-id>/summary.json, custody.jsonl  (beside files, via putBeside)
 *
 * A sink never overwrites: an existing archive key is refused before and during the write.
 */
import type { Readable } from 'node:stream';
import type { BagSource } from '../verify/bag-source.js';

/** Which archive a call is about. */
export interface ArchiveRef {
  readonly name: string;
  /** `20261122T101300Z`. */
  readonly runId: string;
  /** One volume of a set (`archive.max_volume_size`): `<name>-<run-id>.vol002-of-003.zip`. */
  readonly volume?: { readonly index: number; readonly count: number };
}

export interface PreflightCheck {
  readonly check: 'destination' | 'versioning' | 'object_lock' | 'not_exists' | 'can_write' | 'kms';
  readonly ok: boolean;
  readonly detail: string;
}

export interface PreflightOptions {
  /**
   * An archive for `ref` may already be there (a resumed run that was shipping it when it was
   * killed): record it instead of throwing `destination_exists`. The caller must then adopt or
   * refuse it; nothing is ever overwritten either way.
   */
  readonly allowExisting?: boolean;
}

export interface WrittenArchive {
  /** `s3://bucket/key` or an absolute file path. */
  readonly location: string;
  readonly sidecarLocation: string;
  readonly bytes: number;
  /** SHA-256 of the zip bytes as they went out (what the sidecar holds). */
  readonly sha256: string;
  /** Full-object CRC32 of the bytes, base64 of the big-endian value (S3's `ChecksumCRC32` form). */
  readonly crc32: string;
  readonly versionId?: string;
  readonly parts?: number;
}

export interface ReadBackResult {
  readonly ok: boolean;
  /** How the stored bytes were checked: S3's full-object checksum, or reading them back. */
  readonly method: 'checksum' | 'bytes';
  readonly expected: { readonly bytes: number; readonly sha256: string; readonly crc32: string };
  readonly actual: { readonly bytes: number; readonly sha256?: string; readonly crc32?: string };
  /** Sidecar, Object Lock and legal-hold checks, each named. */
  readonly problems: readonly string[];
}

export interface Sink {
  /** Human-readable destination root (`s3://bucket/prefix`, `/abs/path`). */
  readonly root: string;
  /** Where the archive for `ref` goes (`s3://…/x.zip` or an absolute path). */
  locationOf(ref: ArchiveRef): string;
  /**
   * Checks before any work: the destination exists, retention prerequisites (S3 versioning and
   * Object Lock) when asked, the credentials can write, and the archive does not exist yet.
   * Throws `destination_unreachable` or `destination_exists`; returns the checks it ran.
   */
  preflight(ref: ArchiveRef, options?: PreflightOptions): Promise<readonly PreflightCheck[]>;
  /**
   * The part of `preflight` that needs no write, for `plan`, which must leave the destination as
   * it found it: the destination is there (S3: the bucket answers and, when retention is asked,
   * versioning and Object Lock are on; local: the folder, or the nearest one above it that
   * exists, is a writable directory). Writes nothing. Throws `destination_unreachable`.
   */
  inspect(): Promise<readonly PreflightCheck[]>;
  /**
   * Streams `body` (the zip) to the destination, hashing it on the way, then writes the
   * `.sha256` sidecar. On failure the partial upload is aborted and `body` destroyed.
   */
  writeArchive(ref: ArchiveRef, body: Readable): Promise<WrittenArchive>;
  /** Writes a small file beside the archive (`summary.json`, `custody.jsonl`); never overwrites. */
  putBeside(
    ref: ArchiveRef,
    fileName: string,
    bytes: Uint8Array | string,
    contentType: string,
  ): Promise<string>;
  /** Checks what is stored against what was written; an aborted `signal` stops it (it throws). */
  readBack(ref: ArchiveRef, written: WrittenArchive, signal?: AbortSignal): Promise<ReadBackResult>;
  /**
   * Reads the archive already stored for `ref` and hashes it as `writeArchive` would have (size,
   * SHA-256, CRC32), so a resumed run can adopt an archive its killed predecessor wrote.
   * `null` when there is none.
   */
  digestStored(ref: ArchiveRef, signal?: AbortSignal): Promise<WrittenArchive | null>;
  /**
   * Run-ids of this job's archives at the destination (`<root>/<name>/<run-id>/` holding both
   * `<name>-<run-id>.zip` and its `.sha256` sidecar), oldest first. Read-only; names that are not
   * run-ids are ignored. What a snapshot series finds its base in (never local state).
   */
  listRuns(name: string): Promise<string[]>;
  /**
   * The stored archive of `ref`, opened for ranged reads (a local file, or S3 GETs pinned to the
   * ETag seen first); null when there is none. Read-only.
   */
  openStored(ref: ArchiveRef): Promise<BagSource | null>;
  /**
   * The stored archive's Object Lock state (S3 with retention): retain-until (ISO) and legal hold;
   * null when it has none or the destination has no Object Lock (local).
   */
  lockOf(
    ref: ArchiveRef,
  ): Promise<{ readonly retainUntil: string | null; readonly legalHold: boolean } | null>;
}

export function archiveFileName(ref: ArchiveRef): string {
  const v = ref.volume;
  if (v === undefined) return `${ref.name}-${ref.runId}.zip`;
  const width = Math.max(3, String(v.count).length);
  const pad = (n: number): string => String(n).padStart(width, '0');
  return `${ref.name}-${ref.runId}.vol${pad(v.index)}-of-${pad(v.count)}.zip`;
}

/** The path of the archive relative to the destination root: `<name>/<run-id>/<name>-<run-id>.zip`. */
export function archiveRelativePath(ref: ArchiveRef): string {
  return `${ref.name}/${ref.runId}/${archiveFileName(ref)}`;
}

/** `sha256sum` format: hash, two spaces, the file name (binary-mode marker omitted), newline. */
export function sidecarText(sha256: string, fileName: string): string {
  return `${sha256}  ${fileName}\n`;
}

/** Parses a `sha256sum` line: `<hex>  <name>` or `<hex> *<name>`. */
export function parseSidecar(text: string): { sha256: string; fileName: string } | null {
  const match = /^([0-9a-fA-F]{64}) [ *](.+?)\r?\n?$/u.exec(text.split('\n')[0] ?? '');
  if (match === null) return null;
  return { sha256: (match[1] ?? '').toLowerCase(), fileName: match[2] ?? '' };
}

export function beside(ref: ArchiveRef, fileName: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/u.test(fileName)) throw new Error(`unsafe beside-file name ${fileName}`);
  return `${ref.name}/${ref.runId}/${fileName}`;
}

/**
 * A run-id (`20261122T101300Z`, `runIdFromCut`) naming a real UTC second: what a listing keeps of
 * a destination's folder or key names (anything else there is not one of our runs).
 */
export function isRunId(text: string): boolean {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$/u.exec(text);
  if (m === null) return false;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
  const date = new Date(iso);
  return !Number.isNaN(date.getTime()) && date.toISOString() === iso;
}

/** A job name as the sealer accepts it (`sealBag`): a slug, never `..`. */
export function isJobName(text: string): boolean {
  return /^[a-z0-9][a-z0-9._-]{0,99}$/iu.test(text) && !text.includes('..');
}
