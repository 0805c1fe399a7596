/**
 * The ship step: the sealed zip streamed straight into the sink (never buffered or written twice)
 * after a shipping intent is durable, or, when a run killed while shipping left this run's
 * archive at the destination, that archive adopted instead (adopt-archive.ts). The summary and
 * custody log go beside the zip. Every step is in the hash-chained custody log.
 *
 * Once the zip is at the destination the store records it as landed (meta `landed`). A run stopped
 * after that (in read-back or verify, which take minutes at 100,000 chats) finishes that archive
 * on rerun without collecting or staging again (`landedBefore`): its evidence is fixed.
 */
import { readFile } from 'node:fs/promises';
import type { CustodyLog } from '../archive/custody-log.js';
import { ExportError } from '../errors.js';
import { archiveRefOf } from '../preflight/preflight-step.js';
import type { SealedArchive, StagedPayload } from '../seal/seal-step.js';
import { shipArchive } from '../sink/ship-archive.js';
import type { ArchiveRef, Sink, WrittenArchive } from '../sink/sink.js';
import type { ResolvedJobSpec } from '../spec/index.js';
import type { StagingStore } from '../store/index.js';
import {
  adoptArchive,
  putBesideIfAbsent,
  shippingIntentOf,
  type Adopted,
  type ShippingIntent,
} from './adopt-archive.js';

/** The finish steps after which a test may simulate a kill (`afterFinishStep`). */
export type FinishStep = 'intent' | 'upload' | 'summary' | 'readback' | 'verify' | 'custody';

export interface ShipRun {
  readonly store: StagingStore;
  readonly sink: Sink;
  readonly custody: CustodyLog;
  readonly progress: { enter(stage: string): void };
  readonly now: () => Date;
  /** Called after each finish step has completed (tests simulate a kill by throwing). */
  readonly after: (step: FinishStep) => Promise<void> | void;
  /** A stop (Ctrl-C, SIGTERM) while an archive left at the destination is read for adoption. */
  readonly signal?: AbortSignal | undefined;
}

/** What the finish needs of the payload that landed: where it went and how many files it holds. */
export interface LandedPayload {
  readonly ref: ArchiveRef;
  readonly destination: ResolvedJobSpec['destination'];
  readonly fileCount: number;
}

export function landedPayloadOf(payload: StagedPayload, ref: ArchiveRef = payload.ref): LandedPayload {
  return { ref, destination: payload.spec.destination, fileCount: payload.bag.fileCount };
}

/** Store meta: the single archive now at the destination, before it is read back and verified. */
const LANDED_META = 'landed';

interface LandedRecord {
  readonly runId: string;
  readonly manifestSha256: string;
  readonly fileCount: number;
  /** The zip's bytes as written (or adopted): the rerun refuses anything else at the location. */
  readonly sha256: string;
  readonly bytes: number;
}

function landedRecordOf(value: unknown): LandedRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<LandedRecord>;
  return typeof v.runId === 'string' &&
    typeof v.manifestSha256 === 'string' &&
    typeof v.fileCount === 'number' &&
    typeof v.sha256 === 'string' &&
    typeof v.bytes === 'number'
    ? (v as LandedRecord)
    : null;
}

/** The archive at the destination: uploaded by this run, or adopted from a killed one. */
export interface Landed {
  readonly payload: LandedPayload;
  readonly written: WrittenArchive;
  readonly adopted: boolean;
  /** What goes beside the zip as `summary.json`; null when an adopted zip seals none. */
  readonly summary: string | Buffer | null;
}

/**
 * Killed after (part of) the upload last time: adopt what is there if it is this run's evidence,
 * refuse it (`destination_exists`) if it is not; null when there is nothing to adopt.
 */
export async function adoptLeftover(run: ShipRun, payload: StagedPayload): Promise<Landed | null> {
  const intent = shippingIntentOf(run.store.meta('shipping'));
  if (intent === null || intent.runId !== payload.ref.runId) return null;
  const { sink, custody } = run;
  const dest = payload.spec.destination;
  const adopted = await adoptArchive({
    sink,
    ref: payload.ref,
    intent,
    manifestSha256: payload.manifestSha256,
    dest,
    custody,
    signal: run.signal,
  });
  if (adopted === null) return null;
  run.progress.enter('ship');
  await run.after('upload');
  await recordLanded(run.store, payload, adopted.written);
  return adoptedLanded(landedPayloadOf(payload), adopted);
}

