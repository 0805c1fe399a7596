/** Shapes of what the collection stages hand the staging store, and of the journal lines. */

/** Every kind of record the export stages: exactly the kinds an `items.csv` row can have. */
export type RecordKind = ItemKind;

/** One payload file of a record: its path under the bag's `data/` and the blob holding its bytes. */
export interface StagedFile {
  readonly path: string;
  readonly sha256: string;
  readonly md5: string;
  readonly size: number;
}

/** Where a record came from (custody: which request produced it). */
export interface RecordSource {
  readonly endpoint: string;
  readonly query?: string;
  readonly requestId?: string | null;
}

export interface RecordInput {
  readonly kind: RecordKind;
  readonly id: string;
  /** The item's own `updated_at` (or `created_at` for immutable items); null when the API has none. */
  readonly updatedAt: string | null;
  readonly createdAt?: string | null;
  readonly deletedAt?: string | null;
  /** User id of the custodian the item belongs to, for the counts and items reports. */
  readonly custodian?: string | null;
  /** Original (untrusted) name, kept for items.csv when the path had to be made safe. */
  readonly originalName?: string | null;
  /**
   * Id of the item this one was reached through (a chat's file, generated file or artifact version
   * → the chat; a project's file or document → the project; a code-artifact version → the
   * artifact), for the production stage's families. Not part of the record hash: a file shared by
   * two chats is fetched once, for whichever chat reaches it first, and that first parent is the
   * one recorded (a later reference is a duplicate and writes nothing).
   */
  readonly parent?: string | null;
  /**
   * What a chat's messages reference (`<kind>:<id>`: `file:…`, `generated_file:…`,
   * `chat_artifact:…`), sorted: a file shared by several chats has one recorded `parent` (the
   * first to reach it), so these say every chat it belongs to (families, snapshot series). Not
   * part of the record hash.
   */
  readonly refs?: readonly string[];
  /**
   * A digest of the change signals the LISTING showed when this state was fetched (name,
   * deleted_at, project…: fields that can change without `updated_at` moving). Re-enumeration
   * refetches an item whose listing shows other signals.
   */
  readonly signals?: string;
  /** Whole payload files (already stored as blobs, unless `heldBy` names the archive holding them). */
  readonly files?: readonly StagedFile[];
  /**
   * Run-id of an earlier archive of a snapshot series whose `data/` holds this record's files
   * (a record taken over from the base's inventory); absent when the bytes are in the blob store.
   * Not part of the record hash.
   */
  readonly heldBy?: string;
  /** A row of a JSONL aggregate (e.g. `directory/users.jsonl`), materialized at seal time sorted by id. */
  readonly row?: { readonly aggregate: string; readonly json: string };
  readonly source: RecordSource;
}

export type PutOutcome = 'new' | 'version' | 'duplicate' | 'stale' | 'excluded';

/** Reason codes and drift changes are the archive's report vocabulary (src/archive/report-rows.ts). */
export type { DriftChange, ExceptionReason } from '../archive/report-rows.js';
import type { DriftChange, ExceptionReason, ItemKind } from '../archive/report-rows.js';

export interface ExceptionInput {
  readonly kind: RecordKind | 'custodian' | 'scope';
  readonly id: string;
  readonly reason: ExceptionReason;
  readonly retryable: boolean;
  /** What happened, with status and request-id; never a secret. */
  readonly detail: string;
  readonly parent?: string | null;
  readonly httpStatus?: number;
  readonly endpoint?: string | null;
  readonly requestId?: string | null;
}

export interface DriftEntry {
  readonly kind: string;
  readonly id: string;
  readonly change: DriftChange;
  readonly beforeSha256: string | null;
  readonly afterSha256: string | null;
  readonly updatedAt: string | null;
  readonly pass: number;
}

export interface ExceptionEntry extends ExceptionInput {
  readonly pass: number;
  readonly at: string;
}

/**
 * One journal line (`journal.jsonl`), by `type`. Earlier versions wrote short keys (`t`, `k`, `u`,
 * `h`, `w`, `cur`…); `parseJournalLine` (journal-lines.ts) still reads those, so their state
 * folders resume.
 */
export type JournalLine =
  | JournalRecord
  | JournalExclusion
  | JournalException
  | JournalExceptionCleared
  | JournalDrift
  | JournalCheckpoint
  | JournalMeta
  | JournalSeen
  | JournalRemoved;

