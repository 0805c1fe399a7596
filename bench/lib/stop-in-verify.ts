/**
 * SIGTERM while the landed archive is verified, as a service manager's stop would land, then the
 * same command again on the same state. Measured:
 * - `stopS`: from the SIGTERM to the child's exit (the run stops at its next block);
 * - `rerunS` and `rerunRequests`: the rerun's wall time and the requests the sandbox saw from it;
 * - `redoneBeforeS`: what a rerun that stages and seals again would have redone, from the stopped
 *   run's custody log: the review copy and staging, the seal and the upload (the `stage_end` of
 *   quiesce → `upload`).
 * The rerun must finish the very archive that landed (its zip SHA-256), or the bench fails.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, proxiedJob, runExporter, type ProxiedJobOptions } from './exporter.js';
import { info } from './run-bench.js';
import { readCustody, type CustodyLine } from './state-files.js';

export interface StopInVerifyResult {
  readonly stopS: number;
  readonly rerunS: number;
  readonly rerunRequests: number;
  readonly redoneBeforeS: number;
}

const at = (lines: readonly CustodyLine[], event: string, stage?: string): number => {
  const line = lines.find((l) => l.event === event && (stage === undefined || l.data['stage'] === stage));
  if (line === undefined) throw new Error(`stop-in-verify: no custody ${event} ${stage ?? ''}`);
  return Date.parse(line.at);
};

export async function stopInVerify(options: ProxiedJobOptions): Promise<StopInVerifyResult> {
  const { proxy, job, child: common } = await proxiedJob(options);
  const custodyPath = join(job.storeDir, 'custody.jsonl');
  let signalledAt = 0;
  const stopped = await runExporter({
    ...common,
    onStart: (child) => {
      // Verify starts once the read-back is recorded: SIGTERM then.
      const poll = setInterval(() => {
        void readFile(custodyPath, 'utf8')
          .catch(() => '')
          .then((text) => {
            if (signalledAt !== 0 || !text.includes('"event":"readback"')) return;
            clearInterval(poll);
            signalledAt = Date.now();
            child.kill('SIGTERM');
          });
      }, 50);
      child.once('exit', () => clearInterval(poll));
    },
  });
  const exitedAt = Date.now();
  if (signalledAt === 0)
    throw new Error(`stop-in-verify: the run ended (exit ${stopped.code}) before verify`);
  const first = finished(stopped, 'stopped run');
  if (first.status !== 'interrupted')
    throw new Error(`stop-in-verify: the stopped run ended ${first.status}`);
  const lines = await readCustody(job.storeDir);
  if (lines.some((l) => l.event === 'verify'))
    throw new Error('stop-in-verify: the verify finished before the stop reached it');
  const upload = lines.find((l) => l.event === 'upload');
  const redoneBeforeS = (at(lines, 'upload') - at(lines, 'stage_end', 'quiesce')) / 1000;
  info(
    `stop-in-verify: SIGTERM at +${((signalledAt - Date.parse(lines[0]?.at ?? '')) / 1000).toFixed(1)} s, ` +
      `${first.status} (exit ${first.exitCode}) after ${((exitedAt - signalledAt) / 1000).toFixed(2)} s; rerunning`,
  );

  const seenBefore = proxy.seen.length;
  const rerunAt = Date.now();
  const rerun = finished(await runExporter(common), 'rerun');
  const rerunS = (Date.now() - rerunAt) / 1000;
  if (rerun.exitCode !== 0) throw new Error(`stop-in-verify: the rerun ended ${rerun.status}`);
  if (rerun.archive?.zipSha256 !== upload?.data['sha256'] || rerun.archive?.verified !== true)
    throw new Error('stop-in-verify: the rerun did not finish the archive that landed');
  const events = (await readCustody(job.storeDir)).map((l) => l.event);
  info(`stop-in-verify: the rerun's custody: ${events.slice(events.lastIndexOf('run_resume')).join(' ')}`);
  return {
    stopS: (exitedAt - signalledAt) / 1000,
    rerunS,
    rerunRequests: proxy.seen.length - seenBefore,
    redoneBeforeS,
  };
}
