/**
 * The collect and quiesce steps of a run: the organizations and custodians in scope resolved,
 * pass 1 over every included kind, then re-enumeration until nothing new shows up
 * (compliance-api.md §4.2), each step framed by its custody entries.
 */
import type { Organization } from '../api/index.js';
import type { CustodyLog } from '../archive/custody-log.js';
import { ExportError } from '../errors.js';
import type { ScopeGap } from '../preflight/probe-scopes.js';
import type { ContentKind, ResolvedJobSpec } from '../spec/types.js';
import type { StagingStore } from '../store/index.js';
import {
  createCollectContext,
  type CollectContext,
  type CollectContextInput,
  type PassContext,
} from './context.js';
import { collectFirstPass, quiesce, type QuiescenceResult, type Sleep } from './quiesce.js';
import { resolveCustodians, resolveOrganizations } from './scope.js';

export interface CollectRun {
  readonly store: StagingStore;
  readonly client: CollectContextInput['client'];
  readonly progress: CollectContextInput['progress'] & { enter(stage: string): void };
  readonly custody: CustodyLog;
  readonly signal: AbortSignal | undefined;
  readonly now: () => Date;
}

/** What preflight decided that collection needs: the narrowed spec, the cut and the scope gaps. */
export interface CollectScope {
  readonly spec: ResolvedJobSpec;
  readonly include: readonly ContentKind[];
  readonly gaps: readonly ScopeGap[];
  readonly cut: string;
}

/** The run's collect context and its first pass: what quiescence continues from. */
export interface Collected {
  readonly ctx: CollectContext;
  readonly firstPass: PassContext;
}

/** Pass 1: resolve who and what is in scope, then collect every included kind once. */
export async function collect(run: CollectRun, scope: CollectScope): Promise<Collected> {
  const { store, custody, progress } = run;
  const { max_concurrency: concurrency } = scope.spec.source;
  const deps = {
    store,
    client: run.client,
    spec: scope.spec,
    cut: scope.cut,
    concurrency,
    readAhead: concurrency * 2,
    signal: run.signal,
    progress,
  };
  progress.enter('collect');
  const { orgs, raw } = await organizationsInScope(deps, scope);
  const ctx = createCollectContext({ ...deps, scope: await resolveCustodians(deps, orgs) });
  await custody.append('stage_start', { stage: 'collect', pass: 1 });
  const firstPass = await collectFirstPass(ctx, orgs, raw, run.now);
  await custody.append('stage_end', { stage: 'collect', counts: Object.fromEntries(store.countsByKind()) });
  return { ctx, firstPass };
}

/**
 * The organizations to collect. A key without the org-data scope cannot list them: with
 * `organizations: all` the run goes on without the directory (its gap is already recorded by
 * preflight); a list of organizations it cannot check is an error.
 */
async function organizationsInScope(
  deps: Omit<CollectContextInput, 'scope'>,
  scope: CollectScope,
): Promise<{ orgs: Organization[]; raw: Map<string, string> }> {
  const none = { orgs: [], raw: new Map<string, string>() };
  const canListOrgs = !scope.gaps.some((g) => g.kind === 'directory') || scope.include.includes('directory');
  if (!canListOrgs) return none;
  return resolveOrganizations(deps).catch((error: unknown) => {
    if (
      error instanceof ExportError &&
      error.code === 'scope_missing' &&
      scope.spec.scope.organizations === 'all'
    )
      return none;
    throw error;
  });
}

/** Waits between quiescence passes; an interrupt ends the wait at once. */
const defaultSleep: Sleep = (ms, signal) =>
  new Promise((res, rej) => {
    const t = setTimeout(res, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        rej(new ExportError('interrupted', 'interrupted while waiting between quiescence passes'));
      },
      { once: true },
    );
  });

/** Re-enumerate until a pass stores nothing new (or `max_passes`), then record where it ended. */
export async function quiesceCollected(
  run: CollectRun,
  { ctx, firstPass }: Collected,
  sleep: Sleep = defaultSleep,
): Promise<QuiescenceResult> {
  const { store } = run;
  run.progress.enter('quiesce');
  const quiescence = await quiesce(ctx, sleep, run.now, firstPass);
  await store.flush();
  await run.custody.append('stage_end', {
    stage: 'quiesce',
    ...quiescence,
    counts: Object.fromEntries(store.countsByKind()),
    exceptions: store.exceptions().length,
    drift: store.drift().length,
    duplicates: store.stats.duplicates,
  });
  return quiescence;
}
