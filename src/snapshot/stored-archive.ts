/**
 * Reading archives a destination already holds (snapshot bases, chains to materialize or verify).
 * CONTRACT ONLY: the signatures below are what the incremental run and `materialize` call; the
 * bodies are being written and land with their tests.
 */
import { ExportError } from '../errors.js';
import type { ArchiveRef, Sink } from '../sink/sink.js';
import type { BagSource } from '../verify/bag-source.js';
import type { InventoryLine } from './types.js';

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

/** Where an archive lives, from a zip path or an `s3://` URI of the usual layout. */
export interface LocatedArchive {
  readonly sink: Sink;
  readonly ref: ArchiveRef;
}

export interface S3Access {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
}

const notYet = (): never => {
  throw new ExportError('internal', 'stored-archive reader not built yet');
};

/** Opens the archive `ref` stored in `sink` and reads its bag-info; null when it is not there. */
export function openStoredArchive(_sink: Sink, _ref: ArchiveRef): Promise<StoredArchive | null> {
  return notYet();
}

/**
 * Copies a tag file (`reports/inventory.jsonl`) out of the archive to `toPath` (0600), at most
 * `maxBytes`, and checks its SHA-256 against the archive's `tagmanifest-sha256.txt`. Throws
 * `chain_broken` naming the archive and the file when it is missing, too large or differs.
 */
export function copyTagFile(
  _archive: StoredArchive,
  _bagPath: string,
  _toPath: string,
  _maxBytes: number,
): Promise<{ sha256: string; size: number }> {
  return notYet();
}

/**
 * The lines of an inventory file copied out by `copyTagFile`, validated one by one (a header
 * first, then records; `chain_broken` naming the file and line on anything else).
 */
export function readInventory(_path: string): AsyncGenerator<InventoryLine> {
  return notYet();
}

/**
 * The base of the next snapshot of job `name`: the newest archive the destination lists
 * (`sink.listRuns`) that opens and carries an inventory, or null when the destination holds none.
 */
export function findBase(_sink: Sink, _name: string): Promise<StoredArchive | null> {
  return notYet();
}

/** The sink and ref of an archive given as a zip path or `s3://bucket/…/<name>/<run-id>/<name>-<run-id>.zip`. */
export function locateArchive(_target: string, _s3: S3Access): LocatedArchive {
  return notYet();
}
