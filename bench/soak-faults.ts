/**
 * Fault soak (issue 8 §5): a full export of the medium profile against the sandbox's fault
 * injection — the `hostile` scenario's faults (latency with a tail, 5 % transient 500/502/503/
 * 504/529, connection resets and bodies cut short, code-artifact versions "in flight" for a few
 * attempts, and the permanent failures: files that always answer 500 `x-should-retry: false` and
 * files whose Content-MD5 never matches), without its live mutations or index lag. The archive
 * is then read back and compared with the ground truth at the run's cut. Prints one line:
 *   lost=<truth items in neither the archive nor the exceptions> gaps=<exceptions>
 *   injected_permanent=<permanent failures the sandbox injected>
 * Target: lost=0 and gaps = injected_permanent.
 */
import { SCENARIOS } from '@compliance-export/sandbox';
import { verifyArchive } from '../src/verify/verify-archive.js';
import { openArchive } from './lib/archive.js';
import { checkCoverage } from './lib/coverage.js';
import { finished, runExporter } from './lib/exporter.js';
import { ALL_KINDS, writeJob } from './lib/job-spec.js';
import { info, runBench, tempDir } from './lib/run-bench.js';
import { hostSandbox } from './lib/sandbox-host.js';

const PROFILE = (process.env.BENCH_PROFILE ?? 'medium') as 'small' | 'medium';
const FAULTS = SCENARIOS.hostile!.faults!;

runBench('bench:soak-faults', 12 * 60_000, async () => {
  const sandbox = await hostSandbox({ profile: PROFILE, seed: 1, rpm: 0, scenario: { faults: FAULTS } });
  const job = await writeJob(await tempDir('soak-faults'), {
    baseUrl: sandbox.baseUrl,
    requestsPerMinute: 100_000,
    maxConcurrency: 16,
    include: ALL_KINDS,
    interval: '1s',
    maxPasses: 2,
  });
  info(`soak-faults: ${PROFILE} profile, faults ${JSON.stringify(FAULTS)}`);
  const run = finished(
    await runExporter({ specPath: job.specPath, apiKey: sandbox.fullKey, timeoutMs: 10 * 60_000 }),
    'faults run',
  );
  info(
    `run: status=${run.status} exit=${run.exitCode} requests=${run.requests} exceptions=${run.exceptions} ` +
      `in ${(run.report.wallMs / 1000).toFixed(1)} s`,
  );
  const stats = await sandbox.stats();
  const failures = Object.entries(stats.byRoute)
    .flatMap(([, byStatus]) => Object.entries(byStatus))
    .filter(([status]) => status !== '200')
    .reduce<Record<string, number>>((acc, [status, n]) => ({ ...acc, [status]: (acc[status] ?? 0) + n }), {});
  info(`sandbox answered ${stats.total} requests; non-200 by status: ${JSON.stringify(failures)}`);

  const faults = await sandbox.faults();
  const injected = [
    ...faults.permanent_failures.map((id) => `file ${id} permanent_server_error`),
    ...faults.bad_content_md5.map((id) => `file ${id} checksum_mismatch`),
  ];
  info(`injected permanent failures: ${injected.join(', ')}`);
  const verified = await verifyArchive(run.archive!.location);
  info(`verify: ok=${verified.ok} problems=${verified.problems.length}`);

  const truth = await sandbox.truth(run.asOfCut!);
  const archive = await openArchive(job.outDir);
  try {
    const coverage = await checkCoverage(archive, truth, ALL_KINDS);
    info(`checked against the truth: ${JSON.stringify(coverage.checked)}`);
    for (const e of coverage.exceptions) info(`exception: ${e.kind} ${e.id} ${e.reason}`);
    for (const l of coverage.lost.slice(0, 30)) info(`LOST: ${l}`);
    const named = coverage.exceptions.map((e) => `${e.kind} ${e.id} ${e.reason}`).sort();
    info(
      `the exceptions are ${JSON.stringify(named) === JSON.stringify([...injected].sort()) ? 'exactly' : 'NOT exactly'} the injected permanent failures`,
    );
    if (!verified.ok) throw new Error(`the archive does not verify: ${JSON.stringify(verified.problems)}`);
    return {
      lost: coverage.lost.length,
      gaps: coverage.exceptions.length,
      injected_permanent: injected.length,
    };
  } finally {
    await archive.close();
  }
});
