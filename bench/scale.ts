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
 * exporter_cpu_ms_per_req and sandbox_cpu_ms_per_req: each process's CPU time (user + system)
 * over the first pass per request, which the machine's load does not change;
 * exporter_req_s_per_core = 1000 / exporter_cpu_ms_per_req, the rate one free core would give.
 * request_efficiency = first-pass attempts / the minimum the truth requires (lib/truth-minimum.ts).
 * Memory: peak_rss_mb is the child's `process.resourceUsage().maxRSS`; the child also samples RSS
 * and the V8 heap every `--sample-ms` (default 500) and the per-stage peaks go to stderr.
 *
 * Options: `--chats N` (default 100,000: the profile's content counts scaled by N / 100,000, e.g.
 * `--chats 10000` for the 10k world); `--snapshot-at s1,s2 --snapshot-dir DIR` write V8 heap
 * snapshots of the child at those seconds (for finding what holds the memory; slows the run);
 * `--live-ms N` forces a full GC in the child every N ms and prints each stage's live heap (the
 * smallest and largest heap used right after those GCs: what the run really holds).
 * `BENCH_NODE_FLAGS` adds Node flags to the child (e.g. `--max-old-space-size=160`, to see what the
 * run needs when V8 keeps less garbage around).
 * `--runtime compiled|tsx` (default compiled): the child runs the exporter compiled by tsc with
 * plain Node, as installed (lib/compiled-child.ts), or from source under tsx, whose loader adds
 * ~35 MB of RSS the tool does not have (the rows in bench/RESULTS.md before 2026-11-27 are tsx).
 * `--kill-resume` (about doubles the bench's time) then exports the same world again on a fresh
 * state dir through a recording proxy, SIGKILLs the child once half the measured run's requests
 * have been sent, restarts it on the same state dir and adds (lib/kill-resume.ts):
 *   resume_s (restart → the first request the sandbox sees from the new child; target <= 10)
 *   refetched_after_kill (items fetched before the kill and requested again; target <= 1 % of
 *   requests) and refetched_pct.
 * `--skip-measured` (with `--kill-resume`) skips the measured run and kills at half the truth's
 * minimum request count instead.
 * `--stop-in-verify` then exports the world once more on a fresh state dir, sends the child SIGTERM
 * once its archive has landed and is being verified, and runs the same job again (lib/stop-in-verify.ts):
 *   stop_in_verify_s (SIGTERM → exit), rerun_after_stop_s and rerun_after_stop_requests (the rerun
 *   finishes the landed archive alone), and produce_seal_upload_s (what a rerun that staged and
 *   sealed again would have redone: the review copy, the seal, the upload).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { MemorySample } from './lib/export-child.js';
import { compiledChild } from './lib/compiled-child.js';
import { finished, runExporter } from './lib/exporter.js';
import { killAndResume } from './lib/kill-resume.js';
import { stopInVerify } from './lib/stop-in-verify.js';
import { ALL_KINDS, writeJob } from './lib/job-spec.js';
import { info, runBench, tempDir, type Fields } from './lib/run-bench.js';
import { hostSandbox, type HostedSandbox } from './lib/sandbox-host.js';
import { readCustody, readLedger, type CustodyLine } from './lib/state-files.js';
import { minimumRequests } from './lib/truth-minimum.js';

const LARGE_CHATS = 100_000;
const INCLUDE = ALL_KINDS.filter((k) => k !== 'sessions');

const { values: args } = parseArgs({
  options: {
    chats: { type: 'string', default: String(LARGE_CHATS) },
    'sample-ms': { type: 'string', default: '500' },
    'live-ms': { type: 'string' },
    'snapshot-at': { type: 'string' },
    'snapshot-dir': { type: 'string' },
    runtime: { type: 'string', default: 'compiled' },
    'kill-resume': { type: 'boolean', default: false },
    'skip-measured': { type: 'boolean', default: false },
    'stop-in-verify': { type: 'boolean', default: false },
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

const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const jobOptions = (baseUrl: string): Parameters<typeof writeJob>[1] => ({
  baseUrl,
  requestsPerMinute: 100_000,
  maxConcurrency: 16,
  include: INCLUDE,
  interval: '1s',
  maxPasses: 2,
});

runBench('bench:scale', 90 * 60_000, async () => {
  const chats = Number(args.chats);
  if (!Number.isInteger(chats) || chats < 100) throw new Error(`--chats ${args.chats}: an integer >= 100`);
  const scale = chats / LARGE_CHATS;
  if (args.runtime !== 'compiled' && args.runtime !== 'tsx')
    throw new Error(`--runtime ${args.runtime}: compiled or tsx`);
  const child = args.runtime === 'compiled' ? await compiledChild() : undefined;
  const sandbox = await hostSandbox({ profile: 'large', seed: 1, scale, rpm: 0 });
  const measured = args['skip-measured'] ? null : await measuredRun(sandbox, child);
  if (measured === null && !args['kill-resume'] && !args['stop-in-verify'])
    throw new Error('--skip-measured without --kill-resume or --stop-in-verify measures nothing');
  const childOptions = { nodeFlags, ...(child === undefined ? {} : { compiledChild: child }) };
  let fields: Fields = measured ?? { runtime: args.runtime ?? 'compiled', chats };
  if (args['kill-resume']) {
    const expected =
      measured === null ? minimumRequests(await sandbox.truth(), INCLUDE).total : measured.requests;
    const resume = await killAndResume({
      target: sandbox.baseUrl,
      apiKey: sandbox.fullKey,
      writeJob: async (baseUrl) => writeJob(await tempDir('scale-resume'), jobOptions(baseUrl)),
      killAt: Math.round(expected / 2),
      timeoutMs: 150 * 60_000,
      ...childOptions,
    });
    fields = {
      ...fields,
      resume_s: resume.resumeS.toFixed(1),
      refetched_after_kill: resume.refetched,
      refetched_pct: ((100 * resume.refetched) / resume.totalRequests).toFixed(2),
    };
  }
  if (args['stop-in-verify']) {
    const stop = await stopInVerify({
      target: sandbox.baseUrl,
      apiKey: sandbox.fullKey,
      writeJob: async (baseUrl) => writeJob(await tempDir('scale-stop'), jobOptions(baseUrl)),
      timeoutMs: 150 * 60_000,
      ...childOptions,
    });
    fields = {
      ...fields,
      stop_in_verify_s: stop.stopS.toFixed(2),
      rerun_after_stop_s: stop.rerunS.toFixed(1),
      rerun_after_stop_requests: stop.rerunRequests,
      produce_seal_upload_s: stop.redoneBeforeS.toFixed(1),
    };
  }
  return fields;
});

/**
 * When the child's maxRSS reached its final value: the first sample whose running maxRSS is the
 * peak, the RSS sample before it, and the stage it fell in (a peak between two samples shows here
 * though no RSS sample caught it).
 */
function peakAt(
  samples: readonly MemorySample[],
  windows: readonly { name: string; from: number; to: number }[],
  started: number,
): string {
  const top = samples.reduce((max, s) => Math.max(max, s.maxRss), 0);
  const i = samples.findIndex((s) => s.maxRss === top);
  if (i < 0) return 'maxRSS: no samples';
  const at = samples[i]!;
  const before = i > 0 ? samples[i - 1]! : null;
  const stage =
    windows.find((w) => started + at.t >= w.from && started + at.t <= w.to)?.name ?? 'outside any stage';
  return (
    `maxRSS ${top} MB reached by ${(at.t / 1000).toFixed(1)} s (${stage}); ` +
    `rss ${before?.rss ?? '?'} → ${at.rss} MB, heap used ${before?.heapUsed ?? '?'} → ${at.heapUsed} MB, ` +
    `array buffers ${before?.arrayBuffers ?? '?'} → ${at.arrayBuffers} MB over that interval`
  );
}

/** The measured, uninterrupted run: one export in a child, memory sampled, figures computed. */
async function measuredRun(
  sandbox: HostedSandbox,
  child: string | undefined,
): Promise<Fields & { requests: number }> {
  const job = await writeJob(await tempDir('scale'), jobOptions(sandbox.baseUrl));
  const snapshotAt = (args['snapshot-at'] ?? '').split(',').filter(Boolean).map(Number);
  const snapshotDir = args['snapshot-dir'];
  if (snapshotAt.length > 0 && snapshotDir === undefined)
    throw new Error('--snapshot-at needs --snapshot-dir');
  const started = Date.now();
  const sandboxCpu = sampleCpu(Number(args['sample-ms']));
  const run = finished(
    await runExporter({
      specPath: job.specPath,
      apiKey: sandbox.fullKey,
      timeoutMs: 150 * 60_000,
      sampleMs: Number(args['sample-ms']),
      ...(args['live-ms'] === undefined ? {} : { liveMs: Number(args['live-ms']) }),
      ...(child === undefined ? {} : { compiledChild: child }),
      nodeFlags: [
        ...nodeFlags,
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
      `archive=${run.archive?.location ?? '-'} in ${(run.report.wallMs / 1000).toFixed(1)} s, ` +
      `child maxRSS ${mb(run.report.maxRssKb * 1024)} MB`,
  );
  sandboxCpu.stop();
  if (run.exitCode !== 0) throw new Error(`export ended with exit ${run.exitCode} (${run.status})`);

  const custody = await readCustody(job.storeDir);
  const windows = phases(custody);
  const collectEnd = windows.find((w) => w.name === 'stage_start:collect')?.to ?? Infinity;
  const ledger = await readLedger(job.storeDir);
  const firstPass = ledger.filter((e) => Date.parse(e.ts) <= collectEnd);
  // Loops, not Math.min(...list): a 100k run's ledger has more entries than the stack has room for.
  const t0 = firstPass.reduce((min, e) => Math.min(min, Date.parse(e.ts)), Infinity);
  const span = (Math.min(collectEnd, Date.now()) - t0) / 1000;
  const truth = await sandbox.truth(run.asOfCut!);
  const minimum = minimumRequests(truth, INCLUDE);

  // Memory by stage: the samples' times are ms from the child's start, near `started`.
  const samples: readonly MemorySample[] = run.report.samples;
  for (const w of windows) {
    const inStage = samples.filter((s) => started + s.t >= w.from && started + s.t <= w.to);
    if (inStage.length === 0 || w.to - w.from < 1000) continue;
    const peak = (k: Exclude<keyof MemorySample, 'live' | 'cpuMs' | 'maxRss'>): number =>
      inStage.reduce((max, s) => Math.max(max, s[k]), 0);
    // Heap used falls back to about the live set after each major GC: the lowest sample is its bound.
    const floor = inStage.reduce((min, s) => Math.min(min, s.heapUsed), Infinity);
    const lives = inStage.flatMap((s) => (s.live === undefined ? [] : [s.live]));
    const live = lives.length === 0 ? '' : `, live ${Math.min(...lives)}–${Math.max(...lives)} MB`;
    info(
      `  ${w.name.padEnd(20)} ${((Math.min(w.to, started + run.report.wallMs) - w.from) / 1000).toFixed(1).padStart(7)} s  peak rss ${peak('rss')} MB, ` +
        `heap used ${peak('heapUsed')} MB (lowest ${floor}), external ${peak('external')} MB, array buffers ${peak('arrayBuffers')} MB${live}`,
    );
  }
  info(peakAt(samples, windows, started));
  const every = Math.max(1, Math.floor(samples.length / 40));
  info(
    `samples (s: rss/heapUsed MB): ${samples
      .filter((_, i) => i % every === 0)
      .map((s) => `${(s.t / 1000).toFixed(0)}:${s.rss}/${s.heapUsed}`)
      .join(' ')}`,
  );
  const cpu = cpuPerRequest(firstPass, samples, started, sandboxCpu.samples);
  return {
    runtime: args.runtime ?? 'compiled',
    chats: truth.chats.length,
    requests: run.requests,
    wall_s: (run.report.wallMs / 1000).toFixed(1),
    exporter_req_s: ((firstPass.length - 1) / span).toFixed(0),
    peak_rss_mb: mb(run.report.maxRssKb * 1024),
    peak_rss_sampled_mb: samples.reduce((max, s) => Math.max(max, s.rss), 0),
    peak_heap_mb: samples.reduce((max, s) => Math.max(max, s.heapUsed), 0),
    state_mb: mb(await treeBytes(job.stateDir)),
    archive_mb: mb(run.archive?.zipBytes ?? 0),
    request_efficiency: (firstPass.length / minimum.total).toFixed(3),
    exporter_cpu_ms_per_req: cpu.exporter.toFixed(2),
    exporter_req_s_per_core: (1000 / cpu.exporter).toFixed(0),
    sandbox_cpu_ms_per_req: cpu.sandbox.toFixed(2),
  };
}

/** CPU time of this process (the sandbox's) every `ms`, with wall times, until stopped. */
function sampleCpu(ms: number): { stop: () => void; samples: { at: number; cpuMs: number }[] } {
  const samples: { at: number; cpuMs: number }[] = [];
  const take = (): void => {
    const cpu = process.cpuUsage();
    samples.push({ at: Date.now(), cpuMs: (cpu.user + cpu.system) / 1000 });
  };
  take();
  const timer = setInterval(take, ms);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

/**
 * CPU ms per request of the exporter and of the sandbox over the first pass: from the sample
 * after the first request to the last sample before the pass ended, divided by the attempts the
 * ledger has in that span. CPU time, unlike wall time, does not depend on what else the machine
 * runs: `exporter_req_s_per_core` (1000 / exporter ms) is the rate one free core would give.
 */
function cpuPerRequest(
  firstPass: readonly { ts: string }[],
  child: readonly MemorySample[],
  started: number,
  sandbox: readonly { at: number; cpuMs: number }[],
): { exporter: number; sandbox: number } {
  const times = firstPass.map((e) => Date.parse(e.ts));
  const t0 = times.reduce((min, t) => Math.min(min, t), Infinity);
  const t1 = times.reduce((max, t) => Math.max(max, t), -Infinity);
  const inPass = <T>(list: readonly T[], at: (s: T) => number): T[] =>
    list.filter((s) => at(s) >= t0 && at(s) <= t1);
  const per = <T>(list: readonly T[], at: (s: T) => number, cpu: (s: T) => number): number => {
    const within = inPass(list, at);
    const first = within[0];
    const last = within[within.length - 1];
    if (first === undefined || last === undefined || first === last) return NaN;
    const requests = times.filter((t) => t >= at(first) && t < at(last)).length;
    return (cpu(last) - cpu(first)) / requests;
  };
  return {
    exporter: per(
      child,
      (s) => started + s.t,
      (s) => s.cpuMs,
    ),
    sandbox: per(
      sandbox,
      (s) => s.at,
      (s) => s.cpuMs,
    ),
  };
}
