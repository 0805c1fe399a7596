/**
 * Run the exporter in a child process (`export-child.ts` under tsx), with the API key in its
 * environment only. The child is killed if the bench ends first; `onStart` lets a bench act on
 * the running child (the crash soak SIGKILLs it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildReport, MemorySample, SampleBatch } from './export-child.js';
import { KEY_ENV, type BenchJob } from './job-spec.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';
import { cleanup } from './run-bench.js';

const CHILD = fileURLToPath(new URL('./export-child.ts', import.meta.url));

export interface ExporterRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Null when the child died before reporting (killed, crashed). */
  readonly report: ChildReport | null;
  readonly stderr: string;
}

export interface ExporterOptions {
  readonly specPath: string;
  readonly apiKey: string;
  readonly baseline?: boolean;
  /** Kill the child (SIGKILL) after this long; the run then counts as failed. */
  readonly timeoutMs: number;
  readonly onStart?: (child: ChildProcess) => void;
  /** Sample the child's memory at this interval (ms); the samples come back in its report. */
  readonly sampleMs?: number;
  /** Force a full GC every this many ms and record the live heap (adds `--expose-gc`). */
  readonly liveMs?: number;
  /** Extra Node flags for the child (e.g. `--heapsnapshot-signal=SIGUSR2`). */
  readonly nodeFlags?: readonly string[];
  /** A compiled child entry (lib/compiled-child.ts) run with plain Node instead of tsx. */
  readonly compiledChild?: string;
}

export function runExporter(options: ExporterOptions): Promise<ExporterRun> {
  return new Promise((resolve, reject) => {
    const request = {
      specPath: options.specPath,
      baseline: options.baseline,
      sampleMs: options.sampleMs,
      liveMs: options.liveMs,
    };
    const compiled = options.compiledChild;
    const child = fork(compiled ?? CHILD, [JSON.stringify(request)], {
      execArgv: [
        ...(compiled === undefined ? ['--import', 'tsx'] : []),
        ...(options.nodeFlags ?? []),
        ...(options.liveMs === undefined ? [] : ['--expose-gc']),
      ],
      env: { ...process.env, [KEY_ENV]: options.apiKey, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // Registered after the sandbox and temp dirs, so (newest first) it is killed before they go.
    cleanup.add(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let report: ChildReport | null = null;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
    });
    const samples: MemorySample[] = [];
    child.on('message', (m) => {
      const message = m as ChildReport | SampleBatch;
      if ('type' in message && message.type === 'samples') samples.push(...message.samples);
      else report = { ...(message as ChildReport), samples };
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, report, stderr });
    });
    options.onStart?.(child);
  });
}

/** The finished run's result, or an error that says why there is none. */
export function finished(
  run: ExporterRun,
  what: string,
): NonNullable<ChildReport['result']> & {
  report: ChildReport;
} {
  const r = run.report;
  if (r?.result == null) {
    const why = r?.error?.message ?? `exit ${run.code ?? run.signal}`;
    throw new Error(`${what}: the export did not finish (${why})\n${run.stderr.slice(-4000)}`);
  }
  return { ...r.result, report: r };
}

/** A job run (and run again) by exporter children through a recording proxy to the sandbox. */
export interface ProxiedJobOptions {
  /** The sandbox the proxy forwards to. */
  readonly target: string;
  readonly apiKey: string;
  /** Writes the job (spec and state dir) for the given base URL (the proxy's). */
  readonly writeJob: (baseUrl: string) => Promise<BenchJob>;
  readonly timeoutMs: number;
  readonly nodeFlags?: readonly string[];
  /** Run the compiled exporter (lib/compiled-child.ts) instead of the source under tsx. */
  readonly compiledChild?: string;
}

/** The proxy, the job written for it, and the options every child of that job runs with. */
export async function proxiedJob(
  options: ProxiedJobOptions,
): Promise<{ proxy: RecordingProxy; job: BenchJob; child: ExporterOptions }> {
  const proxy = await startRecordingProxy(options.target);
  const job = await options.writeJob(proxy.baseUrl);
  const child: ExporterOptions = {
    specPath: job.specPath,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs,
    nodeFlags: options.nodeFlags ?? [],
    ...(options.compiledChild === undefined ? {} : { compiledChild: options.compiledChild }),
  };
  return { proxy, job, child };
}
