/**
 * The first pass and the quiescence loop (compliance-api.md §4.2). After pass 1, wait `interval`,
 * then re-enumerate what can change behind a cursor or lag in an index, each listed in full with
 * no time filter: chats (a new message whose index entry lags would fall out of any updated_at
 * window), code artifacts (sorted by id, so new ones land behind the cursor), projects, activities
 * (late-indexed events), sessions (one that gains messages never shows in a later created_at
 * window, only in its `updated_at`). Only new or changed items are fetched: each listed item's `updated_at`
 * and other listing signals are compared with what the store holds. Stop when a pass stores nothing
 * new, or after `max_passes`; then the changes of the last pass are named `unresolved_drift`.
 *
 * Pass starts are recorded in the journal, so a resumed run continues the loop where it stopped.
 */
import type { Organization } from '../api/index.js';
import { NOTICE_REASONS } from '../archive/report-rows.js';
import { includes, startPass, type CollectContext, type PassContext } from './context.js';
import { KINDS, RELISTED_KINDS, type FirstPassInput } from './kinds/index.js';
import { retryGaps } from './retry-gaps.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface QuiescenceResult {
  /** Re-enumeration passes run (pass 1 not counted). */
  readonly passes: number;
  readonly settled: boolean;
}

function passStartKey(pass: number): string {
  return `pass_${pass}_started_at`;
}

function passDoneKey(pass: number): string {
  return `pass_${pass}_changed`;
}

/**
 * Pass 1: every included kind, all at once. They share the ONE client, so its budget and its
 * in-flight cap (`max_concurrency`) bound the whole pass, not each kind; each keeps its own
 * bounded fan-out and read-ahead, so memory stays bounded too. Run one after another, the budget
 * drained to zero at every boundary.
 *
 * Ordering: what the kinds need from the directory (selected org uuids, custodian ids) is
 * resolved before this is called (../scope.ts, fixed in `ctx.scope`), and no kind reads the
 * directory's rows, so the directory runs alongside the others.
 *
 * Returns the pass: what it changed is where quiescence starts from.
 */
export async function collectFirstPass(
  ctx: CollectContext,
  orgs: readonly Organization[],
  rawOrgs: ReadonlyMap<string, string>,
  now: () => Date,
): Promise<PassContext> {
  const pass = startPass(ctx, 1);
  ctx.progress.beginPass?.(1, listingStages(ctx));
  // A rerun first retries what an earlier run could not get but said a rerun may help with.
  if (ctx.store.resumed) await retryGaps(pass);
  if (ctx.store.meta(passStartKey(1)) === undefined) ctx.store.setMeta(passStartKey(1), now().toISOString());
  if (ctx.store.meta(passDoneKey(1)) !== undefined) return pass;
  const first: FirstPassInput = { orgs, rawOrgs };
  await runConcurrently(
    pass,
    KINDS.filter((kind) => includes(ctx, kind.include)).map(
      (kind) => (stage: PassContext) => (kind.relisted ? kind.collect(stage) : kind.collect(stage, first)),
    ),
    { widen: STAGE_FAN_OUT_FACTOR },
  );
  ctx.store.setMeta(passDoneKey(1), pass.changes.count);
  await ctx.store.flush();
  return pass;
}
/** The progress stages that list their items in every pass (each relisted kind's, by its name). */
function listingStages(ctx: CollectContext): string[] {
  return RELISTED_KINDS.filter((kind) => includes(ctx, kind.include)).map((kind) => kind.name);
}

/**
 * How much wider than `max_concurrency` a stage's fan-out runs during the concurrent first pass.
 * The client's cap still bounds the requests in flight for the whole job at `max_concurrency`; the
 * wider fan-out only keeps requests queued at the pacer while other items are busy writing blobs,
 * so the budget does not idle when the longest stage (chats) runs alone. Memory stays bounded by
 * this factor (items in progress per stage).
 */
const STAGE_FAN_OUT_FACTOR = 2;

export interface RunConcurrentlyOptions {
  /**
   * Multiply the pass's `concurrency` by this for its stages (default 1). Read-ahead is not
   * widened: finished results waiting are what costs memory (bench:memory medium went 249 → 275 MB
   * with it).
   */
  readonly widen?: number;
}

