/**
 * Row types of the reports in the bag's `reports/` tag folder. The collection pipeline produces
 * them (as async iterables, so memory does not grow with the export); `render-reports.ts` turns
 * them into tag files. Column order of every CSV is fixed here: review platforms and scripts load
 * these files by position as often as by header.
 *
 * `items.csv`: one row per document (DOCID order, the load file's rows) plus one per data-set file
 * with its record count; columns: docid, parent_docid, kind, id, custodian, custodian_note,
 * original_name, native_path, text_path, record_path, conversation_id, sha256, md5, size,
 * created_at, updated_at, deleted_at, source_endpoint, request_id, records (see `ItemRow`).
 * `counts.csv`: custodian, kind, documents, records, bytes, exceptions, drift (see `CountRow`).
 * Every CSV cell starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` (render-reports.ts).
 */

/** The content kinds an item row can have (one per kind of file under `data/`). */
export type ItemKind =
  | 'organization'
  | 'user'
  | 'role'
  | 'group'
  | 'group_member'
  | 'setting'
  | 'activity'
  | 'chat'
  | 'file'
  | 'generated_file'
  | 'chat_artifact'
  | 'project'
  | 'project_attachment'
  | 'project_collaborator'
  | 'project_document'
  | 'code_artifact'
  | 'code_artifact_version'
  | 'session';

/** Why a row's custodian is empty. */
export type CustodianNote =
  /** The item belongs to a user, but the API gave `user: null` (nor did its parent name one). */
  | 'api_user_null'
  /** Not owned by a user: organization records, settings, whole data-set files. */
  | 'org_level';

/**
 * One row of `items.csv`: a DOCUMENT (a chat, file, generated file, chat artifact version, project,
 * project document, code artifact, code-artifact version, session; also one row per further RSMF
 * part of a split conversation) or a DATA-SET FILE (a JSONL aggregate, a settings file, a
 * project's attachments/collaborators list) with its record count. Documents come first, in DOCID
 * order, then data-set files in path order. The Concordance load file
 * (`data/review/loadfile.dat`) holds the same documents, row for row.
 *
 * Columns of `items.csv`, in order:
 * - `docid`: `<PREFIX>-000001`… (documents; empty for a data-set file); unique in the archive.
 * - `parent_docid`: the family's root (a chat for its files, generated files and artifact
 *   versions, a project for its files and documents, a code artifact for its versions, part 1
 *   for a conversation's further parts); a data-set file of a project: the project's docid.
 * - `kind`, `id` (the API id; for a JSONL aggregate: empty).
 * - `custodian` (email, else user id; a child without one takes its parent's) and
 *   `custodian_note` (`api_user_null` or `org_level` when `custodian` is empty).
 * - `original_name`: the untrusted name or title from the API, verbatim.
 * - `native_path`: the native relative to the bag root (`data/...`; a conversation's is its RSMF).
 * - `text_path`: extracted text (`data/review/text/<docid>.txt`: a conversation's transcript, or
 *   a copy of a native whose bytes are text), else empty.
 * - `record_path`: the API's record as archived when it is not the native (a chat's
 *   `data/chats/<id>.json`, a file's `metadata.json`), else empty.
 * - `conversation_id`: the chat or session a document belongs to (its own id for a
 *   conversation, the chat's for a chat's children), else empty.
 * - `sha256`, `md5`, `size`: of the native (a data-set file: of the file).
 * - `created_at`, `updated_at`, `deleted_at`, `source_endpoint`, `request_id`: as the API gave them.
 * - `records`: a data-set file's record count (empty for documents).
 */
export interface ItemRow {
  readonly docid: string;
  readonly parentDocid: string;
  readonly kind: ItemKind;
  /** The API id (`claude_chat_…`, `claude_file_…`, a version id…); empty for a JSONL aggregate. */
  readonly id: string;
  /** Custodian email (or user id when no email is known); empty with a `custodianNote`. */
  readonly custodian: string;
  readonly custodianNote: CustodianNote | null;
  /** The untrusted original file name from the API, verbatim (the bag path holds the safe one). */
  readonly originalName?: string | null;
  /** Bag-root relative path of the native (`data/review/rsmf/<id>.rsmf`, `data/files/<id>/<name>`). */
  readonly nativePath: string;
  readonly textPath: string;
  readonly recordPath: string;
  readonly conversationId: string;
  readonly sha256: string;
  readonly md5: string;
  readonly size: number;
  readonly createdAt?: string | null;
  readonly updatedAt?: string | null;
  /** Soft-deleted items are kept; this records when the API says they were deleted. */
  readonly deletedAt?: string | null;
  /** The endpoint path the bytes came from (`/v1/compliance/apps/chats/{id}/messages`). */
  readonly sourceEndpoint: string;
  /** The API's `request-id` of the response that carried the bytes. */
  readonly requestId?: string | null;
  /** Records in a data-set file; null for a document. */
  readonly records: number | null;
}

/** Why an item is not in the archive (compliance-api.md §5). */
export type ExceptionReason =
  | 'not_found_after_listing'
  | 'deleted_during_export'
  | 'permanent_server_error'
  | 'checksum_mismatch'
  | 'body_truncated'
  | 'version_rotated'
  | 'content_unavailable'
  | 'file_set_unavailable'
  | 'scope_missing'
  | 'custodian_not_found'
  | 'retries_exhausted'
  | 'unresolved_drift'
  /** The served bytes (Content-MD5 verified) differ from the listed size/md5: kept, but not the original. */
  | 'served_copy_differs'
  /** The response or download passed its size cap; nothing was kept. */
  | 'response_too_large'
  /** A listing repeated a cursor or never ended; what it had not reached is not captured. */
  | 'pagination_loop'
  /** A code-artifact ZIP names entries outside its folder: kept as served (never extracted), flagged. */
  | 'unsafe_zip_entries'
  /** A remote session still `pending`: listed, but no transcript yet (404 until it starts). */
  | 'session_pending'
  /** Held verbatim, but its document could not be read to make its RSMF and transcript. */
  | 'review_copy_unavailable';

