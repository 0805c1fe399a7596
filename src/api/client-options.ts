import { ExportError } from '../errors.js';
import { USER_AGENT } from '../version.js';
import { DEFAULT_BODY_LIMITS, type BodyLimits } from './body-readers.js';
import { systemClock, type Clock } from './clock.js';
import { fingerprintKey } from './fingerprint.js';
import type { LedgerSink } from './ledger.js';
import { RateBudget } from './rate-budget.js';
import { createRedactor } from './redact.js';
import { RequestExecutor, type RetryEvent } from './request-executor.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-timing.js';
import { Transport, type TransportTimeouts } from './transport.js';

export interface ComplianceClientOptions {
  /** `https://api.anthropic.com`, or the sandbox's `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** From the environment only; never logged (see fingerprintKey). */
  apiKey: string;
  /** Default 540 (90 % of 600). Ignored when `budget` is given. */
  requestsPerMinute?: number;
  /** Default 8. Ignored when `budget` is given. */
  maxInFlight?: number;
  /** Share one budget between several clients of one job (e.g. two keys under one parent). */
  budget?: RateBudget;
  timeouts?: Partial<TransportTimeouts>;
  /** Body caps (JSON 64 MiB, downloads 1 GiB by default; see body-readers.ts). */
  limits?: Partial<BodyLimits>;
  retry?: Partial<RetryPolicy>;
  ledger?: LedgerSink;
  /** Told of every attempt that failed and will be retried (for progress displays). */
  onRetry?: (event: RetryEvent) => void;
  clock?: Clock;
  /** Jitter source, default Math.random. */
  random?: () => number;
  userAgent?: string;
}

/** The parts a ComplianceClient is made of, from its options (defaults filled in, the key vetted). */
export function assembleClient(
  options: ComplianceClientOptions,
  closeSignal: AbortSignal,
): {
  executor: RequestExecutor;
  transport: Transport;
  budget: RateBudget;
  clock: Clock;
  keyFingerprint: string;
} {
  const key = options.apiKey;
  if (typeof key !== 'string' || key.trim() === '')
    throw new ExportError('api_key_missing', 'the API key is empty');
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new ExportError('usage', 'the API key contains whitespace or non-printable characters');
  }
  const clock = options.clock ?? systemClock;
  const budget =
    options.budget ??
    new RateBudget({
      clock,
      ...(options.requestsPerMinute === undefined ? {} : { requestsPerMinute: options.requestsPerMinute }),
      ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    });
  const transport = new Transport({
    baseUrl: options.baseUrl,
    maxConnections: budget.maxInFlight,
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
  });
  const keyFingerprint = fingerprintKey(key);
  const executor = new RequestExecutor({
    transport,
    apiKey: key,
    keyFingerprint,
    userAgent: options.userAgent ?? USER_AGENT,
    budget,
    clock,
    random: options.random ?? Math.random,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    limits: { ...DEFAULT_BODY_LIMITS, ...options.limits },
    redact: createRedactor(key),
    ...(options.ledger === undefined ? {} : { ledger: options.ledger }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    closeSignal,
  });
  return { executor, transport, budget, clock, keyFingerprint };
}
