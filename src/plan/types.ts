/**
 * The export plan (HOUSE-STYLE §2): everything `plan` can decide up front, as plain serializable
 * data. Two halves:
 *
 * - `ListingSurvey` is what the listing-only enumeration (src/survey) hands over: organizations,
 *   custodians, per-(kind, org, custodian) tallies of listed items, the pages each listing walk
 *   took, and hints read from the activity feed. No content, no message bodies.
 * - `ExportPlan` is what `buildPlan` derives from the resolved spec and the survey, without I/O:
 *   counts per kind / organization / custodian and the estimated requests and duration under
 *   the spec's budget, with every assumption named.
 */
import type { CompressionPolicy, ContentKind, StateRetain } from '../spec/types.js';
import type { ByteItem } from './byte-factors.js';

/** What the plan counts and the activity-feed hints are the content kinds' own vocabulary. */
export type { ActivityHints, CountKind } from '../collect/kinds/index.js';
import type { ActivityHints, CountKind } from '../collect/kinds/index.js';

export const COUNT_KINDS: readonly CountKind[] = [
  'organizations',
  'users',
  'roles',
  'groups',
  'chats',
  'projects',
  'code_artifacts',
  'code_artifact_versions',
  'activities',
  'local_sessions',
  'remote_sessions',
];

/** Listed items of one kind, one organization, one custodian. */
export interface SurveyTally {
  readonly kind: CountKind;
  /** Organization UUID; null when the record names none (some activities). */
  readonly organization: string | null;
  /** Email when the record carries one, else the user id; null when it names no user. */
  readonly custodian: string | null;
  readonly count: number;
}

/** One listing walk as the survey ran it. */
export interface SurveyWalk {
  /** What the walk lists, e.g. `chats`, `users`, `code_artifacts`. */
  readonly kind: string;
  /** `/v1/compliance/...` path of the list endpoint. */
  readonly endpoint: string;
  /** Page size the survey asked for (it may differ from the run's, see `runLimit`). */
  readonly limit: number;
  /** Page size the run uses for the same walk. */
  readonly runLimit: number;
  readonly pages: number;
  readonly items: number;
}

export interface ScopeGapInfo {
  readonly kind: ContentKind;
  readonly scope: string;
}

export interface DestinationCheckInfo {
  readonly kind: 's3' | 'local';
  readonly ok: boolean;
  /** What was checked, read-only (`bucket x exists`, `/path is writable`). */
  readonly detail: string;
}

/** What a run would find in its state folder (read, never written, by `plan`). */
export interface StateInfo {
  /** `<state_dir>/<job name>`. */
  readonly dir: string;
  /** none: a fresh run; same_spec: a run would resume there; different_spec: a run would refuse without --force. */
  readonly status: 'none' | 'same_spec' | 'different_spec';
}

export interface CustodianResolution {
  /** As written in the spec (email or `user_…` id). */
  readonly input: string;
  readonly userIds: readonly string[];
}

export interface ListingSurvey {
  readonly surveyedAt: string;
  /** now − indexing_lag at survey time: what a run started now would be judged against. */
  readonly asOfCut: string;
  /** Kinds the key reaches (the spec's, minus recorded scope gaps). */
  readonly include: readonly ContentKind[];
  readonly scopeGaps: readonly ScopeGapInfo[];
  /** Preflight probes sent (one per reachable group of kinds). */
  readonly probes: number;
  readonly destination: DestinationCheckInfo;
  readonly state: StateInfo;
  readonly organizations: readonly { readonly uuid: string; readonly name: string }[];
  /** Null when the spec says `custodians: all`. */
  readonly custodians: readonly CustodianResolution[] | null;
  readonly tallies: readonly SurveyTally[];
  readonly walks: readonly SurveyWalk[];
  readonly hints: ActivityHints | null;
  /** Free space where a run would write, and what its state folder already holds. */
  readonly disk: DiskSurvey;
  /** Requests the survey itself sent (all listings). */
  readonly requestsMade: number;
  /** An incremental snapshot's base (the counts above are then what the delta would fetch). */
  readonly snapshotBase?: SnapshotBaseInfo | null;
}

