/**
 * The preflight step: the run's first custody entry, the key's scopes probed, the as-of cut fixed,
 * the destination checked for the archive this cut names. Only once all of that passed do the
 * first journal lines bind the state folder to this spec, so a refused run leaves it unbound.
 */
import { hostname, userInfo } from 'node:os';
import { archiveNames } from '../archive/seal-bag.js';
import { shippingIntentOf } from '../ship/adopt-archive.js';
import type { ArchiveRef } from '../sink/sink.js';
import type { ContentKind, ResolvedJobSpec } from '../spec/types.js';
import type { StagingStore } from '../store/index.js';
import { TOOL_VERSION } from '../version.js';
import type { OpenedRun } from './open-run.js';
import { probeScopes, type ScopeGap } from './probe-scopes.js';

/** What preflight decided: the spec as this run exports it, and the cut it judges against. */
export interface Preflighted {
  /** The spec with `scope.include` narrowed to the kinds the key reaches. */
  readonly spec: ResolvedJobSpec;
  readonly include: ContentKind[];
  readonly gaps: ScopeGap[];
  readonly cut: string;
}

export function archiveRefOf(spec: ResolvedJobSpec, cut: string): ArchiveRef {
  return { name: spec.name, runId: archiveNames(spec.name, cut).runId };
}

/** `stopAfter: 'quiesce'` ships nothing, so the destination is not checked. */
export async function preflight(run: OpenedRun, stopAfter?: 'quiesce' | 'verify'): Promise<Preflighted> {
  const { store, custody, client, sink, loaded, now } = run;
  const { spec } = loaded;
  run.progress.enter('preflight');
  await custody.append(store.resumed ? 'run_resume' : 'run_start', {
    tool: TOOL_VERSION,
    operator: safeUser(),
    host: hostname(),
    keyFingerprint: client.keyFingerprint,
    specSha256: loaded.sha256,
    job: spec.name,
  });
  const { include, gaps } = await probeScopes(client, spec, run.signal, run.apiKey);
  const cut = fixCut(store, spec, now);
  const ref = archiveRefOf(spec, cut.cut);
  // A run killed while shipping may have left its archive there: the ship step adopts or refuses it.
  const shipping = shippingIntentOf(store.meta('shipping'))?.runId === ref.runId;
  const shipped = store.meta('shipped') !== undefined;
  const checks =
    shipped || stopAfter === 'quiesce' ? [] : await sink.preflight(ref, { allowExisting: shipping });
  // Preflight passed: the first journal lines of a fresh job bind the state folder to this spec.
  cut.bind();
  for (const gap of gaps) {
    const detail = `needs ${gap.scope}`;
    store.recordException(
      { kind: 'scope', id: gap.kind, reason: 'scope_missing', retryable: false, detail },
      1,
    );
  }
  await custody.append('preflight', {
    asOfCut: cut.cut,
    include,
    scopeGaps: gaps.map((g) => g.kind),
    destination: sink.root,
    checks: checks.map((c) => ({ check: c.check, ok: c.ok })),
  });
  return { spec: { ...spec, scope: { ...spec.scope, include } }, include, gaps, cut: cut.cut };
}

/**
 * The as-of cut is fixed once per job: a resumed run keeps judging against the same cut. A fresh
 * job's cut (and start time) are written only by `bind`, once preflight passed.
 */
function fixCut(
  store: StagingStore,
  spec: ResolvedJobSpec,
  now: () => Date,
): { readonly cut: string; bind(): void } {
  if (store.cut !== null) return { cut: store.cut, bind: () => undefined };
  const startedAt = now().toISOString();
  const cut = new Date(now().getTime() - spec.consistency.indexing_lag_ms).toISOString();
  return {
    cut,
    bind: () => {
      store.setMeta('run_started_at', startedAt);
      store.setMeta('as_of_cut', cut);
    },
  };
}

/** The OS user running the export, for the custody log (never fails the run). */
function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
