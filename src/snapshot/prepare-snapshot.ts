/**
 * The snapshot step of an incremental run, after preflight fixed the cut and before collection:
 * find the base at the DESTINATION (never local state: an empty state folder in a fresh container
 * is the normal case), check that the chain it stands on is still there and outlives this
 * snapshot, and take its records over into the store (./snapshot-base.ts). Decided once per
 * snapshot (store meta `snapshot_plan`), so a resumed run does not decide again.
 *
 * When the base cannot be used the snapshot is FULL, and the reason is said on stderr and in the
 * custody log: no archive of this job yet; a base sealed under another spec; a delta that would
 * depend on more archives than `snapshot.max_chain`; an archive the base's inventory points at is
 * missing; or one whose Object Lock ends before this snapshot's would.
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { CustodyLog } from '../archive/custody-log.js';
import type { Sink } from '../sink/sink.js';
import type { LoadedSpec, ResolvedJobSpec } from '../spec/types.js';
import { snapshotModeOf } from '../spec/types.js';
import type { StagingStore } from '../store/index.js';
import { seedFromInventory } from './snapshot-base.js';
import { copyTagFile, findBaseReporting, readInventory, type StoredArchive } from './stored-archive.js';
import { INVENTORY_JSONL } from './types.js';

/** Store meta: `full` or `delta`, decided by the first attempt of this snapshot. */
export const SNAPSHOT_PLAN_META = 'snapshot_plan';

/** An inventory larger than this is refused (a hostile or broken base); ~1 KB a record. */
const MAX_INVENTORY_BYTES = 4 * 1024 * 1024 * 1024;

export interface SnapshotRun {
  readonly loaded: LoadedSpec;
  readonly sink: Sink;
  readonly store: StagingStore;
  readonly custody: CustodyLog;
  readonly now: () => Date;
  readonly stderr: NodeJS.WritableStream;
}

export async function prepareSnapshot(run: SnapshotRun, spec: ResolvedJobSpec): Promise<void> {
  if (snapshotModeOf(spec) !== 'incremental') return;
  const { store } = run;
  if (store.meta(SNAPSHOT_PLAN_META) !== undefined) return;
  const { base, skipped } = await findBaseReporting(run.sink, spec.name);
  for (const s of skipped) {
    // A newer archive that cannot be a base (not a sound bag, no inventory): said, then passed over.
    run.stderr.write(`compliance-export: not a snapshot base: ${s.location}: ${s.reason}\n`);
    await run.custody.append('snapshot_base_skipped', {
      runId: s.runId,
      location: s.location,
      reason: s.reason,
    });
  }
  if (base === null) return full(run, 'no archive of this job at the destination yet');
  const path = join(store.dir, 'base-inventory.jsonl');
  try {
    await copyTagFile(base, INVENTORY_JSONL, path, MAX_INVENTORY_BYTES);
    const problem = await chainProblem(run, spec, base, path);
    if (problem !== null) return await full(run, problem);
    const header = await seedFromInventory(store, readInventory(path), {
      location: base.location,
      overlapMs: spec.consistency.overlap_ms,
      specSha256: run.loaded.sha256,
      name: spec.name,
    });
    if (header === null)
      return await full(run, `the newest archive (${base.ref.runId}) was sealed under another job spec`);
    store.setMeta(SNAPSHOT_PLAN_META, 'delta');
    await run.custody.append('snapshot', {
      type: 'delta',
      previous: header.runId,
      location: base.location,
      baseRecords: header.records,
    });
  } finally {
    await base.close();
    await rm(path, { force: true });
  }
}

async function full(run: SnapshotRun, reason: string): Promise<void> {
  run.store.setMeta(SNAPSHOT_PLAN_META, 'full');
  run.stderr.write(`compliance-export: taking a full snapshot: ${reason}\n`);
  await run.custody.append('snapshot', { type: 'full', reason });
}

/**
 * Whether the chain the base stands on can carry one more snapshot: every archive its inventory
 * points at is listed at the destination and, under Object Lock, retained at least as long as
 * this snapshot will be. Null when it can; else the reason.
 */
async function chainProblem(
  run: SnapshotRun,
  spec: ResolvedJobSpec,
  base: StoredArchive,
  inventoryPath: string,
): Promise<string | null> {
  const holders = new Set<string>();
  for await (const line of readInventory(inventoryPath)) if (line.type === 'record') holders.add(line.heldBy);
  // The delta depends on every archive the base's records are in, and on itself.
  const most = spec.snapshot?.max_chain;
  if (most !== undefined && holders.size + 1 > most)
    return `a delta would depend on ${holders.size + 1} archives, more than snapshot.max_chain (${most})`;
  const listed = new Set(await run.sink.listRuns(spec.name));
  const missing = [...holders].filter((r) => !listed.has(r)).sort();
  if (missing.length > 0)
    return `the base ${base.ref.runId} refers to ${missing.join(', ')}, no longer at the destination`;
  const until = retainUntil(spec, run.now());
  if (until === null) return null;
  for (const runId of [...holders].sort()) {
    const lock = await run.sink.lockOf({ name: spec.name, runId });
    if (lock?.legalHold === true) continue;
    if (lock?.retainUntil == null || Date.parse(lock.retainUntil) < until)
      return (
        `archive ${runId}, which the base refers to, is retained until ${lock?.retainUntil ?? 'no date'}, ` +
        `before this snapshot's ${new Date(until).toISOString()}`
      );
  }
  return null;
}

/** When this snapshot's Object Lock retention will end (ms), or null when it has none. */
function retainUntil(spec: ResolvedJobSpec, now: Date): number | null {
  const lock = spec.destination.object_lock;
  if (lock?.retain_until !== undefined) return Date.parse(lock.retain_until);
  if (lock?.retain_days !== undefined) return now.getTime() + lock.retain_days * 86_400_000;
  return null;
}
