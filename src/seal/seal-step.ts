/**
 * The seal step: the bag's payload taken from the store (the blobs, never copied) plus the review
 * files the production stage makes from it (src/produce/: RSMF, extracted text, the load file), the
 * reports rendered from it, and the deterministic zip set up to stream straight into the sink. The
 * payload manifest hash is known before any byte is sealed: it is what a shipping intent records
 * and what an archive left by a killed run must match to be adopted (src/ship/adopt-archive.ts).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComplianceClient } from '../api/index.js';
import type { SortedBagInput, TagFile } from '../archive/bag-input.js';
import type { CustodyLog } from '../archive/custody-log.js';
import { renderReports } from '../archive/render-reports.js';
import type { ItemRow, ProductionCounts, RequestLedgerSummary } from '../archive/report-rows.js';
import { sealBag, type SealedBag } from '../archive/seal-bag.js';
import { sortPayload, type SortedPayload } from '../archive/sorted-payload.js';
import { requiredAggregates, type QuiescenceResult } from '../collect/index.js';
import { archiveRefOf } from '../preflight/preflight-step.js';
import type { ArchiveRef } from '../sink/sink.js';
import { docidPrefixOf } from '../spec/index.js';
import type { LoadedSpec, ResolvedJobSpec } from '../spec/types.js';
import { bagInfoFields } from '../produce/people/bag-info-fields.js';
import { produceReview } from '../produce/produce-review.js';
import { ExportError } from '../errors.js';
import { buildBagPayload, type BagPayload, type BlobRef, type StagingStore } from '../store/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { deltaReport } from '../snapshot/delta-report.js';
import { baseOf } from '../snapshot/snapshot-base.js';
import { SNAPSHOT_PREVIOUS, SNAPSHOT_TYPE } from '../snapshot/types.js';
import { writeInventory, type WrittenInventory } from '../snapshot/write-inventory.js';
import { renderPeopleFiles } from './people-files.js';
import { driftRows, exceptionRows } from './report-sources.js';

export interface SealRun {
  readonly loaded: LoadedSpec;
  readonly store: StagingStore;
  /** What the run's requests were (the API client; `materialize` has none and reports zero). */
  readonly client: Pick<ComplianceClient, 'stats'>;
  readonly custody: CustodyLog;
  readonly progress: { enter(stage: string): void };
  readonly now: () => Date;
  /**
   * Ctrl-C, SIGTERM or a full disk: staging, production and the seal stop at their next file or
   * family (a clean checkpoint: what they made is redone from the store by the next run).
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The bag's payload as it lives from staging to the end of the run: the list sorted on disk (its
 * totals and manifest hash; nothing per file in memory) and the few JSONL aggregates' blobs.
 * `dispose()` removes the sorted file once the archive is shipped and verified.
 */
export interface StagedBag extends SortedPayload {
  /** The JSONL aggregates (path under `data/` → blob); the report reads the activities one. */
  readonly aggregates: ReadonlyMap<string, BlobRef>;
}

/** What the archive of this run will hold, before it is sealed. */
export interface StagedPayload {
  /** The spec as this run exports it (`scope.include` narrowed by preflight). */
  readonly spec: ResolvedJobSpec;
  readonly cut: string;
  readonly ref: ArchiveRef;
  readonly bag: StagedBag;
  /** SHA-256 of the `manifest-sha256.txt` the seal will write. */
  readonly manifestSha256: string;
  readonly requests: RequestLedgerSummary;
  /** The archive's counts (documents, records, payload, exceptions, drift): one tally for every report. */
  readonly counts: ProductionCounts;
  /** The items.csv rows, streamed afresh on each call. */
  readonly items: () => AsyncIterable<ItemRow>;
  /** `reports/inventory.jsonl` and `.csv`: the point-in-time state (every archive has them). */
  readonly inventory: readonly TagFile[];
  /** The snapshot base's run-id when this archive is a delta (holds only what changed since it). */
  readonly previous: string | null;
}

