/**
 * A bag to verify, wherever it lives: a zip (local or S3, read through yauzl) or an extracted
 * directory. Sources list their files first (from the zip's central directory or a directory
 * walk) and then hand out each file's bytes in storage order.
 */
import type { Readable } from 'node:stream';

export type ProblemCode =
  | 'unreadable'
  | 'layout'
  | 'unsafe_entry'
  | 'zip_crc'
  | 'bagit_txt'
  | 'bag_info'
  | 'payload_oxum'
  | 'manifest_missing'
  | 'manifest_syntax'
  | 'unsupported_algorithm'
  | 'file_missing'
  | 'file_unlisted'
  | 'hash_mismatch'
  | 'tag_missing'
  | 'tag_unlisted'
  | 'tag_hash_mismatch'
  | 'custody_missing'
  | 'custody_chain'
  | 'sidecar_missing'
  | 'sidecar_mismatch'
  | 'custody_beside'
  /** `verify --chain`: an archive the inventory names, or a file it lists, is not there. */
  | 'chain_missing'
  /** `verify --chain`: a listed file's hash differs from the inventory's (or the inventory is unreadable). */
  | 'chain_mismatch'
  /** `verify --chain`: an archive holding records of the chain does not verify. */
  | 'chain_invalid'
  /** A volume of a set (`Bag-Count: i of N`) is not beside the others. */
  | 'volume_missing';

export interface VerifyProblem {
  readonly code: ProblemCode;
  /** The file the problem is about, relative to the bag root (or the archive/sidecar location). */
  readonly path?: string;
  readonly message: string;
}

export interface SourceFile {
  /** Relative to the bag root, POSIX separators. */
  readonly path: string;
  readonly size: number;
}

export interface BagSource {
  readonly kind: 'zip' | 'dir' | 's3';
  /** The bag's folder name (the zip's one top-level folder, or the directory's base name). */
  readonly folder: string;
  /** Problems found while listing (layout, unsafe names, symlinks). */
  readonly problems: readonly VerifyProblem[];
  readonly files: readonly SourceFile[];
  /**
   * Each path's number in `files` (its first appearance). A bag has an entry per payload file
   * (~400,000 at 100,000 chats), so the source's own lookup is shared rather than built twice.
   */
  readonly index: ReadonlyMap<string, number>;
  /**
   * The file's bytes. For zips the stream fails if the entry's CRC-32 does not match, so a
   * corrupt entry is named even when no manifest lists it.
   */
  open(file: SourceFile): Promise<Readable>;
  /** SHA-256 of the whole archive (zip sources only; computed on the way where possible). */
  archiveSha256?(): Promise<string>;
  close(): Promise<void>;
}
