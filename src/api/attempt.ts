import type { FailureKind, RequestTarget } from './api-error.js';
import type { HeaderBag } from './headers.js';

/**
 * What a response handler sees of one attempt, and how it fails one. Shared by the executor, the
 * body readers and the download and JSON handlers.
 */

/**
 * Thrown by a response handler to fail one attempt (checksum mismatch, a body past its cap);
 * retried or not per the rules of retry-timing.ts. The message is built from response headers
 * that were already redacted, never from the raw response.
 */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'AttemptFailure';
  }
}

export interface AttemptContext {
  target: RequestTarget;
  attempt: number;
  status: number;
  /** Response headers, every value already through the client's redactor. */
  headers: HeaderBag;
  requestId: string | null;
  /** Handlers add the body bytes they read, for the ledger and stats. */
  bytes: number;
}