/**
 * Reasons that describe an item the archive DOES hold, as served, but that a reviewer must not
 * take at face value. They stay in `exceptions.csv` until the item is captured again without them.
 */
export const NOTICE_REASONS: ReadonlySet<ExceptionReason> = new Set([
  'served_copy_differs',
  'unsafe_zip_entries',
  'review_copy_unavailable',
]);

/**
 * One item (or scope) that is NOT in the archive, or (NOTICE_REASONS) is in it only as a copy that
 * differs from the original: one row of `exceptions.csv`.
 */
export interface ExceptionRow {
  /** The kind of what is missing; `scope` / `custodian` for gaps that are not one item. */
  readonly kind: ItemKind | 'scope' | 'custodian';
  /** The id, email or scope name that is missing. */
  readonly id: string;
  readonly reason: ExceptionReason;
  /** Whether running the same job again may capture it. */
  readonly retryable: boolean;
  readonly custodian?: string | null;
  /** The parent item, e.g. the chat a missing file is attached to. */
  readonly parentId?: string | null;
  /** Endpoint and HTTP status of the last attempt, when there was one. */
  readonly endpoint?: string | null;
  readonly httpStatus?: number | null;
  readonly requestId?: string | null;
  /** Short, secret-free detail (the API's error type/code, not a stack). */
  readonly detail?: string | null;
  /** When the gap was recorded (RFC 3339). */
  readonly at?: string | null;
}

export type DriftChange =
  | 'created_after_cut'
  | 'updated_after_cut'
  | 'deleted_after_cut'
  /** Snapshot series: in the previous snapshot's state, gone from this one's (not in its inventory). */
  | 'deleted_since_previous';

/**
 * One item that changed after the as-of cut: one row of `drift.csv`. Created-after-cut items are
 * left out of `data/`; updated ones are kept at their latest state.
 */
export interface DriftRow {
  readonly kind: ItemKind;
  readonly id: string;
  readonly change: DriftChange;
  /** The time of the change the API reported (created_at / updated_at / deleted_at). */
  readonly changedAt?: string | null;
  /** Hash of the state first captured (empty for created_after_cut). */
  readonly beforeSha256?: string | null;
  /** Hash of the state in the archive or seen last (empty for deleted_after_cut). */
  readonly afterSha256?: string | null;
  /** Whether the latest state is what `data/` holds. */
  readonly inArchive: boolean;
  /** The quiescence pass that saw it (1 = first re-enumeration). */
  readonly pass?: number | null;
  readonly custodian?: string | null;
}

/**
 * One row of `counts.csv`: one custodian (`''` = none) × one kind. Documents for a document kind,
 * records for a data-set kind; `bytes` are the natives' sizes (documents) or the records' bytes.
 */
export interface CountRow {
  readonly custodian: string;
  readonly kind: ItemKind;
  readonly documents: number;
  readonly records: number;
  readonly bytes: number;
  readonly exceptions: number;
  readonly drift: number;
}

/**
 * The archive's counts, defined once (the production stage's tally, src/produce/tally.ts): the
 * `run` summary, `reports/summary.json`, `reports/counts.csv`, the report page and the load file
 * all show these numbers.
 */
export interface ProductionCounts {
  /** Documents (load-file rows; a conversation split into N RSMF parts counts N). */
  readonly documents: number;
  readonly documentsByKind: Readonly<Partial<Record<ItemKind, number>>>;
  /** Data-set records (directory rows, activities, settings, project attachments/collaborators). */
  readonly records: number;
  readonly recordsByKind: Readonly<Partial<Record<ItemKind, number>>>;
  /** Files under `data/` (what manifest-sha256.txt lists) and their bytes. */
  readonly payloadFiles: number;
  readonly payloadBytes: number;
  /** Of those, the files under `data/review/` (RSMF, extracted text, the load file). */
  readonly reviewFiles: number;
  readonly exceptions: number;
  readonly retryableExceptions: number;
  readonly exceptionsByReason: Readonly<Partial<Record<ExceptionReason, number>>>;
  readonly drift: number;
  /** The `counts.csv` rows, in byte order of custodian, then kind. */
  readonly byCustodian: readonly CountRow[];
}

/** The counts without the per-custodian rows: what summary.json and the run summary show. */
export type ProductionTotals = Omit<ProductionCounts, 'byCustodian'>;

/** Request-ledger totals (the API client's accounting), as recorded in summary.json and custody. */
export interface RequestLedgerSummary {
  readonly total: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly retried: number;
  readonly rateLimited: number;
  /** Requests per minute the job's budget allowed, and the mean it achieved. */
  readonly budgetRpm?: number;
  readonly achievedRpm?: number;
}

/** `reports/summary.json` (also written beside the zip at the destination). */
export interface Summary {
  readonly name: string;
  readonly runId: string;
  readonly asOfCut: string;
  readonly matter?: string | null;
  readonly toolVersion: string;
  readonly specSha256: string;
  readonly startedAt: string;
  /** When collection and quiescence ended (the seal started). */
  readonly finishedAt: string;
  /** The archive's totals (the per-custodian rows are counts.csv), plus duplicates. */
  readonly counts: ProductionTotals & { readonly duplicates: number };
  readonly quiescence?: { readonly passes: number; readonly settled: boolean };
  readonly requests?: RequestLedgerSummary;
  /** `complete` when there are no exceptions, else `gaps` (exit code 3). */
  readonly status: 'complete' | 'gaps';
}