/** An archive adopted at the destination, as the finish takes it: the summary is the one it seals. */
export function adoptedLanded(payload: LandedPayload, adopted: Adopted): Landed {
  return { payload, written: adopted.written, adopted: true, summary: adopted.sealedSummary };
}

/**
 * A run stopped (or killed) after this cut's archive landed: that archive, adopted as it is when
 * its bytes and payload manifest are the ones recorded as landed (else `destination_exists`, as
 * for any archive that is not this run's evidence); null when none landed, when a later intent
 * (a run that staged again after the archive was moved aside) is not the one that landed, or when
 * the archive is gone from the destination (the run then collects, stages and ships as usual).
 */
export async function landedBefore(
  run: ShipRun,
  scope: { spec: ResolvedJobSpec; cut: string },
): Promise<Landed | null> {
  const { store } = run;
  if (store.meta('shipped') !== undefined) return null;
  const record = landedRecordOf(store.meta(LANDED_META));
  const intent = shippingIntentOf(store.meta('shipping'));
  const ref = archiveRefOf(scope.spec, scope.cut);
  if (
    record === null ||
    intent === null ||
    record.runId !== ref.runId ||
    intent.runId !== ref.runId ||
    intent.manifestSha256 !== record.manifestSha256
  )
    return null;
  const adopted = await adoptArchive({
    sink: run.sink,
    ref,
    intent,
    manifestSha256: record.manifestSha256,
    dest: scope.spec.destination,
    custody: run.custody,
    landed: { sha256: record.sha256, bytes: record.bytes },
    signal: run.signal,
  });
  if (adopted === null) return null;
  run.progress.enter('ship');
  await run.after('upload');
  return adoptedLanded({ ref, destination: scope.spec.destination, fileCount: record.fileCount }, adopted);
}

async function recordLanded(
  store: StagingStore,
  payload: StagedPayload,
  written: WrittenArchive,
): Promise<void> {
  const record: LandedRecord = {
    runId: payload.ref.runId,
    manifestSha256: payload.manifestSha256,
    fileCount: payload.bag.fileCount,
    sha256: written.sha256,
    bytes: written.bytes,
  };
  store.setMeta(LANDED_META, record);
  await store.flush();
}

/** Records the shipping intent, then streams the sealed zip into the sink. */
export async function ship(run: ShipRun, payload: StagedPayload, sealed: SealedArchive): Promise<Landed> {
  const { store, sink } = run;
  const { ref, manifestSha256 } = payload;
  // Durable before the first byte goes out: a rerun after a kill must know whose archive it finds.
  const intent: ShippingIntent = {
    runId: ref.runId,
    location: sink.locationOf(ref),
    manifestSha256,
    at: run.now().toISOString(),
  };
  store.setMeta('shipping', intent);
  // A record of an earlier archive (moved aside since) belongs to no archive this intent ships.
  store.setMeta(LANDED_META, null);
  await store.flush();
  await run.after('intent');
  const shipped = await shipArchive(sink, ref, sealed.bag);
  if (shipped.seal.manifestSha256 !== manifestSha256) {
    throw new ExportError(
      'internal',
      `${shipped.written.location}: sealed payload manifest ${shipped.seal.manifestSha256} differs from the one computed before sealing (${manifestSha256})`,
    );
  }
  const { written } = shipped;
  await run.custody.append('upload', {
    location: written.location,
    bytes: written.bytes,
    sha256: written.sha256,
    crc32: written.crc32,
    manifestSha256: shipped.seal.manifestSha256,
  });
  await run.after('upload');
  await recordLanded(store, payload, written);
  return { payload: landedPayloadOf(payload), written, adopted: false, summary: sealed.summary };
}

export async function putSummaryBeside(run: ShipRun, landed: Landed): Promise<void> {
  if (landed.summary !== null)
    await putBeside(run, landed, 'summary.json', landed.summary, 'application/json');
  await run.after('summary');
}

/** The custody log so far (read-back and verify included) beside the zip. */
export async function putCustodyBeside(run: ShipRun, landed: Landed): Promise<void> {
  const log = await readFile(run.custody.path);
  await putBeside(run, landed, 'custody.jsonl', log, 'application/x-ndjson');
  await run.after('custody');
}

/** After adoption a beside file may already be there from the killed run: keep it (never overwrite). */
async function putBeside(
  run: ShipRun,
  landed: Landed,
  fileName: string,
  bytes: Uint8Array | string,
  type: string,
): Promise<void> {
  const { ref } = landed.payload;
  if (landed.adopted) await putBesideIfAbsent(run.sink, ref, fileName, bytes, type);
  else await run.sink.putBeside(ref, fileName, bytes, type);
}
