/**
 * `materialize`: a FULL, self-contained archive rebuilt at an archive's cut from the snapshot
 * chain its inventory names. The records go into a fresh temporary staging store, bytes checked
 * against the inventory on the way (./chain-records.ts), and are sealed by the same steps a full
 * export takes (src/seal/seal-step.ts: production, reports, deterministic zip), so the payload,
 * review copy included, is byte for byte what a full export at that cut writes. The zip lands as
 * `<out>/<name>-<run-id>-full.zip` with its `.sha256`, never over an existing file, and must pass
 * the project's verifier before the command succeeds.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CustodyLog } from '../archive/custody-log.js';
import { emptyClientStats } from '../api/index.js';
import type { QuiescenceResult } from '../collect/index.js';
import { ExportError } from '../errors.js';
import { makeDir, PRIVATE_DIR_MODE } from '../local-files.js';
import { seal, stagePayload, type SealRun } from '../seal/seal-step.js';
import { canonicalJson, sha256Hex } from '../spec/index.js';
import type { LoadedSpec, ResolvedJobSpec } from '../spec/types.js';
import { openStore } from '../store/index.js';
import { verifyArchive, type VerifyReport } from '../verify/verify-archive.js';
import { loadChain, planChain, type ChainTally } from './chain-records.js';
import {
  copyTagFile,
  locateArchive,
  openStoredArchive,
  type S3Access,
  type StoredArchive,
} from './stored-archive.js';
import { INVENTORY_JSONL } from './types.js';
import { refuseExisting, writeOutput } from './write-output.js';

/** bag-info.txt label: the run-ids a materialized archive was rebuilt from, oldest first. */
const SNAPSHOT_MATERIALIZED_FROM = 'Snapshot-Materialized-From';

const MAX_INVENTORY_BYTES = 4 * 1024 ** 3;
const MAX_SMALL_TAG_BYTES = 16 * 1024 ** 2;
const MAX_CUSTODY_BYTES = 256 * 1024 ** 2;

