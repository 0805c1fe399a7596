/**
 * The read-back and verify steps, and the record that ends a run's finish: the stored bytes read
 * back through the sink (checksums, sidecar, Object Lock), then the bag checked independently, as
 * a recipient would, by `verifyArchive`. A shipped archive is recorded in the journal only when
 * both passed, so a rerun of a finished job does not ship twice and a failed one tries again.
 *
 * This lives with ship, not in src/verify/: it writes the run's custody log and journal, and the
 * verifier must not depend on the writer.
 */
import type { CustodyLog } from '../archive/custody-log.js';
import { ExportError } from '../errors.js';
import type { ReadBackResult, Sink } from '../sink/sink.js';
import type { StagingStore } from '../store/index.js';
import { verifyArchive, type VerifyReport } from '../verify/verify-archive.js';
import { refusal } from './adopt-archive.js';
import {
  putCustodyBeside,
  putSummaryBeside,
  type FinishStep,
  type Landed,
  type ShipRun,
} from './ship-step.js';

export interface VerifyRun {
  readonly store: StagingStore;
  readonly sink: Sink;
  readonly custody: CustodyLog;
  readonly progress: { enter(stage: string): void };
  readonly after: (step: FinishStep) => Promise<void> | void;
  /** A stop (Ctrl-C, SIGTERM) cuts read-back and verify short: the rerun finishes the landed archive. */
  readonly signal?: AbortSignal | undefined;
}

/** What a run reports about its archive (and records in the journal once it is shipped). */
export interface ShippedArchive {
  readonly location: string;
  readonly sidecarLocation: string;
  readonly zipSha256: string;
  readonly zipBytes: number;
  readonly payloadFiles: number;
  readonly readBackOk: boolean;
  readonly verified: boolean;
  /** The archive was found at the destination (left by a killed run) and adopted, not uploaded. */
  readonly adopted: boolean;
  /**
   * A run split into volumes (ship-volumes.ts): every volume, in order. The fields above then
   * name the first volume, with `zipBytes` and `payloadFiles` summed over the set.
   */
  readonly volumes?: readonly ShippedVolume[];
}

/** One volume of a shipped set. */
export interface ShippedVolume {
  readonly location: string;
  readonly sidecarLocation: string;
  readonly zipSha256: string;
  readonly zipBytes: number;
  readonly payloadFiles: number;
  readonly verified: boolean;
  readonly adopted: boolean;
}

/** The archive an earlier run of this job shipped and recorded, if any. */
export function shippedBefore(store: StagingStore): ShippedArchive | null {
  const done = store.meta('shipped');
  if (typeof done !== 'object' || done === null) return null;
  const recorded = done as ShippedArchive;
  return { ...recorded, adopted: recorded.adopted ?? false };
}

/**
 * The finish of a single archive at the destination: its summary beside it, read back, verified,
 * its custody log beside it, recorded as shipped.
 */
export async function finishLanded(run: ShipRun & VerifyRun, landed: Landed): Promise<ShippedArchive> {
  await putSummaryBeside(run, landed);
  const read = await readBack(run, landed);
  const report = await verifyLanded(run, landed, read);
  await putCustodyBeside(run, landed);
  return recordShipped(run, landed, read, report);
}

/** Reads the stored archive back; an adopted archive that fails it is refused. */
export async function readBack(run: VerifyRun, landed: Landed): Promise<ReadBackResult> {
  const { written } = landed;
  run.progress.enter('verify');
  const result = await run.sink.readBack(landed.payload.ref, written, run.signal);
  // What a stop left unread is not a failed read-back: nothing is recorded, the run stops.
  run.signal?.throwIfAborted();
  await run.custody.append('readback', {
    ok: result.ok,
    method: result.method,
    problems: [...result.problems],
  });
  await run.after('readback');
  if (landed.adopted && !result.ok)
    throw refusal(written.location, `read-back: ${result.problems.join('; ')}`);
  return result;
}

/** Independent check of what landed (only when it read back whole): the bag as a recipient would verify it. */
export async function verifyLanded(
  run: VerifyRun,
  landed: Landed,
  read: ReadBackResult,
): Promise<VerifyReport | null> {
  const dest = landed.payload.destination;
  const report = read.ok
    ? await verifyArchive(landed.written.location, {
        ...(dest.region !== undefined ? { region: dest.region } : {}),
        ...(dest.endpoint !== undefined ? { endpoint: dest.endpoint } : {}),
        forcePathStyle: dest.force_path_style,
        ...(run.signal === undefined ? {} : { signal: run.signal }),
      })
    : null;
  run.signal?.throwIfAborted();
  if (report !== null) {
    await run.custody.append('verify', {
      ok: report.ok,
      archiveSha256: report.archiveSha256,
      problems: report.problems.slice(0, 50).map((p) => `${p.code}: ${p.path ?? ''}`),
    });
  }
  await run.after('verify');
  return report;
}

/** Fails the run when read-back or verify did; otherwise records the archive as shipped. */
/** Throws unless the stored bytes read back right and the bag verified (`upload_failed`, `verify_failed`). */
export function assertLanded(landed: Landed, read: ReadBackResult, report: VerifyReport | null): void {
  const { written } = landed;
  if (!read.ok) {
    throw new ExportError(
      'upload_failed',
      `${written.location}: read-back check failed: ${read.problems.join('; ') || 'bytes differ'}`,
      { retryable: true },
    );
  }
  if (report !== null && !report.ok) {
    const first = report.problems[0];
    throw new ExportError(
      'verify_failed',
      `${written.location}${landed.adopted ? ' (adopted)' : ''}: ${report.problems.length} problem(s); first: ${first?.code ?? '?'} ${first?.path ?? ''}`,
    );
  }
}

async function recordShipped(
  run: VerifyRun,
  landed: Landed,
  read: ReadBackResult,
  report: VerifyReport | null,
): Promise<ShippedArchive> {
  const { written } = landed;
  assertLanded(landed, read, report);
  const result: ShippedArchive = {
    location: written.location,
    sidecarLocation: written.sidecarLocation,
    zipSha256: written.sha256,
    zipBytes: written.bytes,
    payloadFiles: landed.payload.fileCount,
    readBackOk: read.ok,
    verified: report?.ok ?? false,
    adopted: landed.adopted,
  };
  run.store.setMeta('shipped', result);
  await run.store.flush();
  return result;
}
