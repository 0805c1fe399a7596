/**
 * The contract between the collection side (staging store) and the seal step.
 *
 * The collector stages every payload file as a content-addressed blob; at seal time `run-job`
 * builds a `BagInput` from the store and hands it to `sealBag`. The archive code knows nothing
 * about the store, the API or the job spec beyond what is in here.
 */
import type { Readable } from 'node:stream';

/** One file under `data/` in the bag. */
export interface PayloadFile {
  /** Path relative to the bag's `data/` folder, POSIX separators, already made safe (see safe-name). */
  readonly path: string;
  readonly size: number;
  /** Lowercase hex digests of exactly the bytes `open()` yields. */
  readonly sha256: string;
  readonly md5: string;
  /**
   * A fresh stream of the bytes each call (the bytes must match size/sha256/md5; the sealer
   * checks the size, and the hashes when asked to). Called at most once per seal.
   */
  open(): Readable;
}

/** One tag file under `reports/` (small enough to hold in memory, or streamed). */
export interface TagFile {
  /** Path relative to the bag root, e.g. `reports/summary.json`. */
  readonly path: string;
  readonly size: number;
  open(): Readable;
}

/**
 * A payload list in byte order of path with its totals. The sealer trusts neither: as it streams
 * it checks every file, refuses a path out of order or met twice, and refuses a pass whose count or
 * bytes differ from the totals (which bag-info.txt states before the payload is written).
 */
export interface SortedPayloadFiles {
  readonly fileCount: number;
  readonly totalBytes: number;
  /** Every file in byte order of path, streamed afresh on each call. */
  files(): AsyncIterable<PayloadFile>;
}

export interface BagInput {
  /** The job name (slug); `External-Identifier` and the archive name. */
  readonly name: string;
  /** The as-of cut, RFC 3339 UTC; fixes the run id, zip mtimes and `Bagging-Date`. */
  readonly asOfCut: string;
  /**
   * Every payload file: a function streaming them in any order, or a list already sorted.
   * Unsorted, the sealer reads it once and keeps the PayloadFile objects (metadata and an `open`,
   * never bytes: ~200 B each) to sort them by byte order of the path: fine for a test or a small
   * bag. Sorted (a run's payload, spooled to disk by sorted-payload.ts), it keeps none of them:
   * each pass (payload entries, both manifests, central directory) reads `files()` again. Either
   * way the files are opened in that order; files up to 1 MiB are read whole, up to 16 files /
   * 32 MiB ahead of the one being compressed; larger ones stream.
   */
  readonly payload: (() => AsyncIterable<PayloadFile>) | SortedPayloadFiles;
  /** Tag files beyond those the sealer writes itself (bagit.txt, bag-info.txt, manifests). */
  readonly tagFiles: readonly TagFile[];
  /** Extra `bag-info.txt` fields, in order (as-of cut, tool version, spec hash, matter...). */
  readonly bagInfo: readonly (readonly [string, string])[];
  /**
   * `archive.compression`: `auto` (the default) deflates what shrinks and stores what is already
   * compressed, decided from the bytes; `deflate` and `store` apply to every entry.
   */
  readonly compression?: 'auto' | 'deflate' | 'store';
  /**
   * One volume of a set (volume-plan.ts): the folder and zip are `<name>-<run-id>.vol002-of-003`
   * and bag-info says `Bag-Group-Identifier: <name>-<run-id>` and `Bag-Count: 2 of 3`.
   */
  readonly volume?: { readonly index: number; readonly count: number };
}

/** A BagInput whose payload is already sorted: what a run seals, and what its volumes narrow. */
export type SortedBagInput = BagInput & { readonly payload: SortedPayloadFiles };

/** `20261122T101300Z` from `2026-11-22T10:13:00.000Z`. */
export function runIdFromCut(asOfCut: string): string {
  const iso = new Date(asOfCut).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}
