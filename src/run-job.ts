/**
 * The one module that knows the stage order: preflight → collect → quiesce → seal → ship → verify.
 * Each stage lives in its own folder; this file only sequences them, owns the run's resources
 * (store, client, progress) and turns the outcome into an exit code: 0 complete, 3 gaps, 130
 * interrupted after a clean checkpoint (with the command that resumes).
 */
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createComplianceClient, jsonlLedger } from './api/index.js';
import type { ComplianceClient, ComplianceClientOptions } from './api/index.js';
import {
  collectFirstPass,
  createCollectContext,
  quiesce,
  resolveCustodians,
  resolveOrganizations,
  type QuiescenceResult,
  type Sleep,
} from './collect/index.js';
import { EXIT, ExportError } from './errors.js';
import { applyOverrides, loadSpecFile } from './spec/index.js';
import type { LoadedSpec, SpecOverrides } from './spec/types.js';
import { openStore, type StagingStore } from './store/index.js';
import { checkLocalDestination, clientOptionsFromSpec, probeScopes, readApiKey } from './run/preflight.js';
import { Progress, type ProgressMode } from './run/progress.js';
import { archiveRefOf, finishRun, requestSummary, type FinishResult, type FinishStep } from './run/finish.js';
import { shippingIntentOf } from './run/adopt-archive.js';
import { CustodyLog } from './archive/custody-log.js';
import { createSink } from './sink/create-sink.js';
import { LocalSink } from './sink/local-sink.js';
import { PRIVATE_FILE_MODE } from './local-files.js';
import type { Sink } from './sink/sink.js';
import { hostname, userInfo } from 'node:os';
import { TOOL_VERSION } from './version.js';

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
  readonly archive: FinishResult | null;
  readonly resumeCommand: string | null;
}

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

function isInterrupt(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof ExportError && error.code === 'interrupted');
}

