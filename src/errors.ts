/**
 * One error base for the whole tool (HOUSE-STYLE §4). Every error carries a `code` from one union,
 * so callers and the exit-code mapping branch on codes, never on message text. Messages must never
 * contain a secret: redact at the source.
 */
export type ErrorCode =
  // user mistakes: exit 2
  | 'usage'
  | 'spec_invalid'
  | 'spec_state_mismatch'
  // environment / preflight: exit 1
  | 'api_key_missing'
  | 'api_key_rejected'
  | 'scope_missing'
  | 'destination_unreachable'
  | 'destination_exists'
  // API and transport
  | 'api_error'
  | 'not_found'
  | 'rate_limited'
  | 'network_error'
  | 'timeout'
  | 'body_truncated'
  | 'checksum_mismatch'
  | 'retries_exhausted'
  | 'insecure_base_url'
  | 'invalid_response'
  /** A body passed its cap (JSON pages, or a download past its listed size plus slack). */
  | 'response_too_large'
  /** A listing walk repeated a cursor or returned empty pages without end. */
  | 'pagination_loop'
  // store / archive / sink / verify
  | 'store_corrupt'
  | 'archive_error'
  | 'upload_failed'
  | 'verify_failed'
  /**
   * A snapshot chain cannot be used: an archive a snapshot refers to is missing, unreadable, or its
   * inventory does not match its manifests.
   */
  | 'chain_broken'
  /** Another process holds the state folder's lock. */
  | 'state_locked'
  /** The state folder's (or a local destination's) filesystem is below the free-space floor. */
  | 'disk_full'
  | 'interrupted'
  | 'internal';

export class ExportError extends Error {
  readonly code: ErrorCode;
  /** Whether running the same job again may succeed (exceptions report, retry decisions). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExportError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Process exit codes, as documented in the README ("Operations"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  gaps: 3,
  /** Ctrl-C (128 + SIGINT) after a clean checkpoint. */
  interrupted: 130,
  /** SIGTERM (128 + SIGTERM: systemd, Kubernetes, `timeout`) after a clean checkpoint. */
  terminated: 143,
} as const;

/**
 * exceptions.csv reasons a per-item failure can become by its code alone. A subset of the report's
 * `ExceptionReason` (archive/report-rows.ts), restated here so this leaf imports nothing;
 * `classify` (collect/context.ts) returns an `ExceptionReason`, so a reason missing there fails
 * to compile.
 */
export type GapReason =
  | 'not_found_after_listing'
  | 'scope_missing'
  | 'checksum_mismatch'
  | 'body_truncated'
  | 'response_too_large'
  | 'pagination_loop'
  | 'retries_exhausted';

/** What an error code means for the process and for a run (HOUSE-STYLE §9: one table per fact). */
export interface ErrorRule {
  /** The process exit code when this error ends a command. */
  readonly exit: number;
  /** Thrown while collecting an item, it stops the whole run instead of becoming a gap. */
  readonly stopsRun: boolean;
  /**
   * The exceptions.csv reason of a per-item failure with this code. Absent: decided from the HTTP
   * status (`classify`: 422 file_set_unavailable, 5xx permanent_server_error, else
   * content_unavailable).
   */
  readonly gapReason?: GapReason;
  /** Whether such a gap is worth a rerun. Absent: the error's own `retryable` flag. */
  readonly retryable?: boolean;
}

const USER_MISTAKE: ErrorRule = { exit: EXIT.usage, stopsRun: false };
const FAILURE: ErrorRule = { exit: EXIT.failure, stopsRun: false };
const STOPS_RUN: ErrorRule = { exit: EXIT.failure, stopsRun: true };
/** Transient answers the client already retried until its budget ran out (compliance-api.md §5.3). */
const RETRIES_SPENT: ErrorRule = { ...FAILURE, gapReason: 'retries_exhausted', retryable: true };

/** Every code's rules; the `Record` type makes a new code without a row a compile error. */
export const ERROR_RULES: Readonly<Record<ErrorCode, ErrorRule>> = {
  // A user mistake (bad spec, bad flag): one clear message and exit 2 (HOUSE-STYLE §4).
  usage: { ...USER_MISTAKE, stopsRun: true },
  spec_invalid: USER_MISTAKE,
  spec_state_mismatch: USER_MISTAKE,
  // No key, or a key the API refuses: every later request would fail the same way.
  api_key_missing: STOPS_RUN,
  api_key_rejected: STOPS_RUN,
  scope_missing: { ...FAILURE, gapReason: 'scope_missing', retryable: false },
  destination_unreachable: FAILURE,
  destination_exists: FAILURE,
  api_error: FAILURE,
  not_found: { ...FAILURE, gapReason: 'not_found_after_listing', retryable: false },
  rate_limited: RETRIES_SPENT,
  network_error: RETRIES_SPENT,
  timeout: RETRIES_SPENT,
  retries_exhausted: RETRIES_SPENT,
  body_truncated: { ...FAILURE, gapReason: 'body_truncated', retryable: true },
  checksum_mismatch: { ...FAILURE, gapReason: 'checksum_mismatch', retryable: true },
  insecure_base_url: FAILURE,
  invalid_response: FAILURE,
  // A server that sends these would send them again: a rerun cannot help.
  response_too_large: { ...FAILURE, gapReason: 'response_too_large', retryable: false },
  pagination_loop: { ...FAILURE, gapReason: 'pagination_loop', retryable: false },
  store_corrupt: STOPS_RUN,
  archive_error: FAILURE,
  upload_failed: FAILURE,
  verify_failed: FAILURE,
  chain_broken: FAILURE,
  state_locked: FAILURE,
  // Every later write would hit ENOSPC: stop at a clean checkpoint, free space, rerun to resume.
  disk_full: STOPS_RUN,
  interrupted: { exit: EXIT.interrupted, stopsRun: true },
  internal: STOPS_RUN,
};

export function isExportError(error: unknown): error is ExportError {
  return error instanceof ExportError;
}

/** The exit code for an error that ends a command; anything not an ExportError is a bug: 1. */
export function exitCodeFor(error: unknown): number {
  return isExportError(error) ? ERROR_RULES[error.code].exit : EXIT.failure;
}
