/**
 * Opening a job's staging store: the lock first, then spec binding, crash recovery (torn journal
 * tail) and the index rebuild.
 */
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExportError } from '../errors.js';
import { makeDir, PRIVATE_DIR_MODE, tightenDir, writePrivateFile } from '../local-files.js';
import { scanJournal, type ScanResult, type ScannedLine } from './journal.js';
import { StateLock } from './lock.js';
import { readStateImage } from './state-image.js';
import { StagingStore, STATE_IMAGE } from './staging-store.js';
import type { OpenStoreOptions } from './types.js';

interface StateFile {
  readonly format: 1;
  readonly job: string;
  readonly spec_sha256: string;
  readonly created_at: string;
}

/**
 * Open (or create) the staging store of a job. The folder is created private (0700) and locked
 * before anything in it is read or changed: a second run on the same folder is refused
 * (`state_locked`) without touching the first run's journal, state or temp files.
 *
 * State is bound to the spec (`state.json`) only when the run writes its first journal line, so
 * a run that fails preflight binds nothing. State with journaled work under a different spec is
 * refused (`spec_state_mismatch`, exit 2) unless `force`, which sets the old journal aside and
 * starts a fresh one (blobs are content-addressed and stay shared).
 */
export async function openStore(options: OpenStoreOptions): Promise<StagingStore> {
  const now = options.now ?? (() => new Date());
  const dir = join(options.stateDir, options.jobName);
  await makeDir(dir, PRIVATE_DIR_MODE);
  await tightenDir(dir, PRIVATE_DIR_MODE);
  const lock = await StateLock.take(join(dir, 'lock'), now);
  try {
    return await openLocked(dir, lock, options, now);
  } catch (error) {
    await lock.release().catch(() => undefined);
    throw error;
  }
}

/** Why the state image was not used, when one was found and set aside (internal to opening). */
interface ImageSetAside {
  readonly imageIgnored?: string;
}

async function openLocked(
  dir: string,
  lock: StateLock,
  options: OpenStoreOptions & ImageSetAside,
  now: () => Date,
): Promise<StagingStore> {
  const statePath = join(dir, 'state.json');
  const store = new StagingStore(dir, now);
  try {
    return await openReplayed(store, statePath, lock, options, now);
  } catch (error) {
    store.discard();
    if (!(error instanceof ImageRejected)) throw error;
    // The image's tables or entries did not fit: the whole journal is replayed into a fresh store.
    return openLocked(dir, lock, { ...options, imageIgnored: error.message }, now);
  }
}

class ImageRejected extends Error {}

async function openReplayed(
  store: StagingStore,
  statePath: string,
  lock: StateLock,
  options: OpenStoreOptions & ImageSetAside,
  now: () => Date,
): Promise<StagingStore> {
  const dir = store.dir;
  let state: StateFile | null = null;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as StateFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ExportError('store_corrupt', `${statePath}: unreadable state file`, { cause: error });
    }
  }
  const bound = state !== null && state.spec_sha256 === options.specSha256;
  // A binding with no journaled work (left by a version that bound before preflight) binds nothing.
  if (state !== null && !bound && (await sizeOf(store.journalPath)) > 0) {
    if (options.force !== true) {
      throw new ExportError(
        'spec_state_mismatch',
        `${dir} holds state from a different job spec (sha256 ${state.spec_sha256.slice(0, 12)}…, ` +
          `this spec ${options.specSha256.slice(0, 12)}…); use a different --state-dir, or --force to start over`,
      );
    }
    const stamp = now().toISOString().replace(/[:.]/g, '');
    // The image first: never an image left beside a journal it was not made from.
    await rm(join(dir, STATE_IMAGE), { force: true });
    await rename(store.journalPath, join(dir, `journal.replaced-${stamp}.jsonl`));
  }
  await store.blobs.init();
  const { scan, lines, from } = await replayJournal(store, options.imageIgnored);
  store.tornBytes = scan.tornBytes;
  store.replayedLines = lines;
  store.resumed = lines > 0 || from > 0;
  if (options.newSnapshotAfterShip === true && store.meta('shipped') !== undefined) {
    // The previous snapshot is finished (shipped and verified): its archive is the record.
    store.discard();
    for (const name of FINISHED_SNAPSHOT_FILES) await rm(join(dir, name), { recursive: true, force: true });
    return openLocked(dir, lock, { ...options, newSnapshotAfterShip: false }, now);
  }
  const bind = async (): Promise<void> => {
    const fresh: StateFile = {
      format: 1,
      job: options.jobName,
      spec_sha256: options.specSha256,
      created_at: now().toISOString(),
    };
    // Under the state lock: a temp file a crash left is ours to replace.
    await rm(`${statePath}.tmp`, { force: true });
    await writePrivateFile(statePath, `${statePath}.tmp`, [`${JSON.stringify(fresh, null, 2)}\n`]);
  };
  await store.attach(options, lock, bound ? null : bind, from);
  return store;
}

/**
 * Rebuild the store's state: from the state image and the journal lines after it when the image
 * fits the journal, else from the whole journal. An image found unfit (`imageIgnored`: its tables
 * or entries did not fit, or the lines after it did not replay onto it) is removed, so the next
 * open does not meet it again; the run's close writes a new one.
 */
async function replayJournal(
  store: StagingStore,
  imageIgnored: string | undefined,
): Promise<{ scan: ScanResult; lines: number; from: number }> {
  const imagePath = join(store.dir, STATE_IMAGE);
  // Under the lock, an image's temp file is one a killed run left half written.
  for (const name of await readdir(store.dir)) {
    if (name.startsWith(`.${STATE_IMAGE}.`) && name.endsWith('.partial'))
      await rm(join(store.dir, name), { force: true });
  }
  const image =
    imageIgnored !== undefined
      ? ({ status: 'ignored', cause: imageIgnored } as const)
      : await readStateImage(imagePath, store.journalPath);
  if (image.status === 'ignored') await rm(imagePath, { force: true, recursive: true });
  let from = 0;
  if (image.status === 'used') {
    try {
      store.adoptImage(image.image);
    } catch (error) {
      throw new ImageRejected(error instanceof Error ? error.message : String(error));
    }
    from = image.image.upTo;
  }
  store.image = image.status === 'used' ? { status: 'used', covers: from } : image;
  let lines = 0;
  const onLine = ({ offset, length, value }: ScannedLine): void => {
    lines += 1;
    store.replay(offset, value, length);
  };
  try {
    const scan = await scanJournal(store.journalPath, onLine, { from });
    return { scan, lines, from };
  } catch (error) {
    // The same lines replayed whole either work (the image was wrong) or fail again (the journal is).
    if (from === 0) throw error;
    const cause = error instanceof Error ? error.message : String(error);
    throw new ImageRejected(`the journal lines after it do not replay onto it (${cause})`);
  }
}

/** What a finished snapshot leaves in the job folder that the next one must not resume from. */
const FINISHED_SNAPSHOT_FILES = [
  STATE_IMAGE,
  'journal.jsonl',
  'requests.jsonl',
  'custody.jsonl',
  'shipped.json',
  'reports',
  'review',
  'inventory',
  'delta',
];

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
