/**
 * Progress for long runs: on a TTY one live line (stage, why it waits, requests sent of the
 * estimate, ETA at the budget's rate, per-kind counts); otherwise one JSON line on stderr every
 * `intervalMs` with the same figures (log collectors parse it). Stages only bump counters; the
 * figures are ./progress-model.ts. A request waiting to be retried, a 429's retry-after and a wait
 * for the shared budget show on the live line while they last (and in JSON lines), so a stalled
 * run says why.
 */
import type { RateBudgetSnapshot, RetryEvent } from '../api/index.js';
import type { ProgressSink, StageCounters } from '../collect/context.js';
import {
  ProgressModel,
  type ListedFigures,
  type ProgressFigures,
  type ProvisionalTotals,
} from './progress-model.js';

export type ProgressMode = 'tty' | 'json' | 'off';

export interface ProgressOptions {
  readonly mode: ProgressMode;
  readonly out: NodeJS.WritableStream;
  /** Requests sent so far (the client's counter). */
  readonly requests: () => number;
  /** The shared rate budget, read only: its requests per minute (the ETA's rate) and its waits. */
  readonly budget?: () => Pick<RateBudgetSnapshot, 'requestsPerMinute' | 'waitingUntil' | 'waitingFor'>;
  readonly now?: () => number;
  readonly intervalMs?: number;
  /** plan's figures (plan-estimate.json) for the totals until the listings are through. */
  readonly provisional?: ProvisionalTotals | null;
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

const fmt = (n: number): string => Math.round(n).toLocaleString('en');

/** `3,412/5,000` once the listing is through, `3,412/~100,000` plan's count, `3,412/5,000+` a floor. */
function fraction(f: ListedFigures): string {
  if (f.total === null) return `${fmt(f.done)}/${fmt(f.listed)}+`;
  return `${fmt(f.done)}/${f.source === 'plan' ? '~' : ''}${fmt(f.total)}`;
}

const QUALITY_MARK = { approx: '~', at_least: '≥' } as const;
const WAIT_WORDS = {
  retry_after: 'retry-after',
  server_budget: 'server budget spent',
  pace: 'pace',
} as const;

/** What the run waits for now: a retry's backoff, a 429's retry-after, the shared budget. */
interface Waits {
  readonly retry: { readonly text: string; readonly until: number } | null;
  readonly budget: { readonly until: number; readonly why: keyof typeof WAIT_WORDS } | null;
}

/** Budget waits shorter than this are plain pacing, not worth a word. */
const SHOWN_WAIT_MS = 1_000;

export class Progress implements ProgressSink {
  readonly #model: ProgressModel;
  readonly #opts: ProgressOptions;
  readonly #now: () => number;
  #current = 'preflight';
  #timer: NodeJS.Timeout | null = null;
  #startedAt: number;
  #lastLine = 0;
  /** The latest retry and when its wait ends. */
  #retry: { text: string; until: number; event: RetryEvent } | null = null;

  constructor(opts: ProgressOptions) {
    this.#opts = opts;
    this.#model = new ProgressModel(opts.provisional ?? null);
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  stage(name: string): StageCounters {
    return this.#model.stage(name);
  }

  beginPass(pass: number, listings: readonly string[]): void {
    this.#model.beginPass(pass, listings);
  }

  /** A request attempt for `path` was sent (the client's ledger), for per-kind request rates. */
  request(path: string): void {
    this.#model.noteRequest(path);
  }

  counters(): ReturnType<ProgressModel['counters']> {
    return this.#model.counters();
  }

  /** The figures as shown now. */
  figures(): ProgressFigures {
    return this.#model.figures(this.#opts.requests(), this.#opts.budget?.().requestsPerMinute ?? null);
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
    this.#retry = {
      text: `retrying ${e.target.method} ${e.target.path} (${retryReason(e)})`,
      until: this.#now() + e.delayMs,
      event: e,
    };
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
    this.#emit('retry', true);
  }

  #waits(): Waits {
    const now = this.#now();
    const retry = this.#retry !== null && now <= this.#retry.until ? this.#retry : null;
    const b = this.#opts.budget?.();
    const budget =
      b?.waitingUntil != null && b.waitingFor !== null && b.waitingUntil - now >= SHOWN_WAIT_MS
        ? { until: b.waitingUntil, why: b.waitingFor }
        : null;
    return { retry, budget };
  }

