/**
 * Child-process entry: run one export job (`runJob`, the whole pipeline) and report the result
 * and this process's peak memory to the parent over IPC. Started by `exporter.ts`; exits when the
 * parent goes away, so a bench that dies never leaves an exporter running.
 *
 * argv[2]: JSON `{ "specPath": "...", "baseline"?: true }`. With `baseline`, the pipeline modules
 * are loaded but nothing runs: the peak RSS of the runtime (Node + tsx + our modules) alone.
 */
import { readFileSync } from 'node:fs';
import { runJob, type RunJobResult } from '../../src/run-job.js';

export interface ChildReport {
  readonly result: RunJobResult | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** `process.resourceUsage().maxRSS`, KiB. */
  readonly maxRssKb: number;
  /** `VmHWM` from /proc/self/status, KiB (null where /proc is missing). */
  readonly vmHwmKb: number | null;
  readonly wallMs: number;
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
  const request = JSON.parse(process.argv[2] ?? '{}') as { specPath: string; baseline?: boolean };
  const started = Date.now();
  let result: RunJobResult | null = null;
  let error: ChildReport['error'] = null;
  if (request.baseline !== true) {
    try {
      result = await runJob({ specPath: request.specPath, progress: 'off' });
    } catch (e) {
      error = { code: (e as { code?: string }).code ?? 'internal', message: String(e) };
    }
  }
  const report: ChildReport = {
    result,
    error,
    maxRssKb: process.resourceUsage().maxRSS,
    vmHwmKb: vmHwmKb(),
    wallMs: Date.now() - started,
  };
  // Exit once the report is out: anything still holding the loop open must not keep the bench waiting.
  process.send?.(report, () => process.exit(0));
}

void main();
