/**
 * `plan`'s one write: plan-estimate.json in the job's state folder (src/plan/plan-estimate.ts), so
 * the run's progress line has totals from its start. The folder is made the way a run makes it
 * (0700, whatever the umask) and locked the way a run locks it (src/store/lock.ts): a folder a
 * running export holds is not touched, and a folder bound to another spec's journaled work is
 * left alone. The file is written whole or not at all (a private temp file, fsynced, renamed).
 * Not saving never fails the plan: the outcome says why.
 */
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isExportError } from '../errors.js';
import {
  isDeadOwnersTemp,
  makeDir,
  ownedTempName,
  PRIVATE_DIR_MODE,
  tightenDir,
  writePrivateFile,
} from '../local-files.js';
import { PLAN_ESTIMATE_FILE, type PlanEstimateFile } from '../plan/plan-estimate.js';
import { StateLock } from '../store/lock.js';
import { readStateInfo } from './read-state.js';

export type SaveEstimateOutcome =
  | { readonly saved: true; readonly path: string }
  | {
      readonly saved: false;
      readonly path: string;
      /** locked: a running export holds the folder; other_spec: it holds another spec's work. */
      readonly reason: 'locked' | 'other_spec' | 'failed';
      readonly detail: string;
    };

export async function savePlanEstimate(
  stateRoot: string,
  estimate: PlanEstimateFile,
  now: () => Date = () => new Date(),
): Promise<SaveEstimateOutcome> {
  const dir = join(stateRoot, estimate.job);
  const path = join(dir, PLAN_ESTIMATE_FILE);
  const failed = (error: unknown): SaveEstimateOutcome => ({
    saved: false,
    path,
    reason: 'failed',
    detail: `${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
  });
  let lock: StateLock;
  try {
    // Creates only what is missing; an existing folder is not changed before the lock is ours.
    await makeDir(dir, PRIVATE_DIR_MODE);
    lock = await StateLock.take(join(dir, 'lock'), now);
  } catch (error) {
    if (isExportError(error) && error.code === 'state_locked')
      return { saved: false, path, reason: 'locked', detail: error.message };
    return failed(error);
  }
  try {
    await tightenDir(dir, PRIVATE_DIR_MODE);
    const state = await readStateInfo(stateRoot, estimate.job, estimate.spec_sha256);
    if (state.status === 'different_spec')
      return {
        saved: false,
        path,
        reason: 'other_spec',
        detail: `${dir} holds state of a different job spec (a run refuses it without --force)`,
      };
    await sweepDeadTemps(dir);
    await writeWhole(path, `${JSON.stringify(estimate, null, 2)}\n`);
    return { saved: true, path };
  } catch (error) {
    return failed(error);
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** A private temp file beside `path`, fsynced, then renamed over it; the folder fsynced after. */
async function writeWhole(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), ownedTempName(basename(path)));
  await writePrivateFile(path, temp, [text]);
}

/** Temp files of an earlier plan killed mid-write (their writer is gone). */
async function sweepDeadTemps(dir: string): Promise<void> {
  const prefix = `.${PLAN_ESTIMATE_FILE}.`;
  for (const name of await readdir(dir)) {
    if (name.startsWith(prefix) && isDeadOwnersTemp(name))
      await unlink(join(dir, name)).catch(() => undefined);
  }
}
