/**
 * Free space on the filesystems a run writes to: the state folder (blobs, journal, ledger, report
 * spool) and a local destination (the archive). `statfs` is asked about the nearest existing
 * folder, so a state folder not created yet is judged by the filesystem it will be created on.
 * The reader is a dependency (`FreeSpaceReader`) so the decisions are tested without filling a
 * real disk, which needs root to mount a small one.
 */
import { stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ExportError } from '../errors.js';

export interface FreeSpace {
  /** Bytes an unprivileged writer may still use (`bavail × bsize`). */
  readonly free: number;
  /** Size of the filesystem in bytes. */
  readonly total: number;
  /** Device id of the folder measured: two paths on one device share their free space. */
  readonly device: number;
}

export type FreeSpaceReader = (path: string) => Promise<FreeSpace>;

/** 1 GiB: what a run keeps free on the state folder's filesystem unless told otherwise (`--min-free`). */
export const DEFAULT_MIN_FREE_BYTES = 1024 ** 3;

/** The real reader: `statfs` and `stat` of the path, or of its nearest existing parent. */
export const statfsFree: FreeSpaceReader = async (path) => {
  let at = resolve(path);
  for (;;) {
    try {
      const [fs, st] = await Promise.all([statfs(at), stat(at)]);
      return { free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize, device: st.dev };
    } catch (error) {
      const parent = dirname(at);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw error;
      at = parent;
    }
  }
};

/** `1536 MiB` style figure for messages (binary units, one decimal under 10). */
/** Binary units, one decimal under 10: `1.5 GiB`, `700 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 || v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/** The `disk_full` error naming the path, what is free and the floor, and what to do. */
export function diskFullError(what: string, path: string, free: number, floor: number): ExportError {
  return new ExportError(
    'disk_full',
    `${what} ${path}: ${formatBytes(free)} free, below the ${formatBytes(floor)} floor; ` +
      'free space (or lower it with --min-free) and run the same command again to resume, ' +
      'or pass --ignore-disk-space',
  );
}
