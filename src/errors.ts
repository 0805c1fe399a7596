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
  /** Another process holds the state folder's lock. */
  | 'state_locked'
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

const USER_ERROR_CODES: ReadonlySet<ErrorCode> = new Set(['usage', 'spec_invalid', 'spec_state_mismatch']);

export function exitCodeFor(error: unknown): number {
  if (error instanceof ExportError) {
    if (USER_ERROR_CODES.has(error.code)) return EXIT.usage;
    if (error.code === 'interrupted') return EXIT.interrupted;
  }
  return EXIT.failure;
}