export interface SealedArchive {
  readonly bag: SealedBag;
  /** What `bag` seals (volumes seal parts of its payload with the same reports: src/seal/volume-seal.ts). */
  readonly input: SortedBagInput;
  /** `reports/summary.json` as sealed (it also goes beside the zip). */
  readonly summary: string;
}

/**
 * Store meta holding the last staged payload's totals (a rerun of a job that shipped reports them;
 * the per-custodian rows, which grow with the custodians, stay out of the journal).
 */
export const COUNTS_META = 'production_counts';

/**
 * The payload from the store and its review files, sorted on disk with its manifest hash, and the
 * requests so far in the custody log. The counts are kept in the store too, for a rerun of a job
 * that already shipped.
 */
export async function stagePayload(
  run: SealRun,
  scope: { spec: ResolvedJobSpec; cut: string },
): Promise<StagedPayload> {
  const { spec, cut } = scope;
  const ref = archiveRefOf(spec, cut);
  // A delta (a snapshot that took over a base's records) ships only what no earlier archive holds.
  const previous = run.store.seeded ? (baseOf(run.store)?.runId ?? null) : null;
  const { base, inventory } = await baseAndInventory(run, spec, ref.runId, cut, previous);
  run.signal?.throwIfAborted();
  const review =
    previous !== null
      ? { bag: base, ...(await deltaReport(run.store, base)) }
      : await produceReview(run.store, base, {
          docidPrefix: docidPrefixOf(spec),
          generator: `${TOOL_NAME} ${TOOL_VERSION}`,
          ...(run.signal === undefined ? {} : { signal: run.signal }),
        });
  run.signal?.throwIfAborted();
  const bag = await sortedBag(run.store, review.bag);
  const { byCustodian: _rows, ...totals } = review.counts;
  run.store.setMeta(COUNTS_META, totals);
  const requests = requestSummary(run.client, spec.source.requests_per_minute);
  await run.custody.append('requests', { ...requests });
  return {
    spec,
    cut,
    ref,
    bag,
    manifestSha256: bag.manifestSha256,
    requests,
    counts: review.counts,
    items: review.items,
    inventory: inventory.tagFiles,
    previous,
  };
}

/**
 * The bag's payload from the store and the inventory written from it. The aggregate rows' positions
 * (one per activity, user...) serve the inventory alone and are removed once it is written: the
 * payload the review keeps (its items stream holds on to it) goes without them.
 */
async function baseAndInventory(
  run: SealRun,
  spec: ResolvedJobSpec,
  runId: string,
  cut: string,
  previous: string | null,
): Promise<{ base: BagPayload; inventory: WrittenInventory }> {
  const { aggregateRows, ...base } = await buildBagPayload(
    run.store,
    requiredAggregates(spec.scope.include),
    {
      localOnly: previous !== null,
      keepRowPositions: true,
    },
  );
  if (aggregateRows === undefined)
    throw new ExportError('internal', 'the bag was built without its row positions');
  try {
    run.signal?.throwIfAborted();
    const inventory = await writeInventory(
      run.store,
      { aggregateRows },
      {
        name: spec.name,
        runId,
        asOfCut: cut,
        previous,
        specSha256: run.loaded.sha256,
      },
    );
    return { base, inventory };
  } finally {
    await aggregateRows.dispose();
  }
}

/**
 * Renders the reports and sets up the zip; nothing is sealed until the ship step reads it.
 * `extraBagInfo` is appended to bag-info.txt after the spec's fields (`materialize` names its sources).
 */
