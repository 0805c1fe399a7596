/**
 * The state lifecycle step (`state.retain`, src/store/retain.ts), run only after `recordShipped`:
 * the archive read back and verified, and the custody log already beside it. So the entry
 * `state_retained` lands in the local custody log only (the copy beside the archive ends at
 * `verify`); for `none` that local log is removed with the rest, and `shipped.json` is the record.
 */
import type { CustodyLog } from '../archive/custody-log.js';
import type { StateRetain } from '../spec/types.js';
import type { StagingStore } from '../store/index.js';
import { readTombstone, removeAllButTombstone, removeContent, type Tombstone } from '../store/retain.js';
import type { ShippedArchive } from './verify-landed.js';

export interface RetainRun {
  readonly store: StagingStore;
  readonly custody: CustodyLog;
  readonly now: () => Date;
}

/**
 * While the run still holds the folder: `index` and `none` remove the content (blobs, temp files,
 * report spool). Returns the tombstone `none` writes once the run has closed (`finishRetain`).
 */
export async function retainAfterShip(
  run: RetainRun,
  retain: StateRetain,
  archive: ShippedArchive,
  specSha256: string,
  job: string,
): Promise<Tombstone | null> {
  if (retain === 'all') return null;
  const removed = await removeContent(run.store.dir);
  await run.custody.append('state_retained', {
    retain,
    removedFiles: removed.files,
    removedBytes: removed.bytes,
    archive: archive.location,
  });
  if (retain === 'index') return null;
  return {
    format: 1,
    job,
    spec_sha256: specSha256,
    as_of_cut: run.store.cut,
    archive,
    removed_at: run.now().toISOString(),
  };
}

/** `none`, after the run released the folder: all but the tombstone goes, under the lock again. */
export async function finishRetain(dir: string, tombstone: Tombstone | null): Promise<boolean> {
  return tombstone === null ? true : removeAllButTombstone(dir, tombstone);
}

/** The archive a finished job of this spec shipped before its state was removed (`none`), or null. */
export async function retiredArchive(dir: string, specSha256: string): Promise<ShippedArchive | null> {
  const tombstone = await readTombstone(dir);
  if (tombstone === null || tombstone.spec_sha256 !== specSha256) return null;
  return tombstone.archive as ShippedArchive;
}
