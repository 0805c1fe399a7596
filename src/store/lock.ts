/** One run per state folder: a lock file naming the holder's pid and host; a dead holder's lock is taken over. */
import { open, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ExportError } from '../errors.js';

/** One run per state folder: a second concurrent run would interleave journal batches. */
export async function takeLock(path: string): Promise<void> {
  try {
    const fh = await open(path, 'wx');
    await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }));
    await fh.close();
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let holder: { pid?: number; host?: string } = {};
  try {
    holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
  } catch {
    // unreadable lock: a crash while writing it; take it over
  }
  if (holder.pid !== undefined && holder.host === hostname() && holder.pid !== process.pid) {
    let alive = true;
    try {
      process.kill(holder.pid, 0);
    } catch {
      alive = false;
    }
    if (alive) {
      throw new ExportError('usage', `another run (pid ${holder.pid}) is using this state folder: ${path}`);
    }
  }
  await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname() }));
}
