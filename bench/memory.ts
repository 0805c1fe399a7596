/**
 * Peak-memory benchmark (issue 8 §5): a full export (collect → quiesce → seal → ship to a local
 * destination) of the small and of the medium profile, each in its own child process; the
 * sandbox runs in this process, so its memory is not counted. The child reports its own peak
 * (`process.resourceUsage().maxRSS`, cross-checked with VmHWM). Prints one line:
 *   rss_mb_small=<n> rss_mb_medium=<n>
 * Target: <= 256 MB both. Rate limits are off (budget 100,000 rpm, 16 in flight), the worst case
 * for memory: the most requests and bodies in flight at once. The runtime's own floor (Node, the
 * tsx loader, our modules, nothing run) is measured the same way and printed on stderr.
 */
import { finished, runExporter } from './lib/exporter.js';
import { ALL_KINDS, writeJob } from './lib/job-spec.js';
import { info, runBench, tempDir } from './lib/run-bench.js';
import { hostSandbox } from './lib/sandbox-host.js';
import { PROFILES as PROFILE_SPECS } from '@compliance-export/sandbox';

const PROFILES = ['small', 'medium'] as const;

const mb = (kb: number): string => (kb / 1024).toFixed(0);

runBench('bench:memory', 10 * 60_000, async () => {
  const fields: Record<string, string> = {};
  for (const profile of PROFILES) {
    const sandbox = await hostSandbox({ profile, seed: 1, rpm: 0 });
    const job = await writeJob(await tempDir(`memory-${profile}`), {
      baseUrl: sandbox.baseUrl,
      requestsPerMinute: 100_000,
      maxConcurrency: 16,
      include: ALL_KINDS,
      interval: '1s',
      maxPasses: 1,
    });
    if (profile === PROFILES[0]) {
      const floor = await runExporter({
        specPath: job.specPath,
        apiKey: sandbox.fullKey,
        baseline: true,
        timeoutMs: 60_000,
      });
      info(`runtime floor (modules loaded, nothing run): ${mb(floor.report?.maxRssKb ?? 0)} MB`);
    }
    const run = finished(
      await runExporter({ specPath: job.specPath, apiKey: sandbox.fullKey, timeoutMs: 5 * 60_000 }),
      `${profile} export`,
    );
    const truth = await sandbox.truth(run.asOfCut!);
    await sandbox.close();
    info(
      `${profile}: status=${run.status} requests=${run.requests} payload files=${run.archive?.payloadFiles ?? 0} ` +
        `zip=${((run.archive?.zipBytes ?? 0) / 1e6).toFixed(1)} MB chats=${truth.counts['chats']} ` +
        `messages=${truth.counts['messages']} in ${(run.report.wallMs / 1000).toFixed(1)} s; ` +
        `maxRSS ${mb(run.report.maxRssKb)} MB, VmHWM ${run.report.vmHwmKb === null ? '-' : mb(run.report.vmHwmKb)} MB`,
    );
    // A remote session still pending is a retryable gap by design (small profile): exit 3, that gap only.
    const pending = PROFILE_SPECS[profile].pendingRemoteSessions;
    if (run.exitCode !== (pending > 0 ? 3 : 0) || run.exceptions !== pending)
      throw new Error(`${profile} export ended with exit ${run.exitCode} and ${run.exceptions} exceptions`);
    fields[`rss_mb_${profile}`] = mb(run.report.maxRssKb);
  }
  return fields;
});
