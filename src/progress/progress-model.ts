/**
 * What the progress line says, as data: per pass and stage the counters the collection bumps, the
 * requests each stage sent (told by the request ledger), and from those the figures a person is
 * shown. Each figure means one thing:
 *
 * - a listing kind (chats, projects, …): entries handled of entries listed in the pass, with the
 *   total known once the kind's listing walks are through (`3,412/5,000+` until then);
 * - a stage no listing names (directory, files): the records it stored, which only grows;
 * - the collection pass (pass 1) is `totals`; a quiescence pass is its own figures, never added to
 *   pass 1's;
 * - the request estimate: requests sent + for each listing kind of the current pass, entries listed
 *   and not yet handled × the requests per handled entry it has needed so far in the pass. A kind
 *   still listing, or one with nothing handled yet, makes it a floor (`≥`): lists carry no
 *   totals (compliance-api.md §4.1), so what is still to be listed is unknown.
 */
import type { StageCounters } from '../collect/context.js';

/** One stage's counters in one pass. */
class PassStage implements StageCounters {
  listed = 0;
  handled = 0;
  fetched = 0;
  skipped = 0;
  gaps = 0;
  /** Requests (attempts) the stage sent in the pass. */
  requests = 0;
  #listingDone = false;

  listingDone(): void {
    this.#listingDone = true;
  }

  get complete(): boolean {
    return this.#listingDone;
  }
}

/** Counters for callers that only count (tests): `listingDone` is remembered, nothing else. */
export function stageCounters(): StageCounters {
  return new PassStage();
}

interface Pass {
  readonly number: number;
  listings: readonly string[];
  readonly stages: Map<string, PassStage>;
}

/** A listing kind's figures in one pass: `total` is null until its listing is through. */
export interface ListedFigures {
  readonly done: number;
  readonly listed: number;
  readonly total: number | null;
}

/** How sure an estimate is: `approx` from measured rates, `at_least` while something is unlisted. */
export type EstimateQuality = 'approx' | 'at_least';

export interface RequestEstimate {
  readonly sent: number;
  /** null when nothing is known yet (no listing kind has handled an entry). */
  readonly estimatedTotal: number | null;
  readonly quality: EstimateQuality | null;
}

export interface ProgressFigures {
  /** The current pass (0 before pass 1 starts). */
  readonly pass: number;
  /** Pass 1's listing kinds: never reset, never added to by a later pass. */
  readonly totals: Readonly<Record<string, ListedFigures>>;
  /** Records stored by the stages no listing names (directory, files), over the whole run. */
  readonly records: Readonly<Record<string, number>>;
  /** Gaps named per stage, over the whole run. */
  readonly gaps: Readonly<Record<string, number>>;
  /** The current quiescence pass (2+): its listing kinds and the records it changed. */
  readonly quiesce: {
    readonly pass: number;
    readonly kinds: Readonly<Record<string, ListedFigures>>;
    readonly changed: number;
  } | null;
  readonly requests: RequestEstimate;
  /** Seconds left at the budget's rate, or null when unknown. */
  readonly etaSeconds: number | null;
}

/** Which stage a request path belongs to (the stage whose items it fetches). */
export function stageOfPath(path: string): string | null {
  const p = path.replace(/^\/v1\/compliance/, '');
  if (p.startsWith('/apps/chats') || p.startsWith('/apps/artifacts')) return 'chats';
  if (p.startsWith('/apps/projects')) return 'projects';
  if (p.startsWith('/apps/code/')) return 'code_artifacts';
  if (p.startsWith('/apps/sessions')) return 'sessions';
  if (p.startsWith('/activities')) return 'activities';
  if (p.startsWith('/organizations') || p.startsWith('/groups')) return 'directory';
  return null;
}

function figures(s: PassStage): ListedFigures {
  return { done: s.handled, listed: s.listed, total: s.complete ? s.listed : null };
}

export class ProgressModel {
  readonly #passes: Pass[] = [];

  /** A pass starts: from now on `stage` hands out this pass's counters. */
  beginPass(pass: number, listings: readonly string[]): void {
    const current = this.#current;
    if (current?.number === pass) {
      current.listings = [...listings];
      return;
    }
    this.#passes.push({ number: pass, listings: [...listings], stages: new Map() });
  }

