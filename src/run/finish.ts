/**
 * Seal → ship (→ read back) for a collected store: reports rendered from the store, the bag
 * streamed from the blobs into the zip and straight into the sink (never buffered or written
 * twice), summary and custody log beside it, every step in the hash-chained custody log.
 * A shipped archive is recorded in the journal, so a rerun of a finished job does not ship twice.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComplianceClient } from '../api/index.js';
import type { CustodyLog } from '../archive/custody-log.js';
import { renderReports } from '../archive/render-reports.js';
import type { RequestLedgerSummary } from '../archive/report-rows.js';
import { archiveNames, sealBag } from '../archive/seal-bag.js';
import { ACTIVITIES_AGGREGATE } from '../collect/activities.js';
import { DIRECTORY_AGGREGATES } from '../collect/directory.js';
import type { QuiescenceResult } from '../collect/quiesce.js';
import { ExportError } from '../errors.js';
import { shipArchive } from '../sink/ship-archive.js';
import type { ArchiveRef, Sink } from '../sink/sink.js';
import type { LoadedSpec, ResolvedJobSpec } from '../spec/types.js';
import { buildBagPayload, type StagingStore } from '../store/index.js';
import { TOOL_VERSION } from '../version.js';
import { verifyArchive } from '../verify/verify-archive.js';
import type { Progress } from './progress.js';
import { driftRows, exceptionRows, itemRows } from './report-sources.js';

export interface FinishInput {
  readonly store: StagingStore;
  readonly loaded: LoadedSpec;
  readonly runSpec: ResolvedJobSpec;
  readonly client: ComplianceClient;
  readonly progress: Progress;
  readonly now: () => Date;
  readonly quiescence: QuiescenceResult;
  readonly custody: CustodyLog;
  readonly sink: Sink;
}

export interface FinishResult {
  readonly location: string;
  readonly sidecarLocation: string;
  readonly zipSha256: string;
  readonly zipBytes: number;
  readonly payloadFiles: number;
  readonly readBackOk: boolean;
  readonly verified: boolean;
}

export function archiveRefOf(spec: ResolvedJobSpec, cut: string): ArchiveRef {
  return { name: spec.name, runId: archiveNames(spec.name, cut).runId };
}

export function requestSummary(client: ComplianceClient, budgetRpm: number): RequestLedgerSummary {
  const s = client.stats();
  const minutes =
    s.firstRequestAt !== null && s.lastRequestAt !== null ? (s.lastRequestAt - s.firstRequestAt) / 60_000 : 0;
  return {
    total: s.requests,
    byStatus: s.byStatus,
    retried: s.retries,
    rateLimited: s.rateLimited,
    budgetRpm,
    ...(minutes > 0 ? { achievedRpm: Math.round((s.requests / minutes) * 10) / 10 } : {}),
  };
}

export async function finishRun(input: FinishInput): Promise<FinishResult> {
  const { store, loaded, runSpec, custody, sink, progress } = input;
  const done = store.meta('shipped');
  if (typeof done === 'object' && done !== null) return done as FinishResult;
  const cut = store.cut!;
  const ref = archiveRefOf(runSpec, cut);
  const include = runSpec.scope.include;
  const required = [
    ...(include.includes('directory') ? DIRECTORY_AGGREGATES : []),
    ...(include.includes('activities') ? [ACTIVITIES_AGGREGATE] : []),
  ];
  const bag = await buildBagPayload(store, required);
  const requests = requestSummary(input.client, runSpec.source.requests_per_minute);
  await custody.append('requests', { ...requests });
  await custody.append('seal', {
    runId: ref.runId,
    payloadFiles: bag.fileCount,
    payloadBytes: bag.totalBytes,
  });
  const spoolDir = join(store.dir, 'reports');
  await rm(spoolDir, { recursive: true, force: true });
  const started = store.meta('run_started_at');
  const rendered = await renderReports({
    spoolDir,
    items: itemRows(store),
    exceptions: exceptionRows(store),
    drift: driftRows(store),
    summary: {
      name: runSpec.name,
      runId: ref.runId,
      asOfCut: cut,
      matter: runSpec.matter ?? null,
      toolVersion: TOOL_VERSION,
      specSha256: loaded.sha256,
      startedAt: typeof started === 'string' ? started : cut,
      finishedAt: input.now().toISOString(),
      duplicates: store.stats.duplicates,
      quiescence: input.quiescence,
      requests,
    },
    jobYaml: loaded.sourceText,
    jobResolved: loaded.spec,
    custodyLogPath: custody.path,
  });
  const bagInfo: [string, string][] = [
    ['As-Of-Cut', cut],
    ['Tool-Version', TOOL_VERSION],
    ['Job-Spec-SHA256', loaded.sha256],
  ];
  if (runSpec.matter !== undefined) bagInfo.push(['Matter', runSpec.matter]);
  progress.enter('ship');
  const sealed = sealBag({
    name: runSpec.name,
    asOfCut: cut,
    payload: bag.payload,
    tagFiles: rendered.tagFiles,
    bagInfo,
  });
  const shipped = await shipArchive(sink, ref, sealed);
  await custody.append('upload', {
    location: shipped.written.location,
    bytes: shipped.written.bytes,
    sha256: shipped.written.sha256,
    crc32: shipped.written.crc32,
    manifestSha256: shipped.seal.manifestSha256,
  });
  await sink.putBeside(
    ref,
    'summary.json',
    `${JSON.stringify(rendered.summary, null, 2)}\n`,
    'application/json',
  );
  progress.enter('verify');
  const readBack = await sink.readBack(ref, shipped.written);
  await custody.append('readback', {
    ok: readBack.ok,
    method: readBack.method,
    problems: [...readBack.problems],
  });
  // Independent check of what landed: the bag as a recipient would verify it.
  const dest = runSpec.destination;
  const report = readBack.ok
    ? await verifyArchive(shipped.written.location, {
        ...(dest.region !== undefined ? { region: dest.region } : {}),
        ...(dest.endpoint !== undefined ? { endpoint: dest.endpoint } : {}),
        forcePathStyle: dest.force_path_style,
      })
    : null;
  if (report !== null) {
    await custody.append('verify', {
      ok: report.ok,
      archiveSha256: report.archiveSha256,
      problems: report.problems.slice(0, 50).map((p) => `${p.code}: ${p.path ?? ''}`),
    });
  }
  await sink.putBeside(ref, 'custody.jsonl', await readFile(custody.path), 'application/x-ndjson');
  if (!readBack.ok) {
    throw new ExportError(
      'upload_failed',
      `${shipped.written.location}: read-back check failed: ${readBack.problems.join('; ') || 'bytes differ'}`,
      { retryable: true },
    );
  }
  if (report !== null && !report.ok) {
    const first = report.problems[0];
    throw new ExportError(
      'verify_failed',
      `${shipped.written.location}: ${report.problems.length} problem(s); first: ${first?.code ?? '?'} ${first?.path ?? ''}`,
    );
  }
  const result: FinishResult = {
    location: shipped.written.location,
    sidecarLocation: shipped.written.sidecarLocation,
    zipSha256: shipped.written.sha256,
    zipBytes: shipped.written.bytes,
    payloadFiles: shipped.seal.payloadFiles,
    readBackOk: readBack.ok,
    verified: report?.ok ?? false,
  };
  store.setMeta('shipped', result);
  await store.flush();
  return result;
}
