/**
 * Reading archives a destination already holds (snapshot bases, chains to materialize or verify).
 * A stored archive is outside input like any other: it is read through the verifier's zip reader
 * (CRC-checked entries, one top folder, no symlinks), its top folder must be the one its ref
 * names, and a tag file copied out of it must match its line in `tagmanifest-sha256.txt`.
 * Anything else is `chain_broken`, naming the archive's location.
 */
import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExportError } from '../errors.js';
import type { ArchiveRef, Sink } from '../sink/sink.js';
import type { BagSource, SourceFile } from '../verify/bag-source.js';
import { manifestLines, parseBagInfo } from '../verify/parse-tag-files.js';
import { INVENTORY_JSONL } from './types.js';

export { readInventory } from './read-inventory.js';
export { locateArchive, type LocatedArchive, type S3Access } from './locate-archive.js';

/** One stored archive, open for ranged reads. */
export interface StoredArchive {
  readonly ref: ArchiveRef;
  /** `s3://bucket/key.zip` or an absolute path. */
  readonly location: string;
  readonly source: BagSource;
  /** bag-info.txt, parsed (labels as written). */
  readonly bagInfo: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

/** A run `findBase` passed over, and why (for the run's log). */
export interface SkippedRun {
  readonly runId: string;
  readonly location: string;
  readonly reason: string;
}

/** bag-info.txt and the tag manifest list a few dozen lines; a larger one is not ours. */
const MAX_TAG_TEXT = 4 * 1024 * 1024;
const TAG_MANIFEST = 'tagmanifest-sha256.txt';

const broken = (message: string, cause?: unknown): ExportError =>
  new ExportError('chain_broken', message, cause === undefined ? {} : { cause });

/** Opens the archive `ref` stored in `sink` and reads its bag-info; null when it is not there. */
export async function openStoredArchive(sink: Sink, ref: ArchiveRef): Promise<StoredArchive | null> {
  const location = sink.locationOf(ref);
  const source = await sink.openStored(ref);
  if (source === null) return null;
  try {
    if (source.problems.length > 0) {
      const listed = source.problems
        .slice(0, 3)
        .map((p) => `${p.code}${p.path === undefined ? '' : ` ${p.path}`}: ${p.message}`);
      const more = source.problems.length > 3 ? ` (+${source.problems.length - 3} more)` : '';
      throw broken(`${location}: ${listed.join('; ')}${more}`);
    }
    const folder = `${ref.name}-${ref.runId}`;
    if (source.folder !== folder) {
      throw broken(`${location}: top folder is ${JSON.stringify(source.folder)}, expected ${folder}`);
    }
    const bagInfo = parseBagInfo(await readText(source, location, 'bag-info.txt'));
    return { ref, location, source, bagInfo, close: () => source.close() };
  } catch (error) {
    await source.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Copies a tag file (`reports/inventory.jsonl`) out of the archive to `toPath` (0600), at most
 * `maxBytes`, and checks its SHA-256 against the archive's `tagmanifest-sha256.txt`. Throws
 * `chain_broken` naming the archive and the file when it is missing, too large or differs; the
 * partial copy is removed then.
 */
export async function copyTagFile(
  archive: StoredArchive,
  bagPath: string,
  toPath: string,
  maxBytes: number,
): Promise<{ sha256: string; size: number }> {
  const where = `${archive.location}: ${bagPath}`;
  const file = fileOf(archive.source, bagPath);
  if (file === undefined) throw broken(`${where}: not in the archive`);
  if (file.size > maxBytes) throw broken(`${where}: ${file.size} bytes, over the ${maxBytes}-byte cap`);
  const expected = await tagManifestHash(archive, bagPath);
  if (expected === null) throw broken(`${where}: not listed in ${TAG_MANIFEST}`);
  const counter = new HashingCap(maxBytes);
  let handle;
  try {
    await unlink(toPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    // Exclusive create (never through a symlink planted at toPath), then the exact mode.
    handle = await open(toPath, 'wx', 0o600);
    await handle.chmod(0o600);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    throw localError(toPath, error);
  }
  // Which side failed decides the code: the copy's folder (local), or the archive (chain_broken).
  const out = handle.createWriteStream();
  let writeFailed = false;
  out.on('error', () => {
    writeFailed = true;
  });
  try {
    await pipeline(await archive.source.open(file), counter, out);
  } catch (error) {
    await unlink(toPath).catch(() => undefined);
    if (writeFailed) throw localError(toPath, error);
    const reason = counter.over ? `over the ${maxBytes}-byte cap` : (error as Error).message;
    throw broken(`${where}: ${reason}`, error);
  } finally {
    // The write stream closes it on success; on failure it may still be open.
    await handle.close().catch(() => undefined);
  }
  const sha256 = counter.sha256();
  if (sha256 !== expected || counter.size !== file.size) {
    await unlink(toPath).catch(() => undefined);
    throw broken(
      `${where}: sha256 ${sha256} (${counter.size} bytes), ${TAG_MANIFEST} says ${expected} (${file.size} bytes)`,
    );
  }
  return { sha256, size: counter.size };
}

/**
 * The base of the next snapshot of job `name`: the newest archive the destination lists
 * (`sink.listRuns`) that opens and carries an inventory, or null when the destination holds none.
 */
export async function findBase(sink: Sink, name: string): Promise<StoredArchive | null> {
  return (await findBaseReporting(sink, name)).base;
}

/**
 * `findBase`, also returning the newer runs it passed over and why: an archive that is not a
 * sound bag (`chain_broken`: garbage, wrong folder, no bag-info) or carries no inventory (sealed
 * before snapshots). Any other failure (the destination cannot be read) is thrown, never
 * skipped: falling back to an older base because of a network error would fork the series.
 */
export async function findBaseReporting(
  sink: Sink,
  name: string,
): Promise<{ base: StoredArchive | null; skipped: SkippedRun[] }> {
  const skipped: SkippedRun[] = [];
  const runs = await sink.listRuns(name);
  for (const runId of runs.reverse()) {
    const ref = { name, runId };
    const location = sink.locationOf(ref);
    let archive: StoredArchive | null;
    try {
      archive = await openStoredArchive(sink, ref);
    } catch (error) {
      if (!(error instanceof ExportError) || error.code !== 'chain_broken') throw error;
      skipped.push({ runId, location, reason: error.message });
      continue;
    }
    if (archive === null) {
      skipped.push({ runId, location, reason: `${location}: listed but gone` });
      continue;
    }
    let reason: string | null = null;
    try {
      if (fileOf(archive.source, INVENTORY_JSONL) === undefined)
        reason = `${location}: no ${INVENTORY_JSONL}`;
      else if ((await tagManifestHash(archive, INVENTORY_JSONL)) === null)
        reason = `${location}: ${INVENTORY_JSONL} not listed in ${TAG_MANIFEST}`;
    } catch (error) {
      if (!(error instanceof ExportError) || error.code !== 'chain_broken') {
        await archive.close();
        throw error;
      }
      reason = error.message;
    }
    if (reason === null) return { base: archive, skipped };
    skipped.push({ runId, location, reason });
    await archive.close();
  }
  return { base: null, skipped };
}

/** The copy's own folder failed (not the archive): out of space, or not writable. */
function localError(path: string, error: unknown): ExportError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ExportError(
    code === 'ENOSPC' ? 'disk_full' : 'store_corrupt',
    `cannot write ${path}: ${code ?? String(error)}`,
    {
      cause: error,
    },
  );
}

function fileOf(source: BagSource, bagPath: string): SourceFile | undefined {
  const i = source.index.get(bagPath);
  return i === undefined ? undefined : source.files[i];
}

/**
 * The SHA-256 `tagmanifest-sha256.txt` gives `bagPath`, or null when no line names it. Two lines
 * naming it, or a line that is not `<sha256> <path>`, is `chain_broken`.
 */
async function tagManifestHash(archive: StoredArchive, bagPath: string): Promise<string | null> {
  const text = await readText(archive.source, archive.location, TAG_MANIFEST);
  let found: string | null = null;
  for (const line of manifestLines(text)) {
    if (line.checksum === null || !/^[0-9a-f]{64}$/u.test(line.checksum)) {
      throw broken(`${archive.location}: ${TAG_MANIFEST}:${line.line}: not a SHA-256 manifest line`);
    }
    if (line.path !== bagPath) continue;
    if (found !== null)
      throw broken(`${archive.location}: ${TAG_MANIFEST}:${line.line}: ${bagPath} listed twice`);
    found = line.checksum;
  }
  return found;
}

/** A small tag file's text (UTF-8, capped, CRC-checked by the source). */
async function readText(source: BagSource, location: string, bagPath: string): Promise<string> {
  const file = fileOf(source, bagPath);
  if (file === undefined) throw broken(`${location}: ${bagPath}: not in the archive`);
  if (file.size > MAX_TAG_TEXT) throw broken(`${location}: ${bagPath}: ${file.size} bytes, over the cap`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of await source.open(file)) {
      size += (chunk as Buffer).length;
      if (size > MAX_TAG_TEXT) throw new Error('over the cap');
      chunks.push(chunk as Buffer);
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (error) {
    throw broken(`${location}: ${bagPath}: ${(error as Error).message}`, error);
  }
}

/** Pass-through that hashes and counts, failing past `max` bytes. */
class HashingCap extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;
  over = false;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) {
      this.over = true;
      callback(new Error(`over the ${this.max}-byte cap`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
  sha256(): string {
    return this.hash.digest('hex');
  }
}