export async function seal(
  run: SealRun,
  payload: StagedPayload,
  quiescence: QuiescenceResult,
  extraBagInfo: readonly [string, string][] = [],
): Promise<SealedArchive> {
  const { spec, cut, ref, bag } = payload;
  await run.custody.append('seal', {
    runId: ref.runId,
    payloadFiles: bag.fileCount,
    payloadBytes: bag.totalBytes,
  });
  const rendered = await render(run, payload, quiescence);
  const forPeople = await renderPeopleFiles(run.store, payload, rendered);
  const bagInfo: [string, string][] = [
    ['As-Of-Cut', cut],
    ['Tool-Version', TOOL_VERSION],
    ['Job-Spec-SHA256', run.loaded.sha256],
  ];
  if (spec.matter !== undefined) bagInfo.push(['Matter', spec.matter]);
  if (spec.snapshot !== undefined || payload.previous !== null)
    bagInfo.push([SNAPSHOT_TYPE, payload.previous === null ? 'full' : 'delta']);
  if (payload.previous !== null) bagInfo.push([SNAPSHOT_PREVIOUS, payload.previous]);
  bagInfo.push(...bagInfoFields(spec), ...extraBagInfo);
  run.progress.enter('ship');
  const input: SortedBagInput = {
    name: spec.name,
    asOfCut: cut,
    payload: run.signal === undefined ? bag : stopping(bag, run.signal),
    tagFiles: [...forPeople, ...rendered.tagFiles, ...payload.inventory],
    bagInfo,
    compression: spec.archive.compression,
  };
  // Before the ship records its intent and opens the destination: a stop while the reports were
  // rendered ends here, with nothing started at the destination.
  run.signal?.throwIfAborted();
  return { bag: sealBag(input), input, summary: `${JSON.stringify(rendered.summary, null, 2)}\n` };
}

/** The reports (items, exceptions, drift, summary, job, custody so far) spooled for the seal. */
async function render(
  run: SealRun,
  payload: StagedPayload,
  quiescence: QuiescenceResult,
): ReturnType<typeof renderReports> {
  const { store, loaded, custody } = run;
  const { spec, cut } = payload;
  const spoolDir = join(store.dir, 'reports');
  await rm(spoolDir, { recursive: true, force: true });
  const started = store.meta('run_started_at');
  return renderReports({
    spoolDir,
    items: payload.items(),
    exceptions: exceptionRows(store),
    drift: driftRows(store),
    counts: payload.counts,
    summary: {
      name: spec.name,
      runId: payload.ref.runId,
      asOfCut: cut,
      matter: spec.matter ?? null,
      toolVersion: TOOL_VERSION,
      specSha256: loaded.sha256,
      startedAt: typeof started === 'string' ? started : cut,
      finishedAt: run.now().toISOString(),
      duplicates: store.stats.duplicates,
      quiescence,
      requests: payload.requests,
    },
    jobYaml: loaded.sourceText,
    jobResolved: loaded.spec,
    custodyLogPath: custody.path,
  });
}

export function requestSummary(
  client: Pick<ComplianceClient, 'stats'>,
  budgetRpm: number,
): RequestLedgerSummary {
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

/**
 * The payload read by the seal, checking `signal` before each file: a stop while the zip streams
 * into the sink fails the seal, and the sink removes what it wrote (a temp file, a multipart upload).
 */
function stopping(bag: StagedBag, signal: AbortSignal): StagedBag {
  return {
    ...bag,
    files: async function* () {
      for await (const f of bag.files()) {
        signal.throwIfAborted();
        yield f;
      }
    },
  };
}

/**
 * The payload list sorted once into the store's temp folder (cleared when the store is next
 * opened, should the run die first). Its counts are the store's own: a difference is a bug.
 */
async function sortedBag(store: StagingStore, bag: BagPayload): Promise<StagedBag> {
  const sorted = await sortPayload(bag.payload(), {
    tempPath: () => store.blobs.tempPath(),
    open: (sha256, size) => store.blobs.open(sha256, size),
  });
  if (sorted.fileCount !== bag.fileCount || sorted.totalBytes !== bag.totalBytes) {
    await sorted.dispose();
    throw new ExportError(
      'internal',
      `the payload list holds ${sorted.fileCount} files of ${sorted.totalBytes} bytes; the store counted ${bag.fileCount} of ${bag.totalBytes}`,
    );
  }
  return { ...sorted, aggregates: bag.aggregates };
}