  #emit(event: string, force: boolean): void {
    const mode = this.#opts.mode;
    if (mode === 'off') return;
    const now = this.#now();
    const elapsed = (now - this.#startedAt) / 1000;
    const f = this.figures();
    const rate = elapsed > 0 ? f.requests.sent / elapsed : 0;
    const waits = this.#waits();
    if (mode === 'json') {
      if (!force && event === 'progress' && f.pass === 0) return;
      const iso = (ms: number): string => new Date(ms).toISOString();
      this.#opts.out.write(
        `${JSON.stringify({
          at: iso(now),
          event,
          stage: this.#current,
          pass: f.pass,
          elapsed_s: Math.round(elapsed),
          requests: {
            sent: f.requests.sent,
            estimated_total: f.requests.estimatedTotal,
            estimate: f.requests.quality,
            source: f.requests.source,
          },
          requests_per_s: Math.round(rate * 10) / 10,
          eta_s: f.etaSeconds === null ? null : Math.round(f.etaSeconds),
          totals: f.totals,
          records: f.records,
          gaps: f.gaps,
          quiesce: f.quiesce,
          waits: {
            retry_until: waits.retry === null ? null : iso(waits.retry.until),
            retry: waits.retry?.text ?? null,
            budget_until: waits.budget === null ? null : iso(waits.budget.until),
            budget_wait: waits.budget?.why ?? null,
          },
        })}\n`,
      );
      return;
    }
    const line = this.#line(f, rate, elapsed, waits);
    // Cut to the terminal's width when it has one (a wrapped line cannot be redrawn in place);
    // without one, the whole line: a log that keeps it loses nothing.
    const width = (this.#opts.out as { columns?: number }).columns;
    const shown = width === undefined ? line : line.slice(0, Math.max(20, width - 1));
    this.#opts.out.write(`\r\x1b[2K${shown}`);
    this.#lastLine = shown.length;
  }

  /**
   * `[collect] retrying … in 4s | requests 41,200/~380,000 · 9.8/s · ETA ~10h30m | chats 3,412/~100,000 ·
   * directory 44 records | 12m03s`: what a stall is waiting for first, then the requests and ETA, then
   * the kinds, so a narrow terminal cuts the least useful part.
   */
  #line(f: ProgressFigures, rate: number, elapsed: number, waits: Waits): string {
    const now = this.#now();
    const q = f.quiesce;
    const label = q !== null && this.#current === 'quiesce' ? `quiesce pass ${q.pass}` : this.#current;
    const segments: string[] = [];
    const why: string[] = [];
    if (waits.retry !== null)
      why.push(`${waits.retry.text} in ${fmtDuration((waits.retry.until - now) / 1000)}`);
    if (waits.budget !== null) {
      const what = WAIT_WORDS[waits.budget.why];
      why.push(`waiting for budget (${what}) ${fmtDuration((waits.budget.until - now) / 1000)}`);
    }
    if (why.length > 0) segments.push(why.join(' · '));
    const r = f.requests;
    const estimate =
      r.estimatedTotal === null || r.quality === null
        ? ''
        : `/${QUALITY_MARK[r.quality]}${fmt(r.estimatedTotal)}`;
    const eta =
      f.etaSeconds === null || r.quality === null
        ? '—'
        : `${QUALITY_MARK[r.quality]}${fmtDuration(f.etaSeconds)}`;
    segments.push(`requests ${fmt(r.sent)}${estimate} · ${rate.toFixed(1)}/s · ETA ${eta}`);
    const kinds: string[] = [];
    const shown = q !== null && this.#current === 'quiesce' ? q.kinds : f.totals;
    for (const [name, k] of Object.entries(shown)) {
      const gaps = f.gaps[name] ?? 0;
      kinds.push(`${name} ${fraction(k)}${gaps > 0 ? ` !${gaps}` : ''}`);
    }
    for (const [name, n] of Object.entries(f.records)) {
      const gaps = f.gaps[name] ?? 0;
      kinds.push(`${name} ${fmt(n)} ${n === 1 ? 'record' : 'records'}${gaps > 0 ? ` !${gaps}` : ''}`);
    }
    if (q !== null && this.#current === 'quiesce') kinds.push(`${fmt(q.changed)} changed`);
    if (kinds.length > 0) segments.push(kinds.join(' · '));
    return `[${label}] ${segments.join(' | ')} | ${fmtDuration(elapsed)}`;
  }
}
