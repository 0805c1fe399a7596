/**
 * Scale benchmark: a full export (preflight → collect → quiesce → seal → ship → read-back → verify)
 * of the sandbox's `large` profile (100,000 chats, ~1M messages), every kind but sessions, the
 * budget lifted (sandbox rpm off, job 100,000 rpm with `allow_above_documented_limit`, 16 in
 * flight), to a local destination. The exporter runs in a child process, so its memory is its own;
 * the sandbox runs in this one. Prints one line:
 *   chats requests wall_s exporter_req_s peak_rss_mb peak_rss_sampled_mb peak_heap_mb state_mb
 *   archive_mb request_efficiency
 * Targets: peak_rss_mb <= 256 and within 1.2x of the same bench on a 10,000-chat world,
 * exporter_req_s >= 1,000, request_efficiency <= 1.02.
 *
 * exporter_req_s = first-pass attempts / the first pass's span (from the run's first request to
 * the custody `stage_end` of `collect`): the rate the exporter sustains with no budget.
 * request_efficiency = first-pass attempts / the minimum the truth requires (lib/truth-minimum.ts).
 * Memory: peak_rss_mb is the child's `process.resourceUsage().maxRSS`; the child also samples RSS
 * and the V8 heap every `--sample-ms` (default 500) and the per-stage peaks go to stderr.
 *
 * Options: `--chats N` (default 100,000: the profile's content counts scaled by N / 100,000, e.g.
 * `--chats 10000` for the 10k world); `--snapshot-at s1,s2 --snapshot-dir DIR` write V8 heap
 * snapshots of the child at those seconds (for finding what holds the memory; slows the run).
 * `BENCH_NODE_FLAGS` adds Node flags to the child (e.g. `--max-old-space-size=160`, to see what the
 * run needs when V8 keeps less garbage around).
 * Not measured here: resume_s and refetched_after_kill (bench:soak-crash kills and resumes).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { MemorySample } from './lib/export-child.js';
import { finished, runExporter } from './lib/exporter.js';
import { ALL_KINDS, writeJob } from './lib/job-spec.js';
import { info, runBench, tempDir } from './lib/run-bench.js';
import { hostSandbox } from './lib/sandbox-host.js';
import { readCustody, readLedger, type CustodyLine } from './lib/state-files.js';
import { minimumRequests } from './lib/truth-minimum.js';

const LARGE_CHATS = 100_000;
const INCLUDE = ALL_KINDS.filter((k) => k !== 'sessions');

const { values: args } = parseArgs({
  options: {
    chats: { type: 'string', default: String(LARGE_CHATS) },
    'sample-ms': { type: 'string', default: '500' },
    'snapshot-at': { type: 'string' },
    'snapshot-dir': { type: 'string' },
  },
});

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

/**
 * The run's phases from its custody log: each entry starts a phase that lasts until the next one
 * (`stage_start:collect` → `stage_end:collect` is pass 1; `requests` → `seal` stages the payload;
 * `seal` → `upload` seals and ships; `upload` → `readback` → `verify` check the landed zip).
 */
function phases(custody: readonly CustodyLine[]): { name: string; from: number; to: number }[] {
  const marks = custody.map((e) => ({
    name: `${e.event}${typeof e.data['stage'] === 'string' ? `:${e.data['stage']}` : ''}`,
    at: Date.parse(e.at),
  }));
  return marks.map((m, i) => ({ name: m.name, from: m.at, to: marks[i + 1]?.at ?? Infinity }));
}

