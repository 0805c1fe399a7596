/**
 * One run per state folder. The lock is a file naming its holder (pid, host, a random token).
 *
 * - Taking it: the holder's record is written to a temp file first and hard-linked to the lock
 *   name, so the lock appears whole or not at all (link fails with EEXIST when it exists; a
 *   half-written lock would look like a crashed holder's to a second process).
 * - A lock whose holder is alive (same host, the pid runs), or that was taken on another host
 *   (whose processes cannot be checked from here), is refused with `state_locked`.
 * - A dead holder's lock is taken over. Only the process that creates the takeover marker named
 *   after the stale lock's bytes (`lock.takeover-<hash>`) may remove it, and it does so only if
 *   the lock still holds those bytes; tokens are never reused, so once the stale lock is gone no
 *   marker can remove anything else. Two processes that both judge the lock stale therefore
 *   cannot both remove it and both link their own: one links, the other finds it held.
 *   A marker left by a process killed mid-takeover is itself stale and taken over the same way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ExportError } from '../errors.js';
import { HOST_TAG, PRIVATE_FILE_MODE, processAlive } from '../local-files.js';

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

/** Tokens of the locks this process holds or is taking (a lock with our pid and another token is a dead predecessor's). */
const OURS = new Set<string>();

const ATTEMPTS = 40;

export class StateLock {
  readonly path: string;
  readonly #raw: string;
  readonly #token: string;
  #released = false;

  private constructor(path: string, raw: string, token: string) {
    this.path = path;
    this.#raw = raw;
    this.#token = token;
  }

  /** Take the lock at `path` or throw `state_locked` naming the holder. */
  static async take(path: string, now: () => Date = () => new Date()): Promise<StateLock> {
    const token = randomBytes(12).toString('hex');
    const raw = JSON.stringify({ pid: process.pid, host: hostname(), token, since: now().toISOString() });
    const temp = `${path}.${HOST_TAG}-${process.pid}-${token}.tmp`;
    OURS.add(token);
    try {
      await writeFile(temp, raw, { flag: 'wx', mode: PRIVATE_FILE_MODE, flush: true });
      for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
        if (await linkOrExists(temp, path)) {
          await sweepLeftovers(path, raw);
          return new StateLock(path, raw, token);
        }
        const found = await readLock(path);
        if (found === null) continue; // released (or taken over) since: try again
        refuseIfHeld(path, found);
        if (!(await removeStale(path, found.raw, temp, 0))) await delay(5 + attempt * 5);
      }
      const why = 'other runs kept taking it over';
      throw new ExportError('state_locked', `${path}: could not take the lock (${why})`, { retryable: true });
    } catch (error) {
      OURS.delete(token);
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Remove the lock, if it is still ours. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      if ((await readFile(this.path, 'utf8')) === this.#raw) await unlink(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    } finally {
      OURS.delete(this.#token);
    }
  }
}

/** link(temp, path): true when it was made, false when `path` exists. */
async function linkOrExists(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readLock(path: string): Promise<{ raw: string; holder: Holder | null } | null> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { raw, holder: parseHolder(raw) };
}

function parseHolder(raw: string): Holder | null {
  try {
    const v = JSON.parse(raw) as Partial<Holder> | null;
    if (typeof v?.pid !== 'number' || typeof v.host !== 'string') return null;
    return { pid: v.pid, host: v.host, token: typeof v.token === 'string' ? v.token : '' };
  } catch {
    return null; // not a lock this tool wrote whole: nobody can be holding it
  }
}

/** Whether the holder may still be running: another host's, or a live process on this one. */
function isHeld(holder: Holder | null): boolean {
  if (holder === null) return false;
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return OURS.has(holder.token);
  return processAlive(holder.pid);
}

function refuseIfHeld(path: string, found: { holder: Holder | null }): void {
  const h = found.holder;
  if (h === null || !isHeld(h)) return;
  throw new ExportError(
    'state_locked',
    `${path}: the state folder is in use by another run (pid ${h.pid} on host ${h.host}); ` +
      'wait for it to finish or use another --state-dir' +
      (h.host === hostname()
        ? ''
        : ` (a run on another host cannot be checked from here: if it is gone, delete ${path})`),
    { retryable: true },
  );
}

/**
 * Remove the stale lock whose bytes are `raw`, through its takeover marker. Returns false when
 * another live process is taking it over (the caller waits and looks again).
 */
async function removeStale(path: string, raw: string, temp: string, depth: number): Promise<boolean> {
  const marker = `${path}.takeover-${createHash('sha256').update(raw).digest('hex').slice(0, 24)}`;
  if (await linkOrExists(temp, marker)) {
    try {
      // Nobody else can remove these bytes while we hold the marker; check they are still there.
      if ((await readLock(path))?.raw === raw) await unlink(path);
    } finally {
      await unlink(marker).catch(() => undefined);
    }
    return true;
  }
  const owner = await readLock(marker);
  if (owner === null) return true; // the other taker finished: look again
  if (isHeld(owner.holder)) return false;
  if (depth >= ATTEMPTS) return false;
  // Its taker died mid-takeover: take over the marker the same way, then the lock again.
  await removeStale(marker, owner.raw, temp, depth + 1);
  return true;
}

/** Temp files and takeover markers left by processes killed mid-take (they hold a pid and host only). */
async function sweepLeftovers(path: string, raw: string): Promise<void> {
  const base = basename(path);
  const ours = `${base}.takeover-${createHash('sha256').update(raw).digest('hex').slice(0, 24)}`;
  const tempRe = new RegExp(`^${base}\\.${HOST_TAG}-([0-9]+)-([0-9a-f]+)\\.tmp$`, 'u');
  for (const name of await readdir(dirname(path)).catch(() => [] as string[])) {
    const temp = tempRe.exec(name);
    const pid = Number(temp?.[1]);
    const stale =
      (temp !== null && (pid === process.pid ? !OURS.has(temp[2]!) : !processAlive(pid))) ||
      (name.startsWith(`${base}.takeover-`) && name !== ours);
    if (stale) await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}
