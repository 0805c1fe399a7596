/**
 * Snapshot series (spec `snapshot.mode`): the shapes shared by the inventory every archive
 * carries, the incremental run that reads a base's inventory, and `materialize`, which rebuilds a
 * full archive from a chain of them.
 *
 * `reports/inventory.jsonl` (a tag file, so `tagmanifest-sha256.txt` covers it) is the archive's
 * point-in-time state: a header line, then one line per current record. It is written in EVERY
 * archive (full and delta), so any archive can be the base of the next snapshot.
 * `reports/inventory.csv` is the same list for people (one row per payload file or aggregate row).
 *
 * Order of the record lines (deterministic): records with files sorted by kind then id (byte
 * order); then the rows of each JSONL aggregate, aggregates by path, rows in the order of the
 * aggregate file's lines (line i of the aggregate is the i-th row record naming it).
 */
import type { RecordKind } from '../store/types.js';

export const INVENTORY_JSONL = 'reports/inventory.jsonl';
export const INVENTORY_CSV = 'reports/inventory.csv';
/** bag-info.txt label naming the run-id of the archive a delta builds on. */
export const SNAPSHOT_PREVIOUS = 'Snapshot-Previous';
/** bag-info.txt label: `full` or `delta`. */
export const SNAPSHOT_TYPE = 'Snapshot-Type';

export interface InventoryHeader {
  readonly type: 'inventory';
  readonly format: 1;
  /** Job name. */
  readonly name: string;
  /** Run-id of the archive this inventory is in. */
  readonly runId: string;
  readonly asOfCut: string;
  /** The base's run-id for a delta; null for a full snapshot. */
  readonly previous: string | null;
  /** Job-Spec-SHA256 of the run (a base is used only by a run of the same spec). */
  readonly specSha256: string;
  /** Number of record lines that follow. */
  readonly records: number;
}

/** One payload file of a record, as in the journal (path relative to the bag's `data/`). */
export interface InventoryFile {
  readonly path: string;
  readonly sha256: string;
  readonly md5: string;
  readonly size: number;
}

export interface InventoryRecord {
  readonly type: 'record';
  readonly kind: RecordKind;
  readonly id: string;
  readonly updatedAt: string | null;
  readonly createdAt: string | null;
  readonly deletedAt: string | null;
  readonly custodian: string | null;
  readonly originalName: string | null;
  readonly parent: string | null;
  /** What a chat's messages reference, `<kind>:<id>` (RecordInput.refs); empty for other records. */
  readonly refs: readonly string[];
  /** The listing's change signals the state was fetched under (null when none were recorded). */
  readonly signals: string | null;
  /** The store's record hash (what dedupe compares): a one-file record's is its file's sha256. */
  readonly hash: string;
  /** Whole payload files (empty for an aggregate row). */
  readonly files: readonly InventoryFile[];
  /**
   * A row of a JSONL aggregate: the aggregate's path under `data/`, and the SHA-256 and size of
   * its line there (the JSON text plus `\n`). Null for a record with files.
   */
  readonly row: { readonly aggregate: string; readonly sha256: string; readonly size: number } | null;
  /** Where the record's content was requested (custody). */
  readonly endpoint: string;
  /** Run-id of the archive whose `data/` holds this record's bytes (its files, or its aggregate). */
  readonly heldBy: string;
}

export type InventoryLine = InventoryHeader | InventoryRecord;
