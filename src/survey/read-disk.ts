/**
 * What `plan` reads of the disks, writing nothing: the free space of the state folder's
 * filesystem and of a local destination's (the run's own reader, src/disk/free-space.ts, so plan
 * and run measure the same way and the same nearest existing folder), and the bytes the job's
 * state folder already holds when a run would resume it. A reading that fails is kept as an
 * error on that reading: the plan is still made, only that check is left open.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FreeSpaceReader } from '../disk/free-space.js';
import type { DiskReading, DiskSurvey, StateInfo } from '../plan/types.js';
import { parseDestination } from '../sink/create-sink.js';

export interface ReadDiskInput {
  readonly read: FreeSpaceReader;
  /** The state root (`--state-dir` or the spec's `state_dir`): what the run's disk guard measures. */
  readonly stateRoot: string;
  readonly state: StateInfo;
  /** `destination.uri`. */
  readonly destinationUri: string;
}

async function reading(read: FreeSpaceReader, path: string): Promise<DiskReading> {
  try {
    const space = await read(path);
    return { path, free: space.free, total: space.total, device: space.device };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { path, free: null, total: null, device: null, error: `statfs ${path}: ${code}` };
  }
}

/** Bytes of the regular files under a folder (links not followed); 0 when it does not exist. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(path);
    else if (e.isFile()) total += (await lstat(path)).size;
  }
  return total;
}

export async function readDisk(input: ReadDiskInput): Promise<DiskSurvey> {
  const target = parseDestination(input.destinationUri);
  const [state, destination] = await Promise.all([
    reading(input.read, resolve(input.stateRoot)),
    target.kind === 'local' ? reading(input.read, resolve(target.path)) : Promise.resolve(null),
  ]);
  // Only state a run would resume counts as staged: other state is refused or started over.
  const alreadyStaged = input.state.status === 'same_spec' ? await folderBytes(input.state.dir) : 0;
  return { state, destination, alreadyStaged };
}
