/**
 * What stays of a job's state folder after its archive shipped and verified (`state.retain`):
 *
 * - `all`: everything (blobs included), as before retention existed.
 * - `index`: the content is gone (`blobs/`, `tmp/`, the `reports/` and `review/` spools: the
 *   plaintext copy of every exported item, which is most of the folder); `state.json`, `journal.jsonl`,
 *   `custody.jsonl`, `requests.jsonl` stay. The journal is the index a rerun rebuilds: it knows
 *   every item and its hash (nothing refetched that did not change), its `shipped` meta (a rerun
 *   says "already shipped" and ships nothing twice) and the cut (a later incremental snapshot
 *   starts from it). Removed while the run still holds the lock; the journal is not touched.
 * - `none`: only `shipped.json` (a tombstone: where the archive went, its SHA-256, the cut, the
 *   spec hash) stays, so a rerun of the same spec can still answer "already shipped" instead of
 *   exporting everything again. Done after the run closed its journal, custody log and ledger,
 *   under the folder's lock taken again (a run that grabbed the folder in between keeps it).
 */
import { lstat, readdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../local-files.js';
import { StateLock } from './lock.js';

/** Folders `index` removes: content only, never what a rerun rebuilds its index from. */
const CONTENT_DIRS = ['blobs', 'tmp', 'reports', 'review'];

const TOMBSTONE = 'shipped.json';

export interface Tombstone {
  readonly format: 1;
  readonly job: string;
  readonly spec_sha256: string;
  readonly as_of_cut: string | null;
  readonly archive: unknown;
  readonly removed_at: string;
}

export interface Removed {
  readonly files: number;
  readonly bytes: number;
}

/** `retain: index`: the content folders of a locked store folder; returns what went. */
export async function removeContent(dir: string): Promise<Removed> {
  let files = 0;
  let bytes = 0;
  for (const name of CONTENT_DIRS) {
    const counted = await removeTree(join(dir, name));
    files += counted.files;
    bytes += counted.bytes;
  }
  return { files, bytes };
}

/**
 * `retain: none`: everything in the folder but the tombstone, under the folder's lock taken again.
 * False when another run holds the folder by now (nothing is removed).
 */
export async function removeAllButTombstone(dir: string, tombstone: Tombstone): Promise<boolean> {
  let lock: StateLock;
  try {
    lock = await StateLock.take(join(dir, 'lock'));
  } catch {
    return false;
  }
  try {
    const tmp = join(dir, `${TOMBSTONE}.tmp`);
    await writeFile(tmp, `${JSON.stringify(tombstone, null, 2)}\n`, { mode: PRIVATE_FILE_MODE, flush: true });
    await rename(tmp, join(dir, TOMBSTONE));
    for (const name of await readdir(dir)) {
      if (name === TOMBSTONE || name === 'lock') continue;
      await removeTree(join(dir, name));
    }
  } finally {
    await lock.release();
  }
  return true;
}

/** The tombstone of a job whose state was removed (`retain: none`), or null. */
export async function readTombstone(dir: string): Promise<Tombstone | null> {
  let text: string;
  try {
    text = await readFile(join(dir, TOMBSTONE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const value = JSON.parse(text) as Partial<Tombstone>;
  return value.format === 1 && typeof value.spec_sha256 === 'string' ? (value as Tombstone) : null;
}

/** Files unlinked at once while removing a folder. */
const REMOVE_BATCH = 64;

/**
 * Removes a file or folder tree, counting the files and bytes it held. `fs.rm({ recursive })`
 * starts a promise per entry of every folder at once: 48 MB of heap for 60,000 blobs, and a
 * 100,000-chat run stages several times that. Here one folder's names are held at a time and at
 * most REMOVE_BATCH unlinks are in flight.
 */
async function removeTree(path: string): Promise<Removed> {
  let st;
  try {
    st = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: 0, bytes: 0 };
    throw error;
  }
  if (!st.isDirectory()) {
    await rm(path, { force: true });
    return { files: 1, bytes: st.size };
  }
  let files = 0;
  let bytes = 0;
  const names = await readdir(path);
  for (let i = 0; i < names.length; i += REMOVE_BATCH) {
    const entries = names.slice(i, i + REMOVE_BATCH).map((name) => join(path, name));
    const unlinked = await Promise.all(entries.map(unlinkFile));
    // Folders are walked one at a time, so one folder's names (and one batch) are held at a time.
    for (const [k, r] of unlinked.entries()) {
      const sub = r ?? (await removeTree(entries[k]!));
      files += sub.files;
      bytes += sub.bytes;
    }
  }
  await rmdir(path);
  return { files, bytes };
}

/** Unlinks a file (or link); null when `path` is a folder. A file already gone counts as nothing. */
async function unlinkFile(path: string): Promise<Removed | null> {
  try {
    const st = await lstat(path);
    if (st.isDirectory()) return null;
    await unlink(path);
    return { files: 1, bytes: st.size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: 0, bytes: 0 };
    throw error;
  }
}
