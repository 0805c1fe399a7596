/**
 * Inputs of the renderers for people: the bag-root `README.txt`, `reports/report.html` and the
 * reserved `bag-info.txt` fields. The renderers read nothing but these inputs (no store, no
 * clock, no network), so the same staged store gives the same bytes. Everything that came from
 * the API (names, ids, custodians, reasons' details, activity types) is treated as hostile: the
 * renderers escape or clean it, the caller passes it verbatim.
 *
 * Large sets (exceptions, drift, chats, custody lines) are iterables, sync or async, read once:
 * the renderers keep only the rows a page shows (capped, see CAPS in report-html.ts) and count the
 * rest, so a huge export never sits in memory.
 */
import type { CountRow, DriftRow, ExceptionRow } from '../../archive/report-rows.js';
import type { ResolvedJobSpec } from '../../spec/types.js';

/** A stream of rows, read exactly once. */
export type RowSource<T> = Iterable<T> | AsyncIterable<T>;

/** What the spec says about the job, as this run exports it (`scope.include` narrowed by preflight). */
export type PeopleSpec = Pick<ResolvedJobSpec, 'name' | 'matter' | 'description' | 'scope'>;

/**
 * The run at a glance: the numbers `summary.json`, `counts.csv`, the load file and the `run`
 * summary agree on (fill it from the Summary of src/archive/report-rows.ts).
 */
export interface PeopleSummary {
  readonly name: string;
  readonly runId: string;
  /** RFC 3339; what the archive is a snapshot of. */
  readonly asOfCut: string;
  readonly matter: string | null;
  readonly status: 'complete' | 'gaps';
  readonly toolVersion: string;
  readonly specSha256: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly counts: {
    /** Reviewable documents: one load-file row each. */
    readonly documents: number;
    /** Data-set records (directory, settings, activities, project attachments/collaborators). */
    readonly records: number;
    /** Files under `data/` (what manifest-sha256.txt lists) and their total bytes. */
    readonly payloadFiles: number;
    readonly payloadBytes: number;
    readonly exceptions: number;
    readonly retryableExceptions: number;
    readonly drift: number;
  };
}

/** A `counts.csv` row (one kind for one custodian, `''` = not owned by a user): the report shows the same cells. */
export type PeopleCountRow = CountRow;

/** The fields of an exceptions.csv row the page shows. */
export type PeopleExceptionRow = Pick<
  ExceptionRow,
  'kind' | 'id' | 'reason' | 'retryable' | 'custodian' | 'parentId' | 'httpStatus' | 'detail'
>;

/** The fields of a drift.csv row the page shows. */
export type PeopleDriftRow = Pick<
  DriftRow,
  'kind' | 'id' | 'change' | 'changedAt' | 'inArchive' | 'custodian'
>;

/** Why a chat has no custodian (the load file's `custodian_note`). */
export type CustodianNote = 'api_user_null' | 'org_level';

/** One chat (or session) of the review copy, as the load file lists it. */
export interface ChatListing {
  /** Email, else user id; `''` when there is none (then `custodianNote` says why). */
  readonly custodian: string;
  readonly custodianNote?: CustodianNote | null;
  /** `<PREFIX>-000001`. */
  readonly docid: string;
  /** The chat's name as the API gave it (untrusted; may be empty or null). */
  readonly name: string | null;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  /** Bag-relative `data/review/text/<DOCID>.txt`; null when there is no transcript. */
  readonly textPath: string | null;
  readonly deleted?: boolean;
}

/** Activities of one day (UTC), by type. */
export interface TimelineDay {
  /** `YYYY-MM-DD`. */
  readonly day: string;
  readonly total: number;
  /** Most frequent first (ties by name). */
  readonly byType: readonly TypeCount[];
}

export interface TypeCount {
  readonly type: string;
  readonly count: number;
}

/** Activity counts per day per type: what `countActivities` (activity-timeline.ts) returns. */
export interface ActivityTimeline {
  /** In day order. */
  readonly days: readonly TimelineDay[];
  readonly total: number;
  /** Activities whose `created_at` was missing or not a date. */
  readonly undated: number;
  /** Every type with its count, most frequent first (ties by name). */
  readonly types: readonly TypeCount[];
}

/** Everything `renderReportHtml` needs. */
export interface ReportInput {
  readonly spec: PeopleSpec;
  readonly summary: PeopleSummary;
  /** The counts.csv rows (custodians × kinds; bounded by the directory, not by the export). */
  readonly counts: readonly PeopleCountRow[];
  readonly exceptions: RowSource<PeopleExceptionRow>;
  readonly drift: RowSource<PeopleDriftRow>;
  /** The lines of `reports/custody.jsonl` as sealed (each a JSON object; the chain is checked). */
  readonly custodyLines: RowSource<string>;
  /** Null when activities are not in scope. */
  readonly timeline: ActivityTimeline | null;
  readonly chats: RowSource<ChatListing>;
}

/** Everything `renderReadmeTxt` needs. */
export interface ReadmeInput {
  readonly spec: PeopleSpec;
  readonly summary: PeopleSummary;
  /** The load file's columns, in order (the production stage's list). */
  readonly datColumns: readonly string[];
}
