/**
 * The one module that knows the stage order. `runJob`'s body is the list of steps: preflight →
 * collect → quiesce → seal → ship → read back → verify, each a function in its stage's folder.
 * The run's resources (store, ledger, custody log, client, progress) live in one scope that closes
 * them exactly once, last opened first, on success, interrupt and failure alike. The outcome is
 * turned into a status and exit code in one place: 0 complete, 3 gaps, 130 interrupted after a
 * clean checkpoint (with the command that resumes); a failure is rethrown after its `run_end`.
 */
import { join, resolve } from 'node:path';
import type { ComplianceClientOptions } from './api/index.js';
import { collect, quiesceCollected, type QuiescenceResult, type Sleep } from './collect/index.js';
import { DiskGuard } from './disk/disk-guard.js';
import { DEFAULT_MIN_FREE_BYTES, statfsFree, type FreeSpaceReader } from './disk/free-space.js';
import { EXIT, ExportError } from './errors.js';
import { openRun, type OpenedRun } from './preflight/open-run.js';
import { preflight, type Preflighted } from './preflight/preflight-step.js';
import { discardPlanEstimate } from './progress/plan-totals.js';
import type { ProgressMode } from './progress/progress.js';
import { Resources } from './resources.js';
import { finishRetain, retainAfterShip, retiredArchive } from './ship/retain-step.js';
import type { ProductionTotals } from './archive/report-rows.js';
import { COUNTS_META, requestSummary, seal, stagePayload } from './seal/seal-step.js';
import { planRunVolumes } from './seal/volume-seal.js';
import { shipVolumes } from './ship/ship-volumes.js';
import { adoptLeftover, landedBefore, ship, type FinishStep } from './ship/ship-step.js';
import { finishLanded, shippedBefore, type ShippedArchive } from './ship/verify-landed.js';
import { applyOverrides, loadSpecFile, parseDestinationUri } from './spec/index.js';
import { retainOf, snapshotModeOf, type LoadedSpec, type SpecOverrides } from './spec/types.js';
import { prepareSnapshot } from './snapshot/prepare-snapshot.js';
import { refreshSharers } from './snapshot/refresh-shared.js';
import { settleSnapshot } from './snapshot/snapshot-base.js';
import type { Tombstone } from './store/retain.js';

export interface RunJobOptions {
  readonly specPath: string;
  /** Where state lives (default: the spec's `state_dir`); does not change the spec hash. */
  readonly stateDir?: string;
  /** Accept state left by a different spec (starts over). */
  readonly force?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Run-time overrides (demo ports, tests); re-validated, and part of the spec hash. */
  readonly overrides?: SpecOverrides;
  readonly now?: () => Date;
  /** Waits between quiescence passes (tests inject an instant one). */
  readonly sleep?: Sleep;
  /** Abort = Ctrl-C: stop at a clean checkpoint, exit 130. */
  readonly signal?: AbortSignal;
  readonly progress?: ProgressMode;
  readonly stderr?: NodeJS.WritableStream;
  /** Client knobs for tests and benches (retry policy, clock); never the key or base URL. */
  readonly client?: Partial<Omit<ComplianceClientOptions, 'apiKey' | 'baseUrl'>>;
  /** Stop after this stage (seal/ship/verify need the archive helpers). */
  readonly stopAfter?: 'quiesce' | 'verify';
  /** Shown in the resume hint. */
  readonly commandLine?: string;
  /** Called after each finish step (tests simulate a kill there by throwing). */
  readonly afterFinishStep?: (step: FinishStep) => Promise<void> | void;
  /** Bytes to keep free on the state folder's filesystem (`--min-free`; default 1 GiB). */
  readonly minFree?: number;
  /** Start and go on whatever the free space (`--ignore-disk-space`). */
  readonly ignoreDiskSpace?: boolean;
  /** How free space is measured (tests inject one); default `statfs`. */
  readonly freeSpace?: FreeSpaceReader;
}

export interface RunJobResult {
  readonly exitCode: number;
  readonly status: 'complete' | 'gaps' | 'interrupted';
  readonly asOfCut: string | null;
  readonly stateDir: string;
  /**
   * Per kind: documents (document kinds) or records (data-set kinds), the archive's tally
   * (`summary.json`, `counts.csv`, the load file). Before a seal (interrupted, `stopAfter`), the
   * staged records per kind.
   */
  readonly counts: Record<string, number>;
  /** The archive's totals, when this run (or the earlier one that shipped) staged its payload. */
  readonly production: ProductionTotals | null;
  readonly exceptions: number;
  /** Open exceptions per reason code (the rows of `reports/exceptions.csv`). */
  readonly exceptionsByReason: Record<string, number>;
  readonly drift: number;
  readonly duplicates: number;
  readonly requests: number;
  readonly quiescence: QuiescenceResult | null;
  readonly resumed: boolean;
  readonly archive: ShippedArchive | null;
  readonly resumeCommand: string | null;
}

