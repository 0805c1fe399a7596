/**
 * Progress for long runs: on a TTY one live line (current stage, counts, request rate, ETA of the
 * listed backlog); otherwise one JSON line on stderr every `intervalMs` (log collectors parse it).
 * Stages only bump counters; this module decides how and when to show them. A request waiting to
 * be retried shows on the live line until its wait is over (and as a `retry` JSON line), so an
 * outage is visible at once instead of after minutes of silent backoff.
 */
import type { RetryEvent } from '../api/index.js';
import type { ProgressSink, StageCounters } from '../collect/context.js';

export type ProgressMode = 'tty' | 'json' | 'off';

export interface ProgressOptions {
  readonly mode: ProgressMode;
  readonly out: NodeJS.WritableStream;
  /** Requests sent so far (the client's counter). */
  readonly requests: () => number;
  readonly now?: () => number;
  readonly intervalMs?: number;
}

function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Why an attempt failed, for a person: `ECONNREFUSED 127.0.0.1:1`, `429 rate_limit_error`, `timeout`. */
function retryReason(e: RetryEvent): string {
  if (e.networkCause !== null) return `${e.networkCause} ${e.host}`;
  if (e.status !== null) return e.errorType === null ? String(e.status) : `${e.status} ${e.errorType}`;
  return e.failure ?? 'failed';
}

export class Progress implements ProgressSink {
  readonly #stages = new Map<string, StageCounters>();
  readonly #opts: ProgressOptions;
  readonly #now: () => number;
  #current = 'preflight';
  #timer: NodeJS.Timeout | null = null;
  #startedAt: number;
  #lastLine = 0;
  /** The latest retry and when its wait ends. */
  #retry: { text: string; until: number } | null = null;

  constructor(opts: ProgressOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  stage(name: string): StageCounters {
    let c = this.#stages.get(name);
    if (c === undefined) {
      c = { listed: 0, fetched: 0, skipped: 0, gaps: 0, total: null };
      this.#stages.set(name, c);
    }
    return c;
  }

  counters(): Record<string, StageCounters> {
    return Object.fromEntries([...this.#stages].map(([k, v]) => [k, { ...v }]));
  }

  /** Mark the start of a pipeline stage (preflight, collect, quiesce, seal, ship, verify). */
  enter(stage: string): void {
    this.#current = stage;
    this.#emit('stage', true);
  }

  start(): void {
    if (this.#opts.mode === 'off' || this.#timer !== null) return;
    const every = this.#opts.intervalMs ?? (this.#opts.mode === 'tty' ? 500 : 10_000);
    this.#timer = setInterval(() => this.#emit('progress', false), every);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#opts.mode === 'tty' && this.#lastLine > 0) this.#opts.out.write('\n');
    this.#lastLine = 0;
  }

  /** A one-off message that must not be overwritten by the live line. */
  note(message: string, data: Record<string, unknown> = {}): void {
    if (this.#opts.mode === 'off') return;
    if (this.#opts.mode === 'tty') {
      this.#opts.out.write(`\r\x1b[2K${message}\n`);
      this.#lastLine = 0;
    } else {
      this.#opts.out.write(
        `${JSON.stringify({ at: new Date(this.#now()).toISOString(), event: 'note', message, ...data })}\n`,
      );
    }
  }

  /** A request failed and will be retried after `delayMs` (the client's `onRetry`). */
  retry(e: RetryEvent): void {
    const mode = this.#opts.mode;
    if (mode === 'off') return;
    if (mode === 'json') {
      this.#opts.out.write(
        `${JSON.stringify({
          at: new Date(this.#now()).toISOString(),
          event: 'retry',
          stage: this.#current,
          method: e.target.method,
          path: e.target.path,
          query: e.target.query,
          attempt: e.attempt,
          status: e.status,
          error_type: e.errorType,
          failure: e.failure,
          cause: e.networkCause,
          host: e.host,
          delay_ms: e.delayMs,
        })}\n`,
      );
      return;
    }
    this.#retry = {
      text: `retrying ${e.target.method} ${e.target.path} (${retryReason(e)})`,
      until: this.#now() + e.delayMs,
    };
    this.#emit('retry', true);
  }

  #emit(event: string, force: boolean): void {
    const mode = this.#opts.mode;
    if (mode === 'off') return;
    const elapsed = (this.#now() - this.#startedAt) / 1000;
    const requests = this.#opts.requests();
    const rate = elapsed > 0 ? requests / elapsed : 0;
    if (mode === 'json') {
      if (!force && event === 'progress' && this.#stages.size === 0) return;
      this.#opts.out.write(
        `${JSON.stringify({
          at: new Date(this.#now()).toISOString(),
          event,
          stage: this.#current,
          elapsed_s: Math.round(elapsed),
          requests,
          requests_per_s: Math.round(rate * 10) / 10,
          counters: this.counters(),
        })}\n`,
      );
      return;
    }
    // "chats 40/60": 40 of the 60 listed are done; stages that fetch what others reference
    // (files) or list and store different things (directory) show their stored count only.
    const parts: string[] = [];
    let backlog = 0;
    let done = 0;
    for (const [name, c] of this.#stages) {
      const handled = c.fetched + c.skipped;
      const listed = c.total ?? c.listed;
      const tracked = listed > 0 && listed >= handled;
      parts.push(`${name} ${tracked ? `${handled}/${listed}` : c.fetched}${c.gaps > 0 ? ` !${c.gaps}` : ''}`);
      if (tracked) backlog += listed - handled;
      done += handled;
    }
    // ETA of the listed backlog at the item rate so far (lists have no totals, §4.1).
    const itemRate = elapsed > 0 ? done / elapsed : 0;
    const eta = backlog > 0 && itemRate > 0 ? fmtDuration(backlog / itemRate) : '—';
    // a pending retry goes first: the line is cut to the terminal width
    const retry = this.#retry;
    if (retry !== null && this.#now() <= retry.until) {
      parts.unshift(`${retry.text} in ${fmtDuration((retry.until - this.#now()) / 1000)}`);
    }
    const line = `[${this.#current}] ${parts.join(' · ')} | ${requests} req, ${rate.toFixed(1)}/s | ETA ${eta} | ${fmtDuration(elapsed)}`;
    const width = (this.#opts.out as { columns?: number }).columns ?? 120;
    this.#opts.out.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
    this.#lastLine = line.length;
  }
}
