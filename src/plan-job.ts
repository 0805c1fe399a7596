/**
 * The order of `plan`: load and validate the spec (exit 2) → the run's preflight (key, scopes;
 * exit 1) → a read-only destination check → free space and staged bytes → the listing-only
 * survey → `buildPlan` (pure) → plan-estimate.json in the job's state folder, for the run's
 * progress line (unless `save: false`; never over a folder a running export holds). Nothing else
 * is written: nothing at the destination, nothing else in the state folder.
 */
import { resolve } from 'node:path';
import { createComplianceClient, type ComplianceClientOptions } from './api/index.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { statfsFree, type FreeSpaceReader } from './disk/free-space.js';
import { buildPlan, type SizeOverrides } from './plan/index.js';
import { planEstimateOf } from './plan/plan-estimate.js';
import type { ExportPlan } from './plan/types.js';
import { clientOptionsFromSpec, probeScopes, readApiKey } from './preflight/probe-scopes.js';
import { applyOverrides, loadSpecFile } from './spec/index.js';
import { snapshotModeOf, type LoadedSpec, type SpecOverrides } from './spec/types.js';
import { createSink } from './sink/create-sink.js';
import { loadBaseSignals } from './snapshot/base-signals.js';
import { checkDestinationReadOnly } from './survey/check-destination.js';
import { readDisk } from './survey/read-disk.js';
import { readStateInfo } from './survey/read-state.js';
import { savePlanEstimate, type SaveEstimateOutcome } from './survey/save-plan-estimate.js';
import { surveyListings } from './survey/survey-listings.js';

export interface PlanJobOptions {
  readonly specPath: string;
  /** Where a run would keep its state (default: the spec's `state_dir`). */
  readonly stateDir?: string;
  /** Leave plan-estimate.json in the job's state folder for the run (default true; `--no-save`). */
  readonly save?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly overrides?: SpecOverrides;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
  /** Client knobs for tests (retry policy, clock); never the key or base URL. */
  readonly client?: Partial<Omit<ComplianceClientOptions, 'apiKey' | 'baseUrl'>>;
  /** S3 client for the destination check (tests); default: built from the spec and the AWS chain. */
  readonly s3Client?: S3Client;
  /** Free space of a folder's filesystem (tests force a small disk); default `statfs`. */
  readonly freeSpace?: FreeSpaceReader;
  /** `--min-free`, as the run would use it (default 1 GiB). */
  readonly minFree?: number;
  /** `--assume item=size`: payload bytes per item for the byte estimate. */
  readonly assume?: SizeOverrides;
}

export interface PlanJobResult {
  readonly plan: ExportPlan;
  readonly loaded: LoadedSpec;
  /** Whether plan-estimate.json was written, and why not; null with `save: false`. */
  readonly estimateFile: SaveEstimateOutcome | null;
}

export async function planJob(options: PlanJobOptions): Promise<PlanJobResult> {
  const now = options.now ?? (() => new Date());
  const env = options.env ?? process.env;
  let loaded = await loadSpecFile(options.specPath, { env });
  if (options.overrides !== undefined) loaded = applyOverrides(loaded, options.overrides, { env });
  const spec = loaded.spec;

  const apiKey = readApiKey(spec, env);
  const client = createComplianceClient({
    ...options.client,
    ...clientOptionsFromSpec(spec),
    apiKey,
  });
  try {
    const pre = await probeScopes(client, spec, options.signal, apiKey);
    const probes = client.stats().requests;
    const destination = await checkDestinationReadOnly(
      spec.destination,
      options.s3Client === undefined ? {} : { client: options.s3Client },
    );
    const stateRoot = options.stateDir ?? spec.state_dir;
    const state = await readStateInfo(stateRoot, spec.name, loaded.sha256);
    const disk = await readDisk({
      read: options.freeSpace ?? statfsFree,
      stateRoot,
      state,
      destinationUri: spec.destination.uri,
    });
    const surveyedAt = now();
    const cut = new Date(surveyedAt.getTime() - spec.consistency.indexing_lag_ms).toISOString();
    const runSpec = { ...spec, scope: { ...spec.scope, include: pre.include } };
    const base =
      snapshotModeOf(spec) === 'incremental'
        ? await loadBaseSignals(
            createSink(spec.destination, { now, ...(options.s3Client ? { client: options.s3Client } : {}) }),
            {
              name: spec.name,
              specSha256: loaded.sha256,
              overlapMs: spec.consistency.overlap_ms,
            },
          )
        : undefined;
    const found = await surveyListings({
      client,
      spec: runSpec,
      cut,
      signal: options.signal,
      ...(base === undefined ? {} : { base }),
    });
    const plan = buildPlan({
      spec: runSpec,
      specSha256: loaded.sha256,
      file: options.specPath,
      ...(options.minFree === undefined ? {} : { minFree: options.minFree }),
      ...(options.assume === undefined ? {} : { assume: options.assume }),
      survey: {
        surveyedAt: surveyedAt.toISOString(),
        asOfCut: cut,
        include: pre.include,
        scopeGaps: pre.gaps.map((g) => ({ kind: g.kind, scope: g.scope })),
        probes,
        destination,
        state,
        disk,
        ...found,
        requestsMade: client.stats().requests,
      },
    });
    const estimateFile =
      options.save === false
        ? null
        : await savePlanEstimate(
            resolve(stateRoot),
            planEstimateOf(plan, found.listed, plan.survey.surveyedAt),
            now,
          );
    return { plan, loaded, estimateFile };
  } finally {
    await client.close();
  }
}
