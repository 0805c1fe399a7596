/**
 * Crash soak (issue 8 §5): SIGKILL the exporter at 10 random points of a run, resume each to
 * completion, and compare each resumed archive's payload manifest (`manifest-sha256.txt`) with
 * that of an uninterrupted run over the same unchanging data (small profile, no rate limit).
 * Prints one line:
 *   identical=<k>/10 refetched=<items fetched in both the killed run and its resume, summed>
 * Target: identical=10/10.
 *
 * Kill points: the uninterrupted run's active time (its first API request to its exit: collect,
 * quiesce, seal, ship, read-back) is cut into 10 equal slices and one point is drawn in each with
 * a seeded RNG (BENCH_SEED, default 8), so kills land in every stage. A recording proxy in front
 * of the sandbox sees every request (a SIGKILLed exporter loses its buffered ledger lines); an
 * item fetch is a 200 on a content route (messages, downloads, details), keyed by its path.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from './lib/archive.js';
import { finished, runExporter, type ExporterRun } from './lib/exporter.js';
import { ITEM_ROUTES } from './lib/kill-resume.js';
import { ALL_KINDS, writeJob, type BenchJob } from './lib/job-spec.js';
import { startRecordingProxy, type RecordingProxy } from './lib/recording-proxy.js';
import { seededRandom } from './lib/rng.js';
import { info, runBench, tempDir } from './lib/run-bench.js';
import { hostSandbox } from './lib/sandbox-host.js';
import { readCustody, routeOf } from './lib/state-files.js';

const KILLS = 10;
const SEED = Number(process.env.BENCH_SEED ?? 8);
const RUN_TIMEOUT_MS = 120_000;

/** Record lines on disk in a store's journal (what survived the kill). */
async function journalRecords(storeDir: string): Promise<number> {
  const text = await readFile(join(storeDir, 'journal.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.includes('"t":"r"')).length;
}

function itemsFetched(proxy: RecordingProxy, label: string): Set<string> {
  const out = new Set<string>();
  for (const r of proxy.seen) {
    if (r.label === label && r.status === 200 && ITEM_ROUTES.has(routeOf(r.path))) out.add(r.path);
  }
  return out;
}

runBench('bench:soak-crash', 8 * 60_000, async () => {
  const sandbox = await hostSandbox({ profile: 'small', seed: 1, rpm: 0 });
  const proxy = await startRecordingProxy(sandbox.baseUrl);
  const root = await tempDir('soak-crash');
  const job = (name: string): Promise<BenchJob> =>
    writeJob(`${root}/${name}`, {
      baseUrl: proxy.baseUrl,
      requestsPerMinute: 100_000,
      maxConcurrency: 8,
      include: ALL_KINDS,
      interval: '1s',
      maxPasses: 1,
    });
  const run = (j: BenchJob, label: string, killAfterMs?: number): Promise<ExporterRun> => {
    proxy.label = label;
    const seenBefore = proxy.seen.length;
    return runExporter({
      specPath: j.specPath,
      apiKey: sandbox.fullKey,
      timeoutMs: RUN_TIMEOUT_MS,
      ...(killAfterMs === undefined
        ? {}
        : {
            onStart: (child) => {
              // The clock starts at the child's first API request (process start-up is not the run).
              const poll = setInterval(() => {
                if (proxy.seen.length === seenBefore) return;
                clearInterval(poll);
                setTimeout(() => child.kill('SIGKILL'), killAfterMs);
              }, 2);
              child.once('exit', () => clearInterval(poll));
            },
          }),
    });
  };

  // Two uninterrupted runs: the first warms the runtime (transpile cache, lazy imports) so the
  // second's active time is what the killed runs will take; their manifests must agree too.
  const uninterrupted = async (
    name: string,
  ): Promise<{ manifest: string; activeMs: number; exitCode: number }> => {
    const j = await job(name);
    const r = finished(await run(j, name), `uninterrupted run ${name}`);
    const activeMs = Date.now() - (proxy.seen.find((x) => x.label === name)?.at ?? Date.now());
    const manifest = await readManifest(j.outDir);
    info(
      `${name}: status=${r.status} requests=${r.requests} items fetched=${itemsFetched(proxy, name).size} ` +
        `active ${(activeMs / 1000).toFixed(1)} s (runJob ${(r.report.wallMs / 1000).toFixed(1)} s), manifest ${manifest.split('\n').length - 1} lines`,
    );
    return { manifest, activeMs, exitCode: r.exitCode };
  };
  const warmup = await uninterrupted('warm-up');
  // Exit 3 when the data holds a gap by design (the small profile's pending remote session).
  const { manifest: reference, activeMs, exitCode: referenceExit } = await uninterrupted('reference');
  info(`the two uninterrupted manifests are ${warmup.manifest === reference ? 'identical' : 'DIFFERENT'}`);
  if (warmup.manifest !== reference) throw new Error('uninterrupted runs disagree: nothing to compare with');

  // Each kill point is a fraction of the run's active time. Run times vary with machine load, so
  // when a run ends before its kill, the estimate shrinks to that run's time and the point is
  // drawn again on a fresh job (at most 3 tries per point).
  const random = seededRandom(SEED);
  let estimateMs = activeMs;
  let identical = 0;
  let refetched = 0;
  for (let i = 0; i < KILLS; i += 1) {
    const fraction = (i + random()) / KILLS;
    let j: BenchJob | undefined;
    let killed: ExporterRun | undefined;
    let at = 0;
    let label = '';
    for (let attempt = 0; attempt < 3; attempt += 1) {
      at = Math.round(fraction * estimateMs);
      j = await job(`kill-${i}-${attempt}`);
      label = `kill-${i}-${attempt}`;
      const seenBefore = proxy.seen.length;
      killed = await run(j, label, at);
      if (killed.signal === 'SIGKILL') break;
      const first = proxy.seen[seenBefore]?.at ?? Date.now();
      estimateMs = Math.min(estimateMs, Date.now() - first);
      info(
        `kill ${i}: the run ended before +${(at / 1000).toFixed(2)} s; run time estimate now ${(estimateMs / 1000).toFixed(1)} s`,
      );
    }
    if (j === undefined || killed === undefined) continue;
    const wasKilled = killed.signal === 'SIGKILL';
    const durable = await journalRecords(j.storeDir);
    const custody = await readCustody(j.storeDir).catch(() => []);
    const stage = custody.at(-1);
    const before = itemsFetched(proxy, label);
    const head =
      `kill ${i}: at +${(at / 1000).toFixed(2)} s ${wasKilled ? 'SIGKILL' : `(run ended first: exit ${killed.code}, runJob ${((killed.report?.wallMs ?? 0) / 1000).toFixed(1)} s)`}; ` +
      `killed run fetched ${before.size} items, ${durable} records durable in its journal, ` +
      `last custody entry ${stage === undefined ? '-' : `${stage.event}${typeof stage.data['stage'] === 'string' ? `:${stage.data['stage']}` : ''}`}; `;
    const resumedRun = await run(j, `resume-${i}`);
    const again = [...itemsFetched(proxy, `resume-${i}`)].filter((p) => before.has(p));
    refetched += again.length;
    const result = resumedRun.report?.result;
    if (result == null || result.exitCode !== referenceExit) {
      info(
        `${head}resume FAILED: ${resumedRun.report?.error?.message ?? `exit ${resumedRun.code} ${resumedRun.stderr.slice(-500)}`}`,
      );
      continue;
    }
    const manifest = await readManifest(j.outDir);
    const same = manifest === reference;
    if (same) identical += 1;
    info(
      `${head}resume ${result.status} (resumed=${result.resumed}) requests=${result.requests} ` +
        `refetched=${again.length}${again.length > 0 ? ` [${again.slice(0, 3).join(' ')} …]` : ''}; ` +
        `manifest ${same ? 'identical' : 'DIFFERS'}`,
    );
    if (!same) {
      const a = new Set(reference.split('\n'));
      const b = new Set(manifest.split('\n'));
      info(
        `  only in reference: ${[...a]
          .filter((l) => !b.has(l))
          .slice(0, 5)
          .join(' | ')}`,
      );
      info(
        `  only in resumed:   ${[...b]
          .filter((l) => !a.has(l))
          .slice(0, 5)
          .join(' | ')}`,
      );
    }
  }
  return { identical: `${identical}/${KILLS}`, refetched };
});
