/**
 * Child-process entry: run one export job (`runJob`, the whole pipeline) and report the result
 * and this process's peak memory to the parent over IPC. Started by `exporter.ts`; exits when the
 * parent goes away, so a bench that dies never leaves an exporter running.
 *
 * argv[2]: JSON `{ "specPath": "...", "baseline"?: true, "sampleMs"?: n }`. With `baseline`, the
 * pipeline modules are loaded but nothing runs: the peak RSS of the runtime (Node + tsx + our
 * modules) alone. With `sampleMs`, memory is sampled at that interval (RSS, V8 heap, buffers
 * outside the heap) and the samples come back in the report. With `liveMs` (and `--expose-gc`), a
 * full GC every `liveMs` records the live set (`live`).
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { tuneHeap } from '../../src/cli/heap-tuning.js';
import { runJob, type RunJobResult } from '../../src/run-job.js';

export interface ChildReport {
  readonly result: RunJobResult | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** `process.resourceUsage().maxRSS`, KiB. */
  readonly maxRssKb: number;
  /** `VmHWM` from /proc/self/status, KiB (null where /proc is missing). */
  readonly vmHwmKb: number | null;
  readonly wallMs: number;
  /** Memory over time (MiB), when `sampleMs` was asked for: the child sends them in batches
   * (`SampleBatch`) and the parent puts them here. */
  readonly samples: readonly MemorySample[];
}

export interface MemorySample {
  /** ms since the child started the job. */
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** V8's total heap size including what it has reserved but not yet used. */
  readonly heapTotal: number;
  /** Heap used right after a forced full GC (the live set), on the samples that forced one. */
  readonly live?: number;
  /** CPU time (user + system) the child has used so far, ms: CPU per request whatever the machine's load. */
  readonly cpuMs: number;
  /**
   * `process.resourceUsage().maxRSS` so far, MiB: the sample where it rises says when the peak
   * happened, even a peak shorter than the interval between two RSS samples.
   */
  readonly maxRss: number;
}

const MIB = 1024 * 1024;

/** Samples sent to the parent at a time: the child keeps no more than this (~30,000 in a 100k run at 100 ms). */
const SAMPLE_BATCH = 64;

/** A batch of samples on its way to the parent, before the report. */
export interface SampleBatch {
  readonly type: 'samples';
  readonly samples: readonly MemorySample[];
}

/**
 * Sample memory every `ms` until stopped. The samples go to the parent in batches as they are
 * taken, so the child's heap does not grow with the run's length (which would add to what the
 * bench measures, more at 100k than at 10k); the stop function sends the last ones.
 */
function sampleMemory(
  ms: number,
  started: number,
  liveMs: number | undefined,
): { stop: () => Promise<void> } {
  let samples: MemorySample[] = [];
  const flush = (): Promise<void> => {
    const batch: SampleBatch = { type: 'samples', samples };
    samples = [];
    return new Promise((resolve) => process.send?.(batch, () => resolve()) ?? resolve());
  };
  // With --expose-gc and `liveMs`, a full GC every `liveMs` measures the live set itself.
  const gc = (globalThis as { gc?: () => void }).gc;
  let lastLive = 0;
  const take = (): void => {
    const m = process.memoryUsage();
    const h = getHeapStatistics();
    let live: number | undefined;
    if (gc !== undefined && liveMs !== undefined && Date.now() - lastLive >= liveMs) {
      gc();
      lastLive = Date.now();
      live = Math.round(getHeapStatistics().used_heap_size / MIB);
    }
    const cpu = process.cpuUsage();
    samples.push({
      ...(live === undefined ? {} : { live }),
      t: Date.now() - started,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      maxRss: Math.round(process.resourceUsage().maxRSS / 1024),
      rss: Math.round(m.rss / MIB),
      heapUsed: Math.round(h.used_heap_size / MIB),
      heapTotal: Math.round(h.total_heap_size / MIB),
      external: Math.round(m.external / MIB),
      arrayBuffers: Math.round(m.arrayBuffers / MIB),
    });
    if (samples.length >= SAMPLE_BATCH) void flush();
  };
  const timer = setInterval(take, ms);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return flush();
    },
  };
}

function vmHwmKb(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(1));
  // SIGTERM stops the run at its next clean checkpoint, as the CLI's does (lib/stop-in-verify.ts).
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  // As the CLI does at start-up (the installed tool's heap settings).
  tuneHeap();
  const request = JSON.parse(process.argv[2] ?? '{}') as {
    specPath: string;
    baseline?: boolean;
    sampleMs?: number;
    liveMs?: number;
  };
  const started = Date.now();
  const sampler =
    request.sampleMs === undefined ? null : sampleMemory(request.sampleMs, started, request.liveMs);
  let result: RunJobResult | null = null;
  let error: ChildReport['error'] = null;
  if (request.baseline !== true) {
    try {
      result = await runJob({ specPath: request.specPath, progress: 'off', signal: stop.signal });
    } catch (e) {
      error = { code: (e as { code?: string }).code ?? 'internal', message: String(e) };
    }
  }
  await sampler?.stop();
  const report: ChildReport = {
    result,
    error,
    maxRssKb: process.resourceUsage().maxRSS,
    vmHwmKb: vmHwmKb(),
    wallMs: Date.now() - started,
    samples: [],
  };
  // Exit once the report is out: anything still holding the loop open must not keep the bench waiting.
  process.send?.(report, () => process.exit(0));
}

void main();