/** The base an incremental snapshot would build on, as `plan` found it at the destination. */
export interface SnapshotBaseInfo {
  readonly runId: string;
  readonly asOfCut: string;
  /** Documents in the base's inventory. */
  readonly records: number;
  /** Listed items (chats, projects, artifact versions) the base holds unchanged: not counted. */
  readonly unchanged: number;
}

export type KindCounts = Partial<Record<CountKind, number>>;

/** One line of the request estimate. */
export interface EstimateLine {
  /** Stable id, e.g. `chats.messages`, `files.download`. */
  readonly part: string;
  readonly requests: number;
  /** How the number was derived, e.g. `60 chats × 1 messages call`. */
  readonly basis: string;
  /** True when the count behind it is a hint or an assumption, not a listing. */
  readonly assumed: boolean;
}

export interface PlanEstimate {
  readonly requests: number;
  readonly lines: readonly EstimateLine[];
  /**
   * Requests of each content kind's own lines (its pass-1 listing pages and fetches), by kind name
   * (`chats`, `directory`, …); probes, scope resolution and quiescence belong to no kind.
   */
  readonly byKind: Readonly<Record<string, number>>;
  readonly requestsPerMinute: number;
  /** requests ÷ requests_per_minute, plus one quiescence interval per assumed pass. */
  readonly durationSeconds: number;
  /** True when some parts could not be counted from listings (the figure is a floor). */
  readonly lowerBound: boolean;
  readonly assumptions: readonly string[];
}

/** Free space of the filesystem a folder is on (`statfs` of it or its nearest existing parent). */
export interface DiskReading {
  /** The folder asked about (the state folder a run would use, or a local destination). */
  readonly path: string;
  /** Bytes an unprivileged writer may still use; null when it could not be read (`error`). */
  readonly free: number | null;
  readonly total: number | null;
  /** Device id: two folders on one device share their free space. */
  readonly device: number | null;
  readonly error?: string;
}

/** What `plan` read of the disks (src/survey/read-disk.ts). */
export interface DiskSurvey {
  readonly state: DiskReading;
  /** Null for an S3 destination: streamed, nothing lands locally. */
  readonly destination: DiskReading | null;
  /** Bytes already in the job's state folder when a run would resume it (measured); else 0. */
  readonly alreadyStaged: number;
}

/** Where an item count came from: a listing, the activity feed's hints, or a per-parent ratio. */
export type CountFrom = 'listed' | 'feed' | 'assumed';

/** One item of the byte estimate: its count (from where) × its assumed bytes per item. */
export interface ByteLine {
  readonly item: ByteItem;
  readonly count: number;
  readonly countFrom: CountFrom;
  /** How the count was reached, e.g. `600 chats listed`, `≈0.457 uploads per chat × 600`. */
  readonly basis: string;
  /** Bytes per item are never listed: `sandbox` (measured default) or `assume` (`--assume`). */
  readonly sizeFrom: 'sandbox' | 'assume';
  /** Assumed payload bytes per item (its natives or document, uncompressed). */
  readonly payloadPerItem: number;
  /** ≈ bytes in the state folder: blobs, journal lines, report-spool rows. */
  readonly staged: number;
  /** ≈ bytes in the zip at the spec's compression: payload, manifest lines, zip headers, report rows. */
  readonly shipped: number;
  /** ≈ bytes `state.retain: index` keeps of it (journal lines). */
  readonly index: number;
}

