/**
 * Compliance API client. Everything the pipeline needs comes from here.
 *
 * ```ts
 * const client = createComplianceClient({
 *   baseUrl, apiKey,                 // http:// only to loopback; the key never reaches logs/errors
 *   requestsPerMinute: 540, maxInFlight: 8,     // or `budget: sharedRateBudget`
 *   timeouts: { connectMs, headersMs, bodyIdleMs, totalMs, downloadTotalMs },   // totals: overall deadlines
 *   limits: { jsonBytes, downloadBytes },   // body caps, 64 MiB and 1 GiB by default
 *   retry: { maxAttempts, maxRateLimitedAttempts, maxElapsedMs },
 *   ledger: jsonlLedger(fs.createWriteStream('requests.jsonl')),   // one line per attempt
 *   onRetry: (event) => progress.retry(event),   // each failed attempt that will be retried
 *   clock,                           // inject a virtual clock in tests
 * });
 *
 * // Lists are async iterators of pages; store the page, then checkpoint page.resumeCursor.
 * for await (const page of client.listChats({ organization_ids, created_at: { gte }, order_by: 'created_at' },
 *                                           { resumeFrom: savedCursor })) {
 *   page.items; page.rawItems;       // parsed records and their exact JSON text
 *   page.requestId; page.endpoint; page.query; page.cursor; page.resumeCursor; page.done;
 * }
 * const { chat, messages, rawMessages } =
 *   await client.getChatMessages(chatId, { tool_use_input_max_chars: -1, tool_result_max_chars: -1 });
 * const file = await client.downloadFile(fileId, (attempt) => fs.createWriteStream(tmp), { expectedMd5, expectedSize });
 * // file: { sha256, md5, size, contentType, filename, verified, metadataMismatch, requestId, ... }
 * client.stats(); await client.close();
 * ```
 *
 * Failures are ApiError (extends ExportError): branch on `code` ('not_found', 'scope_missing',
 * 'api_key_rejected', 'rate_limited', 'retries_exhausted', 'checksum_mismatch', 'body_truncated',
 * 'timeout', 'network_error', 'invalid_response', 'response_too_large', 'pagination_loop',
 * 'api_error'), `status`, `errorType`, `detailCode`, `networkCause` and `host` (transport failures).
 * `retryable` says whether running again later may help. Nothing the client returns or throws
 * carries the key, even when a server echoes it (redact.ts).
 */
export { ApiError, isApiError, type FailureKind, type RequestTarget } from './api-error.js';
export { ComplianceClient, createComplianceClient } from './client.js';
export type { ComplianceClientOptions } from './client-options.js';
export type { ChatWithMessages, RecordResult, TextContentResult, TextExpectations } from './results.js';
export { createVirtualClock, type Clock, type VirtualClock } from './clock.js';
export { decodeRfc5987, parseContentDisposition, safeBaseName } from './content-disposition.js';
export type { ChunkSink, DownloadExpectations, DownloadResult, DownloadSink } from './download.js';
export type * from './endpoint-params.js';
export { fingerprintKey } from './fingerprint.js';
export { jsonlLedger, type LedgerEntry, type LedgerSink } from './ledger.js';
export { collectItems, type CursorWalkOptions, type Page, type WalkOptions } from './paginate.js';
export { RateBudget, type RateBudgetOptions, type RateBudgetSnapshot } from './rate-budget.js';
export type { ClientStats, RetryEvent } from './request-executor.js';
export { emptyClientStats } from './request-executor.js';
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  retryDelay,
} from './retry-timing.js';
export type { RetryInput, RetryPolicy } from './retry-timing.js';
export type { TransportTimeouts } from './transport.js';
export type * from './types.js';
