/**
 * The one module that knows the stage order. `runJob`'s body is the list of steps: preflight →
 * collect → quiesce → seal → ship → read back → verify, each a function in its stage's folder.
 * The run's resources (store, ledger, custody log, client, progress) live in one scope that closes
 * them exactly once, last opened first, on success, interrupt and failure alike. The outcome is
 * turned into a status and exit code in one place: 0 complete, 3 gaps, 130 interrupted after a
 * clean checkpoint (with the command that resumes); a failure is rethrown after its `run_end`.
 */
import { resolve } from 'node:path';
import type { ComplianceClientOptions } from './api/index.js';
import { collect, quiesceCollected, type QuiescenceResult, type Sleep } from './collect/index.js';
import { EXIT, ExportError } from './errors.js';
import { openRun, type OpenedRun } from './preflight/open-run.js';
import { preflight } from './preflight/preflight-step.js';
import type { ProgressMode } from './progress/progress.js';
import { Resources } from './resources.js';
import { requestSummary, seal, stagePayload } from './seal/seal-step.js';
import {
  adoptLeftover,
  putCustodyBeside,
  putSummaryBeside,
  ship,
  type FinishStep,
} from './ship/ship-step.js';
import {
  readBack,
  recordShipped,
  shippedBefore,
  verifyLanded,
  type ShippedArchive,
} from './ship/verify-landed.js';
import { applyOverrides, loadSpecFile } from './spec/index.js';
import type { LoadedSpec, SpecOverrides } from './spec/types.js';

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
}

export interface RunJobResult {
  readonly exitCode: number;
  readonly status: 'complete' | 'gaps' | 'interrupted';
  readonly asOfCut: string | null;
  readonly stateDir: string;
  readonly counts: Record<string, number>;
  readonly exceptions: number;
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
}

export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const { env = process.env, now = () => new Date(), stderr = process.stderr } = options;
  const loaded = await loadJobSpec(options.specPath, options.overrides, env);
  const stateRoot = resolve(options.stateDir ?? loaded.spec.state_dir);
  const resources = new Resources();
  const opened = await openRun(loaded, { ...options, stateRoot, env, now, stderr }, resources).catch(
    async (error: unknown) => {
      await resources.close().catch(() => undefined);
      throw error;
    },
  );
  const run = { ...opened, after: options.afterFinishStep ?? (() => undefined) };
  const reached: Reached = { quiescence: null, archive: null };
  const interrupted = await untilInterrupted(run, resources, options.signal, async () => {
    const scope = await preflight(run, options.stopAfter);
    const collected = await collect(run, scope);
    reached.quiescence = await quiesceCollected(run, collected, options.sleep);
    if (options.stopAfter === 'quiesce') return;
    run.progress.enter('seal');
    reached.archive = shippedBefore(run.store); // a rerun of a finished job ships nothing twice
    if (reached.archive !== null) return;
    const payload = await stagePayload(run, scope);
    const landed =
      (await adoptLeftover(run, payload)) ??
      (await ship(run, payload, await seal(run, payload, reached.quiescence)));
    await putSummaryBeside(run, landed);
    const read = await readBack(run, landed);
    const report = await verifyLanded(run, landed, read);
    await putCustodyBeside(run, landed);
    reached.archive = await recordShipped(run, landed, read, report);
  });
  const result = await endRun(run, resources, reached, interrupted);
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
  signal: AbortSignal | undefined,
  steps: () => Promise<void>,
): Promise<boolean> {
  try {
    await steps();
    return false;
  } catch (error) {
    if (signal?.aborted === true || (error instanceof ExportError && error.code === 'interrupted'))
      return true;
    await run.custody.append('run_end', { status: 'failed', code: codeOf(error) }).catch(() => undefined);
    await resources.close().catch(() => undefined);
    throw error;
  }
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
  const drift = store.drift().length;
  const status: RunJobResult['status'] = interrupted ? 'interrupted' : exceptions > 0 ? 'gaps' : 'complete';
  const result = {
    exitCode: EXIT_CODES[status],
    status,
    asOfCut: store.cut,
    stateDir: store.dir,
    counts: Object.fromEntries(store.countsByKind()),
    exceptions,
    drift,
    duplicates: store.stats.duplicates,
    requests: client.stats().requests,
    resumed: store.resumed,
    ...reached,
  };
  try {
    const requests = requestSummary(client, run.loaded.spec.source.requests_per_minute);
    await run.custody.append('run_end', { status, exceptions, drift, requests });
  } finally {
    await resources.close();
  }
  return result;
}