/** A stored version of an item: what the item's payload files and report rows come from. */
export interface JournalRecord {
  readonly type: 'record';
  readonly kind: RecordKind;
  readonly id: string;
  readonly updatedAt: string | null;
  /** `recordHash` of the content: what dedupe compares. */
  readonly hash: string;
  readonly createdAt?: string | null;
  readonly deletedAt?: string | null;
  readonly custodian?: string | null;
  readonly originalName?: string | null;
  /** RecordInput.parent; absent in lines written before parents were recorded. */
  readonly parent?: string | null;
  /** RecordInput.refs; absent when none (and in lines written before refs were recorded). */
  readonly refs?: readonly string[];
  readonly signals?: string;
  readonly files?: readonly StagedFile[];
  readonly row?: { readonly aggregate: string; readonly json: string };
  /** RecordInput.heldBy. */
  readonly heldBy?: string;
  readonly endpoint: string;
  readonly query?: string;
  readonly requestId?: string | null;
  readonly pass: number;
  readonly at: string;
}

/** An item seen for the first time after the as-of cut: left out of the archive, listed as drift. */
export interface JournalExclusion {
  readonly type: 'excluded';
  readonly kind: RecordKind;
  readonly id: string;
  readonly updatedAt: string | null;
  readonly hash: string;
  readonly pass: number;
}

export interface JournalException extends ExceptionEntry {
  readonly type: 'exception';
}

export interface JournalExceptionCleared {
  readonly type: 'exception_cleared';
  readonly kind: string;
  readonly id: string;
}

export interface JournalDrift extends DriftEntry {
  readonly type: 'drift';
}

export interface JournalCheckpoint {
  readonly type: 'checkpoint';
  readonly walk: string;
  readonly cursor: string | null;
  readonly done: boolean;
}

/**
 * A record taken over from a snapshot base (held in an earlier archive) that this run's listings
 * confirmed: still there, unchanged (src/snapshot/settle-snapshot.ts).
 */
export interface JournalSeen {
  readonly type: 'seen';
  readonly kind: RecordKind;
  readonly id: string;
}

/** A record that is no longer part of the point-in-time state (gone since the snapshot base). */
export interface JournalRemoved {
  readonly type: 'removed';
  readonly kind: RecordKind;
  readonly id: string;
}

export interface JournalMeta {
  readonly type: 'meta';
  readonly name: string;
  readonly value: unknown;
}

/** A current record as seen by report builders at seal time. */
export interface StoredRecord {
  readonly kind: RecordKind;
  readonly id: string;
  readonly updatedAt: string | null;
  readonly createdAt: string | null;
  readonly deletedAt: string | null;
  readonly custodian: string | null;
  readonly originalName: string | null;
  /** The id of the item it was reached through (RecordInput.parent), or null. */
  readonly parent: string | null;
  /** RecordInput.refs (empty when none were recorded). */
  readonly refs: readonly string[];
  readonly hash: string;
  readonly files: readonly StagedFile[];
  /** The listing's change signals this version was fetched under (RecordInput.signals), or null. */
  readonly signals: string | null;
  /** Run-id of the earlier archive holding the files (RecordInput.heldBy), or null: in the blob store. */
  readonly heldBy: string | null;
  readonly aggregate: string | null;
  /** The row's JSON text when the record is a row of a JSONL aggregate. */
  readonly rowJson: string | null;
  readonly endpoint: string;
  readonly query: string | null;
  readonly requestId: string | null;
  readonly pass: number;
  readonly fetchedAt: string;
}

export interface OpenStoreOptions {
  readonly stateDir: string;
  readonly jobName: string;
  readonly specSha256: string;
  /** Accept (and start over from) state left by a different spec. */
  readonly force?: boolean;
  /**
   * A snapshot series: state left by a run that shipped is a finished snapshot, not work to
   * resume; it is cleared (journal, ledger, custody log, spools) and this run starts afresh.
   */
  readonly newSnapshotAfterShip?: boolean;
  readonly now?: () => Date;
  readonly batchLines?: number;
  readonly batchMs?: number;
  /** Journal growth between two state images (state-imager.ts; tests set it low). */
  readonly imageIntervalBytes?: number;
}

/** Position of the current version of one item in the journal, plus what dedupe compares. */
export interface IndexEntry {
  /** Byte offset of the record line; -1 when the item was left out (created after the cut). */
  readonly offset: number;
  readonly updatedAt: string | null;
  readonly hash: string;
  /** The listing's change signals when this version was fetched (RecordInput.signals). */
  readonly signals?: string;
  /** RecordInput.heldBy: the earlier archive holding this version's bytes. */
  readonly heldBy?: string;
}

/**
 * What the store holds of one item: nothing, a stored version, or a sighting left out as created
 * after the cut. `updatedAt`, `hash` and `signals` describe the held state (null when absent, or
 * when that version recorded no listing signals): what a re-enumeration compares a listing with.
 */
export interface ItemStatus {
  readonly state: 'absent' | 'stored' | 'excluded';
  readonly updatedAt: string | null;
  readonly hash: string | null;
  readonly signals: string | null;
}

export interface StoreStats {
  records: number;
  versions: number;
  duplicates: number;
  stale: number;
  excluded: number;
}

export interface Checkpoint {
  readonly cursor: string | null;
  readonly done: boolean;
}
