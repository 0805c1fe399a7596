/**
 * What the progress line says, as data: per pass and stage the counters the collection bumps, the
 * requests each stage sent (told by the request ledger), and from those the figures a person is
 * shown. Each figure means one thing:
 *
 * - a listing kind (chats, projects, …): entries handled of entries listed in the pass, with the
 *   total known once the kind's listing walks are through (`3,412/5,000`, source `listing`); until
 *   then plan's count when `plan` left one (`3,412/~100,000`, source `plan`), else a floor
 *   (`3,412/5,000+`). A kind that lists more than plan counted is a floor again: a shown count
 *   never exceeds its shown total;
 * - a stage no listing names (directory, files): the records it stored, which only grows;
 * - the collection pass (pass 1) is `totals`; a quiescence pass is its own figures, never added to
 *   pass 1's;
 * - the request estimate: requests sent + for each listing kind of the current pass, entries listed
 *   and not yet handled × the requests per handled entry it has needed so far in the pass. A kind
 *   still listing, or one with nothing handled yet, makes it a floor (`≥`): lists carry no
 *   totals (compliance-api.md §4.1), so what is still to be listed is unknown. With plan's
 *   figures, until pass 1's listings are all through: each kind still listing counts plan's share
 *   of requests for it (less what it sent), a kind listed in full its measured rate, and the rest
 *   of plan's total (probes, directory, a quiescence pass) less what was sent outside the kinds
 *   (source `plan`).
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

/** Where a shown total comes from: the run's own listing, or plan's survey (plan-estimate.json). */
export type TotalSource = 'listing' | 'plan';

/** A listing kind's figures in one pass: `total` is null while it is only a floor (`listed+`). */
export interface ListedFigures {
  readonly done: number;
  readonly listed: number;
  readonly total: number | null;
  readonly source: TotalSource | null;
}

/**
 * What plan's survey expects this run to list and send: plan-estimate.json, less what earlier runs
 * of a resumed job did (src/progress/plan-totals.ts).
 */
export interface ProvisionalTotals {
  /** Entries each listing kind's pass-1 walks are expected to list. */
  readonly listed: Readonly<Record<string, number>>;
  /** Requests the run is expected to send, in all. */
  readonly requests: number;
  /** Each kind's share of `requests` (its pass-1 listing pages and fetches). */
  readonly requestsByKind: Readonly<Record<string, number>>;
}

/** How sure an estimate is: `approx` from measured rates, `at_least` while something is unlisted. */
export type EstimateQuality = 'approx' | 'at_least';

export interface RequestEstimate {
  readonly sent: number;
  /** null when nothing is known yet (no listing kind has handled an entry). */
  readonly estimatedTotal: number | null;
  readonly quality: EstimateQuality | null;
  /** `plan` while plan's figures stand in for listings not yet through. */
  readonly source: TotalSource | null;
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

/** A map's own entry (plan's maps come from a file: no inherited names). */
function own(map: Readonly<Record<string, number>>, name: string): number | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

/** A kind's figures: its listing's total once through, else plan's count while not outgrown. */
function figures(s: PassStage | undefined, planned: number | undefined): ListedFigures {
  const done = s?.handled ?? 0;
  const listed = s?.listed ?? 0;
  if (s?.complete === true) return { done, listed, total: listed, source: 'listing' };
  if (planned !== undefined && listed <= planned) return { done, listed, total: planned, source: 'plan' };
  return { done, listed, total: null, source: null };
}

export class ProgressModel {
  readonly #passes: Pass[] = [];
  readonly #plan: ProvisionalTotals | null;

  constructor(plan: ProvisionalTotals | null = null) {
    this.#plan = plan;
  }

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
    // plan's counts stand in only while pass 1 runs (or before it starts)
    const plan = current === undefined || current.number === 1 ? this.#plan : null;
    for (const name of this.#firstPassKinds(first, plan))
      totals[name] = figures(first?.stages.get(name), plan === null ? undefined : own(plan.listed, name));
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
      for (const name of this.#listingNames(current))
        kinds[name] = figures(current.stages.get(name), undefined);
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

  /** Pass 1's listing kinds; before they are known, the kinds plan counted. */
  #firstPassKinds(first: Pass | undefined, plan: ProvisionalTotals | null): string[] {
    const names = first === undefined ? [] : this.#listingNames(first);
    return names.length > 0 || plan === null ? names : Object.keys(plan.listed);
  }

  #listingNames(pass: Pass): string[] {
    const names = new Set(pass.listings);
    for (const [name, s] of pass.stages) if (s.listed > 0) names.add(name);
    return [...names];
  }

  /** Requests still to send in the current pass, from what each listing kind has needed so far. */
  #estimate(pass: Pass | undefined, sent: number): RequestEstimate {
    const plan = this.#plan;
    if (plan !== null && (pass === undefined || this.#planStands(pass)))
      return this.#planned(plan, pass, sent);
    if (pass === undefined) return { sent, estimatedTotal: null, quality: null, source: null };
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
    if (!known) return { sent, estimatedTotal: null, quality: null, source: null };
    return {
      sent,
      estimatedTotal: sent + Math.ceil(remaining),
      quality: floor ? 'at_least' : 'approx',
      source: 'listing',
    };
  }

  /** plan's request figures stand until pass 1's listings are all through. */
  #planStands(pass: Pass): boolean {
    if (pass.number !== 1) return false;
    const names = this.#listingNames(pass);
    return names.length === 0 || names.some((name) => pass.stages.get(name)?.complete !== true);
  }

  /** Requests of the run by plan's shares, each kind listed in full by its measured rate instead. */
  #planned(plan: ProvisionalTotals, pass: Pass | undefined, sent: number): RequestEstimate {
    const names = this.#firstPassKinds(pass, plan);
    let remaining = 0;
    let floor = false;
    let shares = 0;
    let sentInKinds = 0;
    for (const name of names) {
      const s = pass?.stages.get(name);
      const share = own(plan.requestsByKind, name);
      const count = own(plan.listed, name);
      const sentByKind = s?.requests ?? 0;
      const backlog = (s?.listed ?? 0) - (s?.handled ?? 0);
      const measured = s !== undefined && s.handled > 0 ? backlog * (s.requests / s.handled) : null;
      const withinPlan =
        share !== undefined && sentByKind <= share && (count === undefined || (s?.listed ?? 0) <= count);
      shares += share ?? 0;
      sentInKinds += sentByKind;
      if (s?.complete === true && (measured !== null || backlog === 0)) remaining += measured ?? 0;
      else if (withinPlan) remaining += Math.max(share - sentByKind, measured ?? 0);
      else {
        // no share from plan, or the kind outgrew it (sent or listed more): its rate over what it
        // listed so far, a floor
        remaining += measured ?? 0;
        floor = true;
      }
    }
    // probes, scope resolution, the directory, a quiescence pass: plan's rest less what went to them
    const rest = Math.max(0, plan.requests - shares - (sent - sentInKinds));
    return {
      sent,
      estimatedTotal: sent + Math.ceil(remaining + rest),
      quality: floor ? 'at_least' : 'approx',
      source: 'plan',
    };
  }
}
