import type { Writable } from 'node:stream';

/**
 * The request ledger (custody log input): one entry per request ATTEMPT, retries included, so a
 * court can be shown which request produced which record. Queries are already redacted; the key
 * never reaches an entry (only its fingerprint).
 */
export interface LedgerEntry {
  /** ISO time the attempt started. */
  ts: string;
  method: string;
  path: string;
  query: string;
  /** HTTP status, or null when no response arrived (timeout, network error). */
  status: number | null;
  request_id: string | null;
  /** 1-based attempt number within this logical request. */
  attempt: number;
  duration_ms: number;
  /** Response body bytes received. */
  bytes: number;
  /** ok: 2xx and accepted; retry: failed, another attempt follows; error: failed for good. */
  outcome: 'ok' | 'retry' | 'error';
  /** Failure kind or error type when not ok (e.g. `rate_limit_error`, `timeout`, `checksum`). */
  error: string | null;
  /** Planned wait before the next attempt, when outcome is retry. */
  retry_in_ms: number | null;
  /** fingerprintKey(apiKey): which credential made the request. */
  key_fp: string;
}

/** Anything that takes ledger entries: an object with `write(entry)`, or a plain function. */
export type LedgerSink = { write(entry: LedgerEntry): void } | ((entry: LedgerEntry) => void);

export function writeLedger(sink: LedgerSink | undefined, entry: LedgerEntry): void {
  if (sink === undefined) return;
  if (typeof sink === 'function') sink(entry);
  else sink.write(entry);
}

/**
 * A ledger sink that streams JSON Lines to a Writable (a file stream, stdout, ...). Lines are
 * written in attempt-completion order; the Writable buffers, so a slow disk never blocks requests.
 */
export function jsonlLedger(stream: Writable): { write(entry: LedgerEntry): void } {
  return { write: (entry) => void stream.write(`${JSON.stringify(entry)}\n`) };
}