export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const now = options.now ?? (() => new Date());
  const env = options.env ?? process.env;
  const stderr = options.stderr ?? process.stderr;
  let loaded: LoadedSpec = await loadSpecFile(options.specPath, { env });
  if (options.overrides !== undefined) loaded = applyOverrides(loaded, options.overrides, { env });
  const spec = loaded.spec;
  const stateRoot = resolve(options.stateDir ?? spec.state_dir);

  // ---- preflight (the state folder is bound to this spec only once preflight passed) ----
  const apiKey = readApiKey(spec, env);
  const sink: Sink = createSink(spec.destination, { now });
  // A local destination folder the run creates gets the archive's folder mode, not the umask's.
  if (sink instanceof LocalSink) await sink.createRoot();
  await checkLocalDestination(spec);
  // Locks the folder before anything in it is read or changed (a second run is refused here).
  const store = await openStore({
    stateDir: stateRoot,
    jobName: spec.name,
    specSha256: loaded.sha256,
    ...(options.force !== undefined ? { force: options.force } : {}),
    now,
  });
  const ledger = createWriteStream(join(store.dir, 'requests.jsonl'), {
    flags: 'a',
    mode: PRIVATE_FILE_MODE,
  });
  const custody = await CustodyLog.open(join(store.dir, 'custody.jsonl'), { now }).catch(
    async (error: unknown) => {
      // A custody log that cannot be extended stops the run: release the folder (and its lock).
      ledger.end();
      await store.close().catch(() => undefined);
      throw error;
    },
  );
  const client: ComplianceClient = createComplianceClient({
    ...options.client,
    ...clientOptionsFromSpec(spec),
    apiKey,
    ledger: jsonlLedger(ledger),
    onRetry: (event) => progress.retry(event),
  });
  store.holdsSecret = (text) => client.holdsSecret(text);
  const mode: ProgressMode =
    options.progress ?? ((stderr as { isTTY?: boolean }).isTTY === true ? 'tty' : 'json');
  const progress = new Progress({ mode, out: stderr, requests: () => client.stats().requests });
  const resumeCommand =
    options.commandLine ?? `compliance-export run ${options.specPath} --state-dir ${stateRoot}`;
  let quiescence: QuiescenceResult | null = null;
  let archive: FinishResult | null = null;
  let interrupted = false;
  const resumed = store.resumed;
  try {
    progress.start();
    progress.enter('preflight');
    await custody.append(store.resumed ? 'run_resume' : 'run_start', {
      tool: TOOL_VERSION,
      operator: safeUser(),
      host: hostname(),
      keyFingerprint: client.keyFingerprint,
      specSha256: loaded.sha256,
      job: spec.name,
    });
    const pre = await probeScopes(client, spec, options.signal, apiKey);
    const runSpec = { ...spec, scope: { ...spec.scope, include: pre.include } };
    // The as-of cut is fixed once per job: a resumed run keeps judging against the same cut.
    const fresh =
      store.cut === null
        ? {
            startedAt: now().toISOString(),
            cut: new Date(now().getTime() - spec.consistency.indexing_lag_ms).toISOString(),
          }
        : null;
    const cut = store.cut ?? fresh!.cut;
    const shipped = store.meta('shipped') !== undefined;
    const ref = archiveRefOf(spec, cut);
    // A run killed while shipping may have left its archive there: finishRun adopts or refuses it.
    const shipping = shippingIntentOf(store.meta('shipping'))?.runId === ref.runId;
    const checks =
      shipped || options.stopAfter === 'quiesce'
        ? []
        : await sink.preflight(ref, { allowExisting: shipping });
    // Preflight passed: the first journal lines of a fresh job bind the state folder to this spec.
    if (fresh !== null) {
      store.setMeta('run_started_at', fresh.startedAt);
      store.setMeta('as_of_cut', fresh.cut);
    }
    for (const gap of pre.gaps) {
      store.recordException(
        {
          kind: 'scope',
          id: gap.kind,
          reason: 'scope_missing',
          retryable: false,
          detail: `needs ${gap.scope}`,
        },
        1,
      );
    }
    await custody.append('preflight', {
      asOfCut: cut,
      include: pre.include,
      scopeGaps: pre.gaps.map((g) => g.kind),
      destination: sink.root,
      checks: checks.map((c) => ({ check: c.check, ok: c.ok })),
    });
    const deps = {
      store,
      client,
      spec: runSpec,
      cut,
      concurrency: spec.source.max_concurrency,
      readAhead: spec.source.max_concurrency * 2,
      signal: options.signal,
      progress,
    };
    progress.enter('collect');
    const canListOrgs = !pre.gaps.some((g) => g.kind === 'directory') || pre.include.includes('directory');
    const { orgs, raw } = canListOrgs
      ? await resolveOrganizations(deps).catch((error: unknown) => {
          if ((error as ExportError).code === 'scope_missing' && spec.scope.organizations === 'all') {
            return { orgs: [], raw: new Map<string, string>() };
          }
          throw error;
        })
      : { orgs: [], raw: new Map<string, string>() };
    const ctx = createCollectContext({ ...deps, scope: await resolveCustodians(deps, orgs) });
    await custody.append('stage_start', { stage: 'collect', pass: 1 });
    const firstPass = await collectFirstPass(ctx, orgs, raw, now);
    await custody.append('stage_end', { stage: 'collect', counts: Object.fromEntries(store.countsByKind()) });
    progress.enter('quiesce');
    quiescence = await quiesce(ctx, options.sleep ?? defaultSleep, now, firstPass);
    await store.flush();
    await custody.append('stage_end', {
      stage: 'quiesce',
      ...quiescence,
      counts: Object.fromEntries(store.countsByKind()),
      exceptions: store.exceptions().length,
      drift: store.drift().length,
      duplicates: store.stats.duplicates,
    });
    if (options.stopAfter !== 'quiesce') {
      progress.enter('seal');
      archive = await finishRun({
        store,
        loaded,
        client,
        progress,
        now,
        runSpec,
        quiescence,
        custody,
        sink,
        ...(options.afterFinishStep !== undefined ? { afterStep: options.afterFinishStep } : {}),
      });
    }
  } catch (error) {
    if (!isInterrupt(error, options.signal)) {
      progress.stop();
      await custody
        .append('run_end', { status: 'failed', code: (error as ExportError).code ?? 'internal' })
        .catch(() => undefined);
      await custody.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      await client.close().catch(() => undefined);
      ledger.end();
      throw error;
    }
    interrupted = true;
  } finally {
    progress.stop();
  }
  // Every record and checkpoint appended so far becomes durable before we report anything.
  const counts = Object.fromEntries(store.countsByKind());
  const exceptions = store.exceptions().length;
  const drift = store.drift().length;
  const duplicates = store.stats.duplicates;
  const asOfCut = store.cut;
  await custody.append('run_end', {
    status: interrupted ? 'interrupted' : exceptions > 0 ? 'gaps' : 'complete',
    exceptions,
    drift,
    requests: requestSummary(client, spec.source.requests_per_minute),
  });
  await custody.close();
  await store.close();
  const requests = client.stats().requests;
  await client.close();
  await new Promise<void>((r) => ledger.end(r));
  if (interrupted) {
    stderr.write(`compliance-export: interrupted; state is saved. Resume with:\n  ${resumeCommand}\n`);
  }
  const status = interrupted ? 'interrupted' : exceptions > 0 ? 'gaps' : 'complete';
  return {
    exitCode: interrupted ? EXIT.interrupted : exceptions > 0 ? EXIT.gaps : EXIT.ok,
    status,
    asOfCut,
    stateDir: store.dir,
    counts,
    exceptions,
    drift,
    duplicates,
    requests,
    quiescence,
    resumed,
    archive,
    resumeCommand: interrupted ? resumeCommand : null,
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

export type { StagingStore };