export interface MaterializeOptions {
  /** The archive: a zip path or an `s3://…/<name>/<run-id>/<name>-<run-id>.zip` URI. */
  readonly target: string;
  readonly outDir: string;
  readonly s3: S3Access;
  /** Progress and summary lines (stderr). */
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

export interface MaterializeResult {
  readonly path: string;
  readonly sidecarPath: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly runId: string;
  /** Run-ids read, oldest first (bag-info `Snapshot-Materialized-From`). */
  readonly from: readonly string[];
  readonly read: ChainTally;
  readonly report: VerifyReport;
}

export async function materialize(options: MaterializeOptions): Promise<MaterializeResult> {
  const now = options.now ?? (() => new Date());
  const { sink, ref } = locateArchive(options.target, options.s3);
  const zipName = `${ref.name}-${ref.runId}-full.zip`;
  const outPath = join(options.outDir, zipName);
  const sidecarPath = `${outPath}.sha256`;
  for (const path of [outPath, sidecarPath]) await refuseExisting(path);
  const target = await openStoredArchive(sink, ref);
  if (target === null) throw new ExportError('usage', `${options.target}: no archive there`);
  let work: string | null = null;
  try {
    await makeDir(options.outDir, PRIVATE_DIR_MODE);
    // The temporary store holds a copy of the payload: beside the output, where the space was chosen.
    const dir = await mkdtemp(join(options.outDir, `.materialize-${ref.runId}-`));
    work = dir;
    const tag = async (bagPath: string, max: number): Promise<string> => {
      const to = join(dir, `tag-${basename(bagPath)}`); // never the custody log below
      await copyTagFile(target, bagPath, to, max);
      return to;
    };
    const inventoryPath = await tag(INVENTORY_JSONL, MAX_INVENTORY_BYTES);
    const plan = await planChain(inventoryPath);
    const cut = checkTarget(target, plan.header);
    const loaded = await loadedSpec(target, plan.header.specSha256, tag);
    const store = await openStore({
      stateDir: join(dir, 'state'),
      jobName: ref.name,
      specSha256: plan.header.specSha256,
      now,
    });
    try {
      // The cut first: putRecord judges created/updated-after-cut against it, as in the run.
      store.setMeta('as_of_cut', cut);
      store.setMeta('run_started_at', now().toISOString());
      const read = await loadChain({
        sink,
        target,
        inventoryPath,
        plan,
        store,
        onArchive: (runId, t) =>
          options.log(
            `materialize: read ${runId}: ${t.files} files, ${t.rows} rows, ${t.bytes} bytes so far`,
          ),
      });
      const custody = await CustodyLog.open(join(dir, 'custody.jsonl'), { now });
      try {
        await custody.append('materialize', {
          runId: ref.runId,
          asOfCut: cut,
          from: plan.archives,
          records: plan.records,
        });
        const run: SealRun = {
          loaded,
          store,
          client: { stats: zeroRequests },
          custody,
          progress: { enter: () => undefined },
          now,
        };
        const include = await exportedInclude(
          loaded.spec,
          await tag('reports/custody.jsonl', MAX_CUSTODY_BYTES),
        );
        const quiescence = await quiescenceOf(await tag('reports/summary.json', MAX_SMALL_TAG_BYTES));
        const spec = { ...loaded.spec, scope: { ...loaded.spec.scope, include } };
        const payload = await stagePayload(run, { spec, cut });
        const sealed = await seal(run, payload, quiescence, [
          [SNAPSHOT_MATERIALIZED_FROM, plan.archives.join(',')],
        ]);
        const written = await writeOutput(sealed.bag, outPath, sidecarPath, zipName);
        options.log(
          `materialize: ${plan.archives.length} archive(s) read, ${read.files} files and ${read.rows} rows ` +
            `(${read.bytes} bytes); wrote ${written.bytes} bytes, sha256 ${written.sha256}`,
        );
        const report = await verifyArchive(outPath);
        if (!report.ok) {
          const first = report.problems[0];
          throw new ExportError(
            'verify_failed',
            `${outPath}: the materialized archive does not verify: ${report.problems.length} problem(s), ` +
              `first ${first?.code ?? ''} ${first?.path ?? ''}: ${first?.message ?? ''}`,
          );
        }
        return {
          path: outPath,
          sidecarPath,
          ...written,
          runId: ref.runId,
          from: plan.archives,
          read,
          report,
        };
      } finally {
        await custody.close();
      }
    } finally {
      await store.close();
    }
  } finally {
    await target.close();
    if (work !== null) await rm(work, { recursive: true, force: true });
  }
}

/** The inventory is this archive's, and its cut is the bag's. */
function checkTarget(
  target: StoredArchive,
  header: { name: string; runId: string; asOfCut: string },
): string {
  const { name, runId } = target.ref;
  const cut = target.bagInfo.get('As-Of-Cut');
  if (header.name !== name || header.runId !== runId || cut !== header.asOfCut) {
    throw new ExportError(
      'chain_broken',
      `archive ${runId}: its inventory is of ${header.name} ${header.runId} at ${header.asOfCut}, ` +
        `the bag is ${name} ${runId} at ${cut ?? '(no As-Of-Cut)'}`,
    );
  }
  return header.asOfCut;
}

/** The spec the archive was exported under, from its tag files, its hash checked against bag-info. */
async function loadedSpec(
  target: StoredArchive,
  specSha256: string,
  tag: (bagPath: string, max: number) => Promise<string>,
): Promise<LoadedSpec> {
  const resolvedText = await readFile(await tag('reports/job.resolved.json', MAX_SMALL_TAG_BYTES), 'utf8');
  const sourceText = await readFile(await tag('reports/job.yaml', MAX_SMALL_TAG_BYTES), 'utf8');
  const where = `archive ${target.ref.runId}: reports/job.resolved.json`;
  let spec: ResolvedJobSpec;
  try {
    spec = JSON.parse(resolvedText) as ResolvedJobSpec;
  } catch (error) {
    throw new ExportError('chain_broken', `${where}: not JSON`, { cause: error });
  }
  const json = canonicalJson(spec);
  const sha256 = sha256Hex(json);
  const stated = target.bagInfo.get('Job-Spec-SHA256');
  if (sha256 !== specSha256 || stated !== specSha256 || spec.name !== target.ref.name) {
    throw new ExportError(
      'chain_broken',
      `${where}: spec hashes to ${sha256}, bag-info says ${stated ?? '(none)'}, the inventory ${specSha256}`,
    );
  }
  return { spec, sourceText, canonicalJson: json, sha256, fileName: 'job.yaml', warnings: [] };
}

/**
 * The kinds the run exported (preflight narrows `scope.include` to what the key reaches; the
 * custody log's `preflight` entry records it): which JSONL aggregates exist even when empty.
 */
async function exportedInclude(
  spec: ResolvedJobSpec,
  custodyPath: string,
): Promise<ResolvedJobSpec['scope']['include']> {
  let include: unknown = undefined;
  for (const line of (await readFile(custodyPath, 'utf8')).split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as { event?: unknown; data?: { include?: unknown } };
    if (entry.event === 'preflight') include = entry.data?.include;
  }
  if (!Array.isArray(include)) return spec.scope.include;
  // Narrowing only ever drops kinds: anything else in the log is ignored.
  return spec.scope.include.filter((k) => (include as unknown[]).includes(k));
}

/** The run's quiescence as its summary reported it (the rebuilt summary repeats it). */
async function quiescenceOf(summaryPath: string): Promise<QuiescenceResult> {
  const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as {
    quiescence?: Partial<QuiescenceResult>;
  };
  const q = summary.quiescence;
  return typeof q?.passes === 'number' && typeof q.settled === 'boolean'
    ? { passes: q.passes, settled: q.settled }
    : { passes: 0, settled: false };
}

/** A materialized archive made no API request: its `requests` summary is all zeros. */
function zeroRequests(): ReturnType<SealRun['client']['stats']> {
  return {
    ...emptyClientStats(Date.now()),
    budget: {
      requestsPerMinute: 0,
      maxInFlight: 0,
      inFlight: 0,
      waiting: 0,
      granted: 0,
      pausedUntil: null,
      serverRemaining: null,
      serverResetAt: null,
      waitingUntil: null,
      waitingFor: null,
    },
  };
}
