import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { ExportError } from '../errors.js';
import type { FailureKind } from './api-error.js';
import type { HeaderBag } from './headers.js';

/**
 * HTTP transport: one keep-alive undici Pool to the API origin (compliance-api.md §1.1), with
 * connect, headers and body-idle timeouts. It performs single attempts; retries, pacing, overall
 * deadlines and the ledger live in request-executor.ts.
 */
export interface TransportTimeouts {
  /** TCP/TLS connect. Default 10 s. */
  connectMs: number;
  /** From request sent to response headers. Default 60 s. */
  headersMs: number;
  /** Longest silence while reading a body (idle, not total). Default 60 s. */
  bodyIdleMs: number;
  /**
   * Overall deadline of one JSON attempt, headers and body together. A server that trickles a
   * byte now and then never trips the idle timeout; this bounds it. Default 5 min (a 64 MiB page
   * at ~220 KB/s; real pages are 1-3 MB, §7.3).
   */
  totalMs: number;
  /**
   * Least overall deadline of one download attempt; larger downloads get longer (see
   * downloadDeadlineMs in body-readers.ts). Default 10 min.
   */
  downloadTotalMs: number;
}

const DEFAULT_TIMEOUTS: TransportTimeouts = {
  connectMs: 10_000,
  headersMs: 60_000,
  bodyIdleMs: 60_000,
  totalMs: 5 * 60_000,
  downloadTotalMs: 10 * 60_000,
};

export interface TransportResponse {
  status: number;
  headers: HeaderBag;
  body: Readable;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parse and vet the base URL: https anywhere, http only to loopback (the sandbox). The key would
 * otherwise travel in clear text.
 */
function checkBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ExportError('usage', `base URL is not a valid URL: ${JSON.stringify(baseUrl)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ExportError('usage', 'base URL must not carry credentials');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new ExportError(
    'insecure_base_url',
    `refusing base URL ${url.protocol}//${url.host}: only https:// (or http:// to loopback) is allowed`,
  );
}

export interface TransportOptions {
  baseUrl: string;
  maxConnections: number;
  timeouts?: Partial<TransportTimeouts>;
}

export class Transport {
  readonly origin: string;
  /** `host:port` of the origin (default port spelled out), for messages about transport failures. */
  readonly host: string;
  /** Path prefix of the base URL ('' for a bare origin), for deployments behind a path-routing proxy. */
  readonly basePath: string;
  readonly timeouts: TransportTimeouts;
  private readonly pool: Pool;

  constructor(options: TransportOptions) {
    const url = checkBaseUrl(options.baseUrl);
    this.origin = url.origin;
    this.host = `${url.hostname}:${url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port}`;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.pool = new Pool(this.origin, {
      connections: options.maxConnections,
      pipelining: 1,
      connectTimeout: this.timeouts.connectMs,
      headersTimeout: this.timeouts.headersMs,
      bodyTimeout: this.timeouts.bodyIdleMs,
      keepAliveTimeout: 30_000,
    });
  }

  /** Send one request. Rejects on failures before the response headers arrive. */
  async send(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<TransportResponse> {
    const response = await this.pool.request({
      method: method as 'GET',
      path: this.basePath + pathAndQuery,
      headers,
      ...(signal === undefined ? {} : { signal }),
    });
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/**
 * Classify a thrown transport error. `phase` says whether the response headers had arrived: a
 * failure while reading a body is a body cut short (§3.15: an aborted chunked transfer is the only
 * sign of truncation), unless it was the idle timeout.
 */
export function classifyTransportError(error: unknown, phase: 'request' | 'body'): FailureKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout';
  return phase === 'body' ? 'truncated' : 'network';
}

/**
 * The error code that names why a transport attempt failed: the system code (`ECONNREFUSED`,
 * `ENOTFOUND`, `ECONNRESET`, a TLS certificate code) where there is one, else undici's own
 * (`UND_ERR_SOCKET`, ...). Looks through `cause` and the `errors` of an AggregateError (a host
 * with several addresses fails once per address).
 */
export function networkCauseOf(error: unknown): string | null {
  const codes: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (e === null || typeof e !== 'object' || depth > 3) return;
    const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    visit(cause, depth + 1);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes.find((c) => !c.startsWith('UND_ERR')) ?? codes[0] ?? null;
}

export function isAbortError(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | null;
  return e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED' || e?.code === 'ABORT_ERR';
}
