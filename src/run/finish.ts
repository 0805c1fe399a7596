/**
 * Seal → ship (→ read back) for a collected store: reports rendered from the store, the bag
 * streamed from the blobs into the zip and straight into the sink (never buffered or written
 * twice), summary and custody log beside it, every step in the hash-chained custody log.
 * A shipped archive is recorded in the journal, so a rerun of a finished job does not ship twice;
 * a shipping intent is recorded before the upload, so a rerun after a kill between the upload and
 * that record adopts the archive already there when it is this run's evidence (adopt-archive.ts).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComplianceClient } from '../api/index.js';
import type { CustodyLog } from '../archive/custody-log.js';
import { renderReports } from '../archive/render-reports.js';
import type { RequestLedgerSummary } from '../archive/report-rows.js';
import { archiveNames, sealBag } from '../archive/seal-bag.js';
import { requiredAggregates } from '../collect/index.js';
import type { QuiescenceResult } from '../collect/quiesce.js';
import { ExportError } from '../errors.js';
import { shipArchive } from '../sink/ship-archive.js';
import type { ArchiveRef, Sink, WrittenArchive } from '../sink/sink.js';
import type { LoadedSpec, ResolvedJobSpec } from '../spec/types.js';
import { buildBagPayload, type StagingStore } from '../store/index.js';
import { TOOL_VERSION } from '../version.js';
import { verifyArchive } from '../verify/verify-archive.js';
import {
  adoptArchive,
  payloadManifestSha256,
  putBesideIfAbsent,
  refusal,
  shippingIntentOf,
  type ShippingIntent,
} from './adopt-archive.js';
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
  /** Called after each finish step has completed (tests simulate a kill by throwing). */
  readonly afterStep?: (step: FinishStep) => Promise<void> | void;
}

export type FinishStep = 'intent' | 'upload' | 'summary' | 'readback' | 'verify' | 'custody';

export interface FinishResult {
  readonly location: string;
  readonly sidecarLocation: string;
  readonly zipSha256: string;
  readonly zipBytes: number;
  readonly payloadFiles: number;
  readonly readBackOk: boolean;
  readonly verified: boolean;
  /** The archive was found at the destination (left by a killed run) and adopted, not uploaded. */
  readonly adopted: boolean;
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
  if (typeof done === 'object' && done !== null) {
    const recorded = done as FinishResult;
    return { ...recorded, adopted: recorded.adopted ?? false };
  }
  const cut = store.cut!;
  const ref = archiveRefOf(runSpec, cut);
  const include = runSpec.scope.include;
  const bag = await buildBagPayload(store, requiredAggregates(include));
  const manifestSha256 = await payloadManifestSha256(bag.payload);
  const requests = requestSummary(input.client, runSpec.source.requests_per_minute);
  await custody.append('requests', { ...requests });
  const dest = runSpec.destination;
  const intent = shippingIntentOf(store.meta('shipping'));
  // Killed after (part of) the upload last time: adopt what is there if it is this run's evidence.
  const adopted =
    intent !== null && intent.runId === ref.runId
      ? await adoptArchive({ sink, ref, intent, manifestSha256, dest, custody })
      : null;
  let written: WrittenArchive;
  let summaryBytes: string | Buffer;
  if (adopted !== null) {
    progress.enter('ship');
    written = adopted.written;
    summaryBytes = adopted.sealedSummary ?? '';
  } else {
    await custody.append('seal', {
      runId: ref.runId,
      payloadFiles: bag.fileCount,
      payloadBytes: bag.totalBytes,
    });
    const rendered = await render(input, ref, cut, requests);
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
    // Durable before the first byte goes out: a rerun after a kill must know whose archive it finds.
    const shipping: ShippingIntent = {
      runId: ref.runId,
      location: sink.locationOf(ref),
      manifestSha256,
      at: input.now().toISOString(),
    };
    store.setMeta('shipping', shipping);
    await store.flush();
    await input.afterStep?.('intent');
    const shipped = await shipArchive(sink, ref, sealed);
    if (shipped.seal.manifestSha256 !== manifestSha256) {
      throw new ExportError(
        'internal',
        `${shipped.written.location}: sealed payload manifest ${shipped.seal.manifestSha256} differs from the one computed before sealing (${manifestSha256})`,
      );
    }
    written = shipped.written;
    summaryBytes = `${JSON.stringify(rendered.summary, null, 2)}\n`;
    await custody.append('upload', {
      location: written.location,
      bytes: written.bytes,
      sha256: written.sha256,
      crc32: written.crc32,
      manifestSha256: shipped.seal.manifestSha256,
    });
  }
  await input.afterStep?.('upload');
  // After adoption a beside file may already be there from the killed run: keep it (never overwrite).
  const putBeside = async (fileName: string, bytes: Uint8Array | string, type: string): Promise<void> => {
    if (adopted !== null) await putBesideIfAbsent(sink, ref, fileName, bytes, type);
    else await sink.putBeside(ref, fileName, bytes, type);
  };
  if (adopted === null || adopted.sealedSummary !== null)
    await putBeside('summary.json', summaryBytes, 'application/json');
  await input.afterStep?.('summary');
  progress.enter('verify');
  const readBack = await sink.readBack(ref, written);
  await custody.append('readback', {
    ok: readBack.ok,
    method: readBack.method,
    problems: [...readBack.problems],
  });
  await input.afterStep?.('readback');
  if (adopted !== null && !readBack.ok) {
    throw refusal(written.location, `read-back: ${readBack.problems.join('; ')}`);
  }
  // Independent check of what landed: the bag as a recipient would verify it.
  const report = readBack.ok
    ? await verifyArchive(written.location, {
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
  await input.afterStep?.('verify');
  await putBeside('custody.jsonl', await readFile(custody.path), 'application/x-ndjson');
  await input.afterStep?.('custody');
  if (!readBack.ok) {
    throw new ExportError(
      'upload_failed',
      `${written.location}: read-back check failed: ${readBack.problems.join('; ') || 'bytes differ'}`,
      { retryable: true },
    );
  }
  if (report !== null && !report.ok) {
    const first = report.problems[0];
    throw new ExportError(
      'verify_failed',
      `${written.location}${adopted !== null ? ' (adopted)' : ''}: ${report.problems.length} problem(s); first: ${first?.code ?? '?'} ${first?.path ?? ''}`,
    );
  }
  const result: FinishResult = {
    location: written.location,
    sidecarLocation: written.sidecarLocation,
    zipSha256: written.sha256,
    zipBytes: written.bytes,
    payloadFiles: bag.fileCount,
    readBackOk: readBack.ok,
    verified: report?.ok ?? false,
    adopted: adopted !== null,
  };
  store.setMeta('shipped', result);
  await store.flush();
  return result;
}

/** The reports (items, exceptions, drift, summary, job, custody so far) spooled for the seal. */
async function render(
  input: FinishInput,
  ref: ArchiveRef,
  cut: string,
  requests: RequestLedgerSummary,
): ReturnType<typeof renderReports> {
  const { store, runSpec, loaded, custody } = input;
  const spoolDir = join(store.dir, 'reports');
  await rm(spoolDir, { recursive: true, force: true });
  const started = store.meta('run_started_at');
  return renderReports({
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
}