/**
 * Run stages of one pass concurrently and return only when every one of them has settled, so
 * nothing writes to the store after the caller moves on (closing it, or reporting an interrupt).
 * Each stage gets a copy of the pass whose `signal` also aborts when a sibling fails, so their
 * in-flight requests end and their errors count as fatal (no gap is recorded for work cut short,
 * no checkpoint advances), and whose `concurrency` may be widened (see STAGE_FAN_OUT_FACTOR). The
 * copies share the pass's changes. The first failure is what is thrown.
 */
export async function runConcurrently(
  pass: PassContext,
  stages: readonly ((stage: PassContext) => Promise<void>)[],
  options: RunConcurrentlyOptions = {},
): Promise<void> {
  const stop = new AbortController();
  const widen = Math.max(1, Math.floor(options.widen ?? 1));
  const stage: PassContext = {
    ...pass,
    signal: pass.signal === undefined ? stop.signal : AbortSignal.any([pass.signal, stop.signal]),
    concurrency: pass.concurrency * widen,
  };
  let first: { error: unknown } | null = null;
  await Promise.all(
    stages.map(async (run) => {
      try {
        await run(stage);
      } catch (error) {
        if (first === null) {
          first = { error };
          stop.abort(error);
        }
      }
    }),
  );
  if (first !== null) throw (first as { error: unknown }).error;
}

/**
 * Re-enumerate until nothing new shows up, or `max_passes`. `previous` is the pass before the
 * first one this runs (pass 1): when the passes were all run by an earlier run, its changes are
 * the ones named as unresolved drift.
 */
export async function quiesce(
  ctx: CollectContext,
  sleep: Sleep,
  now: () => Date,
  previous: PassContext,
): Promise<QuiescenceResult> {
  let last = previous;
  const { interval_ms: interval, max_passes: maxPasses } = ctx.spec.consistency.quiescence;
  for (let pass = 2; pass <= maxPasses + 1; pass += 1) {
    const finished = ctx.store.meta(passDoneKey(pass));
    if (typeof finished === 'number') {
      // Done in an earlier run of this job.
      if (finished === 0) return { passes: pass - 1, settled: true };
      continue;
    }
    const resumed = ctx.store.meta(passStartKey(pass)) !== undefined;
    if (!resumed) {
      await sleep(interval, ctx.signal);
      ctx.store.setMeta(passStartKey(pass), now().toISOString());
    }
    last = startPass(ctx, pass);
    ctx.progress.beginPass?.(pass, listingStages(ctx));
    // Every kind is listed again in full: no re-enumeration depends on a time filter (§4.2).
    for (const kind of RELISTED_KINDS) if (includes(ctx, kind.include)) await kind.collect(last);
    // A pass resumed after a crash may have stored changes before the crash: never call it settled.
    const changed = last.changes.count + (resumed ? 1 : 0);
    ctx.store.setMeta(passDoneKey(pass), changed);
    await ctx.store.flush();
    if (changed === 0) return { passes: pass - 1, settled: true };
  }
  nameUnresolvedDrift(last, maxPasses);
  await ctx.store.flush();
  return { passes: maxPasses, settled: false };
}

/**
 * Still changing after the last pass: name what changed in it. Items created after the cut are
 * not in the archive (drift.csv names them); a notice about the archived bytes (a served copy,
 * an unsafe ZIP) is the row that matters more, and drift.csv names the change anyway.
 */
export function nameUnresolvedDrift(ctx: PassContext, maxPasses: number): void {
  for (const [kind, id] of ctx.changes.keys) {
    if (ctx.store.status(kind, id).state !== 'stored') continue;
    const existing = ctx.store.exception(kind, id);
    if (existing !== undefined && NOTICE_REASONS.has(existing.reason)) continue;
    ctx.store.recordException(
      {
        kind,
        id,
        reason: 'unresolved_drift',
        retryable: true,
        detail: `still changing after ${maxPasses} quiescence passes; archived at its latest state`,
      },
      ctx.pass,
    );
  }
}