/** How far a run got: what the result reports even when it was interrupted. */
interface Reached {
  quiescence: QuiescenceResult | null;
  archive: ShippedArchive | null;
  production: ProductionTotals | null;
}

export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const { env = process.env, now = () => new Date(), stderr = process.stderr } = options;
  const loaded = await loadJobSpec(options.specPath, options.overrides, env);
  const stateRoot = resolve(options.stateDir ?? loaded.spec.state_dir);
  const jobDir = join(stateRoot, loaded.spec.name);
  // A snapshot series takes a new snapshot on every run; another job's rerun ships nothing twice.
  const series = snapshotModeOf(loaded.spec) !== null;
  const retired = series ? null : await retiredArchive(jobDir, loaded.sha256);
  if (retired !== null) return retiredResult(jobDir, retired, stderr);
  const guard = new DiskGuard({
    read: options.freeSpace ?? statfsFree,
    stateDir: stateRoot,
    floor: options.minFree ?? DEFAULT_MIN_FREE_BYTES,
    enabled: options.ignoreDiskSpace !== true,
    signal: options.signal,
  });
  // Refused before anything is opened or written when the state folder's disk is below the floor.
  await guard.check();
  const resources = new Resources();
  const openOptions = {
    ...options,
    stateRoot,
    env,
    now,
    stderr,
    signal: guard.signal,
    newSnapshotAfterShip: series,
  };
  const opened = await openRun(loaded, { ...openOptions, onRequest: () => guard.tick() }, resources).catch(
    async (error: unknown) => {
      await resources.close().catch(() => undefined);
      throw error;
    },
  );
  const run = { ...opened, after: options.afterFinishStep ?? (() => undefined) };
  const reached: Reached = { quiescence: null, archive: null, production: null };
  let tombstone: Tombstone | null = null;
  /**
   * Collects, stages, seals, ships and verifies: the archive shipped, or null when there is none to
   * ship (`stopAfter: 'quiesce'`; a rerun of a job that shipped, whose archive goes in `reached`).
   */
  const collectAndShip = async (scope: Preflighted): Promise<ShippedArchive | null> => {
    await prepareSnapshot({ ...run, stderr }, scope.spec);
    const collected = await collect(run, scope);
    reached.quiescence = await quiesceCollected(run, collected, options.sleep);
    // Base records this snapshot's listings no longer reach are gone since the previous one; a
    // base chat referencing one of them may read differently now, so it is fetched again first.
    if (run.store.seeded) {
      const pass = reached.quiescence.passes + 2;
      await refreshSharers(run.store, collected, pass);
      settleSnapshot(run.store, pass + 4);
    }
    if (options.stopAfter === 'quiesce') return null;
    run.progress.enter('seal');
    reached.archive = shippedBefore(run.store); // a rerun of a finished job ships nothing twice
    if (reached.archive !== null) return null;
    await guard.check();
    const payload = await stagePayload(run, scope);
    const { byCustodian: _rows, ...totals } = payload.counts;
    reached.production = totals;
    const quiescence = reached.quiescence;
    try {
      const volumes = await planRunVolumes(payload);
      if (volumes !== null) {
        await destinationChecked(run.loaded, guard, payload.bag.totalBytes);
        const sealRun = (): ReturnType<typeof seal> => seal(run, payload, quiescence);
        return await shipVolumes({ ...run, stderr }, payload, volumes, sealRun);
      }
      const adopted = await adoptLeftover(run, payload);
      if (adopted === null) await destinationChecked(run.loaded, guard, payload.bag.totalBytes);
      const landed = adopted ?? (await ship(run, payload, await seal(run, payload, quiescence)));
      return await finishLanded(run, landed);
    } finally {
      // The payload list sorted on disk is read by the seal only: gone once shipped and verified.
      await payload.bag.dispose();
    }
  };
  const interrupted = await untilInterrupted(run, resources, guard, async () => {
    const scope = await preflight(run, options.stopAfter);
    await guard.check();
    // Stopped after its archive landed (in read-back or verify): that archive is the run's evidence,
    // so the rerun finishes it and collects and stages nothing again.
    const landedEarlier = options.stopAfter === 'quiesce' ? null : await landedBefore(run, scope);
    const shipped =
      landedEarlier !== null ? await finishLanded(run, landedEarlier) : await collectAndShip(scope);
    if (shipped === null) return;
    reached.archive = shipped;
    // plan's estimate was for this export; the job's next run (a snapshot series) is another one.
    const notRemoved = await discardPlanEstimate(run.store.dir);
    if (notRemoved !== null) stderr.write(notRemoved);
    // Only now, shipped and verified, may the state shrink (never after a failed verify: it threw).
    const retain = retainOf(run.loaded.spec);
    tombstone = await retainAfterShip(run, retain, reached.archive, run.loaded.sha256, scope.spec.name);
  });
  const result = await endRun(run, resources, reached, interrupted);
  if (!(await finishRetain(run.store.dir, tombstone)))
    stderr.write(
      `compliance-export: ${run.store.dir} is held by another run; state.retain none not applied\n`,
    );
  const resumeCommand =
    options.commandLine ?? `compliance-export run ${options.specPath} --state-dir ${stateRoot}`;
  if (!interrupted) return { ...result, resumeCommand: null };
  stderr.write(`compliance-export: interrupted; state is saved. Resume with:\n  ${resumeCommand}\n`);
  return { ...result, resumeCommand };
}

