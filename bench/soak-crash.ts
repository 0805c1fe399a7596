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
import { ALL_KINDS, writeJob, type BenchJob } from './lib/job-spec.js';
import { startRecordingProxy, type RecordingProxy } from './lib/recording-proxy.js';
import { seededRandom } from './lib/rng.js';
import { info, runBench, tempDir } from './lib/run-bench.js';
import { hostSandbox } from './lib/sandbox-host.js';
import { routeOf } from './lib/state-files.js';

const KILLS = 10;
const SEED = Number(process.env.BENCH_SEED ?? 8);
const RUN_TIMEOUT_MS = 120_000;

/** Routes whose 200 is one item's content (listings and metadata are not items). */
const ITEM_ROUTES = new Set([
  '/apps/chats/{id}/messages',
  '/apps/chats/files/{id}/content',
  '/apps/chats/generated-files/{id}/content',
  '/apps/artifacts/{id}/content',
  '/apps/projects/{id}',
  '/apps/projects/documents/{id}',
  '/apps/code/artifacts/{id}/versions/{id}',
  '/apps/sessions/local/{id}/messages',
  '/apps/sessions/remote/{id}/messages',
]);

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

  const refJob = await job('reference');
  const refStart = Date.now();
  const ref = finished(await run(refJob, 'reference'), 'uninterrupted run');
  const firstRequest = proxy.seen.find((r) => r.label === 'reference')?.at ?? refStart;
  const activeMs = Date.now() - firstRequest;
  const reference = await readManifest(refJob.outDir);
  info(
    `reference: status=${ref.status} requests=${ref.requests} items fetched=${itemsFetched(proxy, 'reference').size} ` +
      `active ${(activeMs / 1000).toFixed(1)} s, manifest ${reference.split('\n').length - 1} lines`,
  );

  const random = seededRandom(SEED);
  let identical = 0;
  let refetched = 0;
  for (let i = 0; i < KILLS; i += 1) {
    const at = Math.round(((i + random()) / KILLS) * activeMs);
    const j = await job(`kill-${i}`);
    const killed = await run(j, `kill-${i}`, at);
    const wasKilled = killed.signal === 'SIGKILL';
    const durable = await journalRecords(j.storeDir);
    const before = itemsFetched(proxy, `kill-${i}`);
    const head =
      `kill ${i}: at +${(at / 1000).toFixed(2)} s ${wasKilled ? 'SIGKILL' : `(run ended first: exit ${killed.code})`}; ` +
      `killed run fetched ${before.size} items, ${durable} records durable in its journal; `;
    const resumedRun = await run(j, `resume-${i}`);
    const again = [...itemsFetched(proxy, `resume-${i}`)].filter((p) => before.has(p));
    refetched += again.length;
    const result = resumedRun.report?.result;
    if (result == null || result.exitCode !== 0) {
      info(
        `${head}resume FAILED (exit ${resumedRun.code}): ${resumedRun.report?.error?.message ?? resumedRun.stderr.slice(-500)}`,
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
