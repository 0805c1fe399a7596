/**
 * Row types of the reports in the bag's `reports/` tag folder. The collection pipeline produces
 * them (as async iterables, so memory does not grow with the export); `render-reports.ts` turns
 * them into tag files. Column order of every CSV is fixed here: review platforms and scripts load
 * these files by position as often as by header.
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

/** One captured item: one row of `items.csv` (a review-platform load file). */
export interface ItemRow {
  readonly kind: ItemKind;
  /** The API id (`claude_chat_…`, `claude_file_…`, a version id…). */
  readonly id: string;
  /** Path of the item's payload file relative to the bag root (`data/chats/<id>.json`). */
  readonly path: string;
  readonly sha256: string;
  readonly md5: string;
  readonly size: number;
  /** Custodian email (or user id when no email is known); empty for org-level items. */
  readonly custodian: string;
  /** The untrusted original file name from the API, verbatim (the bag path holds the safe one). */
  readonly originalName?: string | null;
  readonly createdAt?: string | null;
  readonly updatedAt?: string | null;
  /** Soft-deleted items are kept; this records when the API says they were deleted. */
  readonly deletedAt?: string | null;
  /** The endpoint path the bytes came from (`/v1/compliance/apps/chats/{id}/messages`). */
  readonly sourceEndpoint: string;
  /** The API's `request-id` of the response that carried the bytes. */
  readonly requestId?: string | null;
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
  | 'session_pending';

/**
 * Reasons that describe an item the archive DOES hold, as served, but that a reviewer must not
 * take at face value. They stay in `exceptions.csv` until the item is captured again without them.
 */
export const NOTICE_REASONS: ReadonlySet<ExceptionReason> = new Set([
  'served_copy_differs',
  'unsafe_zip_entries',
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

export type DriftChange = 'created_after_cut' | 'updated_after_cut' | 'deleted_after_cut';

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

/** One cell of `counts.csv`: items of one kind for one custodian (`''` = org-level). */
export interface CountRow {
  readonly custodian: string;
  readonly kind: ItemKind;
  readonly items: number;
  readonly bytes: number;
  readonly exceptions: number;
  readonly drift: number;
}

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
  readonly counts: {
    readonly items: number;
    readonly bytes: number;
    readonly byKind: Readonly<Partial<Record<ItemKind, number>>>;
    readonly exceptions: number;
    readonly retryableExceptions: number;
    readonly exceptionsByReason: Readonly<Partial<Record<ExceptionReason, number>>>;
    readonly drift: number;
    readonly duplicates: number;
  };
  readonly quiescence?: { readonly passes: number; readonly settled: boolean };
  readonly requests?: RequestLedgerSummary;
  /** `complete` when there are no exceptions, else `gaps` (exit code 3). */
  readonly status: 'complete' | 'gaps';
}