async function loadJobSpec(
  specPath: string,
  overrides: SpecOverrides | undefined,
  env: NodeJS.ProcessEnv,
): Promise<LoadedSpec> {
  const loaded = await loadSpecFile(specPath, { env });
  return overrides === undefined ? loaded : applyOverrides(loaded, overrides, { env });
}

/**
 * Runs the steps. Returns whether they were interrupted (Ctrl-C, SIGTERM: state is at a clean
 * checkpoint). Any other failure ends the custody log with `run_end` and its code, closes the
 * resources and is rethrown.
 */
async function untilInterrupted(
  run: OpenedRun,
  resources: Resources,
  guard: DiskGuard,
  steps: () => Promise<void>,
): Promise<boolean> {
  try {
    await steps();
    return false;
  } catch (caught) {
    // The disk guard stops collection the way Ctrl-C does (a clean checkpoint), then fails the run.
    const error = guard.tripped ?? caught;
    if (
      guard.tripped === null &&
      (guard.signal.aborted || (error instanceof ExportError && error.code === 'interrupted'))
    )
      return true;
    await run.custody.append('run_end', { status: 'failed', code: codeOf(error) }).catch(() => undefined);
    await resources.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Before the archive streams into a local destination: room for at most the payload's bytes (a
 * deflated zip is not larger, plus its small tag files).
 */
async function destinationChecked(loaded: LoadedSpec, guard: DiskGuard, payloadBytes: number): Promise<void> {
  const target = parseDestinationUri(loaded.spec.destination.uri);
  if (target.kind === 'local') await guard.checkDestination(resolve(target.path), payloadBytes);
}

/** A rerun of a job whose state was removed after it shipped (`state.retain: none`): nothing to do. */
function retiredResult(dir: string, archive: ShippedArchive, stderr: NodeJS.WritableStream): RunJobResult {
  stderr.write(
    `compliance-export: already shipped to ${archive.location}; the state was removed (state.retain: none, ` +
      `see ${join(dir, 'shipped.json')})\n`,
  );
  return {
    exitCode: EXIT.ok,
    status: 'complete',
    asOfCut: null,
    stateDir: dir,
    counts: {},
    production: null,
    exceptions: 0,
    exceptionsByReason: {},
    drift: 0,
    duplicates: 0,
    requests: 0,
    quiescence: null,
    resumed: true,
    archive,
    resumeCommand: null,
  };
}

/** The code a failure is recorded under: its own (an ExportError's, a system error's), else `internal`. */
function codeOf(error: unknown): unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code ?? 'internal';
}

const EXIT_CODES: Record<RunJobResult['status'], number> = {
  complete: EXIT.ok,
  gaps: EXIT.gaps,
  interrupted: EXIT.interrupted,
};

/** Status and exit code, decided once; the closing `run_end` entry; then every resource closed. */
async function endRun(
  run: OpenedRun,
  resources: Resources,
  reached: Reached,
  interrupted: boolean,
): Promise<Omit<RunJobResult, 'resumeCommand'>> {
  const { store, client } = run;
  const exceptions = store.exceptions().length;
  const byReason: Record<string, number> = {};
  for (const e of store.exceptions()) byReason[e.reason] = (byReason[e.reason] ?? 0) + 1;
  const drift = store.drift().length;
  const status: RunJobResult['status'] = interrupted ? 'interrupted' : exceptions > 0 ? 'gaps' : 'complete';
  // A rerun of a job that shipped stages nothing: the counts its payload was staged with.
  const shipped =
    reached.archive !== null ? (store.meta(COUNTS_META) as ProductionTotals | undefined) : undefined;
  const production = reached.production ?? shipped ?? null;
  const result = {
    exitCode: EXIT_CODES[status],
    status,
    asOfCut: store.cut,
    stateDir: store.dir,
    counts:
      production === null
        ? Object.fromEntries(store.countsByKind())
        : { ...production.documentsByKind, ...production.recordsByKind },
    exceptions,
    exceptionsByReason: Object.fromEntries(Object.entries(byReason).sort(([a], [b]) => (a < b ? -1 : 1))),
    drift,
    duplicates: store.stats.duplicates,
    requests: client.stats().requests,
    resumed: store.resumed,
    ...reached,
    production,
  };
  try {
    const requests = requestSummary(client, run.loaded.spec.source.requests_per_minute);
    await run.custody.append('run_end', { status, exceptions, drift, requests });
  } finally {
    await resources.close();
  }
  return result;
}