export interface ByteEstimate {
  /** `archive.compression`: `store` ships every byte, `auto`/`deflate` ship them deflated. */
  readonly compression: CompressionPolicy;
  /** `state.retain`: what stays of the state folder after a verified ship. */
  readonly retain: StateRetain;
  readonly lines: readonly ByteLine[];
  /** The request ledger (`requests.jsonl`): one line per estimated request. */
  readonly ledger: { readonly requests: number; readonly staged: number };
  /** The production layer's output (RSMF, transcripts, DAT), staged and shipped. */
  readonly production: { readonly staged: number; readonly shipped: number };
  /** ≈ peak bytes of the job's state folder (everything above). */
  readonly staged: number;
  /** ≈ bytes of the zip. */
  readonly shipped: number;
  /** ≈ bytes of the state folder that stay after a verified ship under `retain`. */
  readonly retained: number;
  readonly assumptions: readonly string[];
}

export interface DiskCheck {
  /** `state_and_destination` when a local destination is on the state folder's filesystem. */
  readonly filesystem: 'state' | 'destination' | 'state_and_destination';
  /** The folders the filesystem was measured at (state folder first). */
  readonly paths: readonly string[];
  readonly free: number | null;
  readonly total: number | null;
  /** Bytes it needs free now: what is left to stage and/or the zip, plus `--min-free` on the state side. */
  readonly need: number;
  /** Null when the free space could not be read (`error` says why). */
  readonly fits: boolean | null;
  readonly error?: string;
}

/** A filesystem the run would fill: the figures behind the plan's WARNING line. */
export interface DiskWarning {
  readonly code: 'disk_short';
  readonly filesystem: DiskCheck['filesystem'];
  readonly path: string;
  readonly free: number;
  readonly need: number;
  /** need − free. */
  readonly short: number;
}

export interface DiskPlan {
  /** `--min-free`: what the run keeps free on the state folder's filesystem. */
  readonly minFree: number;
  /** Bytes the state folder already holds (a resumed run adds only the rest). */
  readonly alreadyStaged: number;
  /** ≈ bytes still to stage: the estimate less what is already there. */
  readonly toStage: number;
  readonly destination: 'local' | 's3';
  readonly checks: readonly DiskCheck[];
  /** One per filesystem the estimate plus the floor does not fit on; empty when all fit. */
  readonly warnings: readonly DiskWarning[];
}

export interface ExportPlan {
  readonly planVersion: 1;
  readonly job: {
    readonly name: string;
    readonly file: string;
    readonly specSha256: string;
    readonly matter: string | null;
  };
  readonly source: {
    readonly baseUrl: string;
    readonly requestsPerMinute: number;
    readonly maxConcurrency: number;
  };
  readonly destination: {
    readonly uri: string;
    /** Where the archive of a run started now would land. */
    readonly archivePattern: string;
    readonly check: DestinationCheckInfo;
  };
  readonly asOfCut: string;
  readonly state: StateInfo;
  readonly include: readonly ContentKind[];
  readonly scopeGaps: readonly ScopeGapInfo[];
  readonly organizations: readonly {
    readonly uuid: string;
    readonly name: string;
    readonly counts: KindCounts;
  }[];
  readonly custodians: {
    readonly requested: 'all' | readonly string[];
    readonly notFound: readonly string[];
    /** Per custodian (email, else user id), every listed kind that names a user. */
    readonly counts: readonly { readonly custodian: string; readonly counts: KindCounts }[];
  };
  readonly totals: KindCounts;
  readonly hints: ActivityHints | null;
  readonly estimate: PlanEstimate;
  /** ≈ bytes to stage and to ship. */
  readonly bytes: ByteEstimate;
  /** Free space against those bytes, with a warning per filesystem they would fill. */
  readonly disk: DiskPlan;
  readonly survey: { readonly surveyedAt: string; readonly requests: number };
  /**
   * `snapshot.mode: incremental`: the base found at the destination (null: none, the snapshot
   * would be full); absent for other jobs.
   */
  readonly snapshotBase?: SnapshotBaseInfo | null;
}