  get #current(): Pass | undefined {
    return this.#passes.at(-1);
  }

  stage(name: string): StageCounters {
    return this.#stageOf(name);
  }

  /** A request attempt was sent for `path` (the ledger's path). */
  noteRequest(path: string): void {
    // preflight's probes and scope resolution come before any pass: no kind's items
    if (this.#current === undefined) return;
    const stage = stageOfPath(path);
    if (stage !== null) this.#stageOf(stage).requests += 1;
  }

  #stageOf(name: string): PassStage {
    let pass = this.#current;
    if (pass === undefined) {
      // counted before any pass (scope resolution): part of the collection pass
      pass = { number: 1, listings: [], stages: new Map() };
      this.#passes.push(pass);
    }
    let s = pass.stages.get(name);
    if (s === undefined) pass.stages.set(name, (s = new PassStage()));
    return s;
  }

  /** Raw counters of the current pass (for tests and debugging). */
  counters(): Record<string, Omit<StageCounters, 'listingDone'>> {
    const out: Record<string, Omit<StageCounters, 'listingDone'>> = {};
    for (const [name, s] of this.#current?.stages ?? []) {
      const { listed, handled, fetched, skipped, gaps } = s;
      out[name] = { listed, handled, fetched, skipped, gaps };
    }
    return out;
  }

  /** The figures to show, given requests sent so far and the budget's requests per minute. */
  figures(sent: number, requestsPerMinute: number | null): ProgressFigures {
    const first = this.#passes.find((p) => p.number === 1);
    const current = this.#current;
    const totals: Record<string, ListedFigures> = {};
    if (first !== undefined)
      for (const name of this.#listingNames(first)) totals[name] = this.#figuresOf(first, name);
    const records: Record<string, number> = {};
    const gaps: Record<string, number> = {};
    for (const pass of this.#passes) {
      for (const [name, s] of pass.stages) {
        if (s.gaps > 0) gaps[name] = (gaps[name] ?? 0) + s.gaps;
        if (this.#isListing(pass, name)) continue;
        // what it stored; in pass 1 also what it found stored already (a resumed run)
        const stored = s.fetched + (pass.number === 1 ? s.skipped : 0);
        if (stored > 0 || pass.number === 1) records[name] = (records[name] ?? 0) + stored;
      }
    }
    let quiesce: ProgressFigures['quiesce'] = null;
    if (current !== undefined && current.number > 1) {
      const kinds: Record<string, ListedFigures> = {};
      for (const name of this.#listingNames(current)) kinds[name] = this.#figuresOf(current, name);
      let changed = 0;
      for (const s of current.stages.values()) changed += s.fetched;
      quiesce = { pass: current.number, kinds, changed };
    }
    const requests = this.#estimate(current, sent);
    const rate = requestsPerMinute !== null && requestsPerMinute > 0 ? requestsPerMinute / 60 : null;
    const etaSeconds =
      requests.estimatedTotal === null || rate === null ? null : (requests.estimatedTotal - sent) / rate;
    return { pass: current?.number ?? 0, totals, records, gaps, quiesce, requests, etaSeconds };
  }

  #isListing(pass: Pass, name: string): boolean {
    return pass.listings.includes(name) || (pass.stages.get(name)?.listed ?? 0) > 0;
  }

  #listingNames(pass: Pass): string[] {
    const names = new Set(pass.listings);
    for (const [name, s] of pass.stages) if (s.listed > 0) names.add(name);
    return [...names];
  }

  #figuresOf(pass: Pass, name: string): ListedFigures {
    const s = pass.stages.get(name);
    return s === undefined ? { done: 0, listed: 0, total: null } : figures(s);
  }

  /** Requests still to send in the current pass, from what each listing kind has needed so far. */
  #estimate(pass: Pass | undefined, sent: number): RequestEstimate {
    if (pass === undefined) return { sent, estimatedTotal: null, quality: null };
    let remaining = 0;
    let known = false;
    let floor = false;
    for (const name of this.#listingNames(pass)) {
      const s = pass.stages.get(name);
      if (s === undefined || !s.complete) floor = true;
      if (s === undefined) continue;
      const backlog = s.listed - s.handled;
      if (s.handled === 0) {
        if (backlog > 0) floor = true;
        continue;
      }
      known = true;
      remaining += backlog * (s.requests / s.handled);
    }
    if (!known) return { sent, estimatedTotal: null, quality: null };
    return { sent, estimatedTotal: sent + Math.ceil(remaining), quality: floor ? 'at_least' : 'approx' };
  }
}