runBench('bench:scale', 60 * 60_000, async () => {
  const chats = Number(args.chats);
  if (!Number.isInteger(chats) || chats < 100) throw new Error(`--chats ${args.chats}: an integer >= 100`);
  const scale = chats / LARGE_CHATS;
  const sandbox = await hostSandbox({ profile: 'large', seed: 1, scale, rpm: 0 });
  const job = await writeJob(await tempDir('scale'), {
    baseUrl: sandbox.baseUrl,
    requestsPerMinute: 100_000,
    maxConcurrency: 16,
    include: INCLUDE,
    interval: '1s',
    maxPasses: 2,
  });
  const snapshotAt = (args['snapshot-at'] ?? '').split(',').filter(Boolean).map(Number);
  const snapshotDir = args['snapshot-dir'];
  if (snapshotAt.length > 0 && snapshotDir === undefined)
    throw new Error('--snapshot-at needs --snapshot-dir');
  const started = Date.now();
  const run = finished(
    await runExporter({
      specPath: job.specPath,
      apiKey: sandbox.fullKey,
      timeoutMs: 55 * 60_000,
      sampleMs: Number(args['sample-ms']),
      nodeFlags: [
        ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
        ...(snapshotDir === undefined
          ? []
          : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`]),
      ],
      onStart: (child) => {
        for (const s of snapshotAt) {
          const timer = setTimeout(() => {
            info(`heap snapshot requested at ${s} s`);
            child.kill('SIGUSR2');
          }, s * 1000);
          timer.unref();
          child.once('exit', () => clearTimeout(timer));
        }
      },
    }),
    'scale run',
  );
  info(
    `run: status=${run.status} exit=${run.exitCode} requests=${run.requests} exceptions=${run.exceptions} ` +
      `archive=${run.archive?.location ?? '-'} in ${(run.report.wallMs / 1000).toFixed(1)} s`,
  );
  if (run.exitCode !== 0) throw new Error(`export ended with exit ${run.exitCode} (${run.status})`);

  const custody = await readCustody(job.storeDir);
  const windows = phases(custody);
  const collectEnd = windows.find((w) => w.name === 'stage_start:collect')?.to ?? Infinity;
  const ledger = await readLedger(job.storeDir);
  const firstPass = ledger.filter((e) => Date.parse(e.ts) <= collectEnd);
  const t0 = Math.min(...firstPass.map((e) => Date.parse(e.ts)));
  const span = (Math.min(collectEnd, Date.now()) - t0) / 1000;
  const truth = await sandbox.truth(run.asOfCut!);
  const minimum = minimumRequests(truth, INCLUDE);

  // Memory by stage: the samples' times are ms from the child's start, near `started`.
  const samples: readonly MemorySample[] = run.report.samples;
  for (const w of windows) {
    const inStage = samples.filter((s) => started + s.t >= w.from && started + s.t <= w.to);
    if (inStage.length === 0 || w.to - w.from < 1000) continue;
    const peak = (k: keyof MemorySample): number => Math.max(...inStage.map((s) => s[k]));
    info(
      `  ${w.name.padEnd(20)} ${((Math.min(w.to, started + run.report.wallMs) - w.from) / 1000).toFixed(1).padStart(7)} s  peak rss ${peak('rss')} MB, ` +
        `heap used ${peak('heapUsed')} MB, external ${peak('external')} MB, array buffers ${peak('arrayBuffers')} MB`,
    );
  }
  const every = Math.max(1, Math.floor(samples.length / 40));
  info(
    `samples (s: rss/heapUsed MB): ${samples
      .filter((_, i) => i % every === 0)
      .map((s) => `${(s.t / 1000).toFixed(0)}:${s.rss}/${s.heapUsed}`)
      .join(' ')}`,
  );
  return {
    chats: truth.chats.length,
    requests: run.requests,
    wall_s: (run.report.wallMs / 1000).toFixed(1),
    exporter_req_s: ((firstPass.length - 1) / span).toFixed(0),
    peak_rss_mb: mb(run.report.maxRssKb * 1024),
    peak_rss_sampled_mb: Math.max(0, ...samples.map((s) => s.rss)),
    peak_heap_mb: Math.max(0, ...samples.map((s) => s.heapUsed)),
    state_mb: mb(await treeBytes(job.stateDir)),
    archive_mb: mb(run.archive?.zipBytes ?? 0),
    request_efficiency: (firstPass.length / minimum.total).toFixed(3),
  };
});
