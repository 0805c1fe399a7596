/**
 * Files this tool leaves on the local machine. The state folder holds every exported chat and a
 * local archive is the same evidence, so both are private by default (folders 0700, files 0600)
 * whatever the umask: the umask only ever narrows a mode, so modes are passed explicitly and
 * folders the tool creates are chmodded to exactly their mode. Temp files carry their owner
 * (host tag, pid and a per-process tag), so a later run can tell a dead writer's leftover from a
 * live one's without guessing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** The folder mode that goes with a file mode: whoever may read a file may enter its folder (0640 → 0750). */
export function dirModeFor(fileMode: number): number {
  return fileMode | ((fileMode & 0o444) >> 2);
}

/** `"0640"` → 0o640 (the spec's `destination.file_mode`; its schema allows only owner-writable, read-only others). */
export function parseFileMode(text: string): number {
  if (!/^0?[0-7]{3}$/u.test(text)) throw new RangeError(`not an octal file mode: ${text}`);
  return Number.parseInt(text, 8);
}

/** A short, stable tag of this host for file names (a hostname may hold characters unfit for one). */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** Tells this process from an earlier one that had the same pid (a restarted container). */
const PROCESS_TAG = randomBytes(4).toString('hex');

/** `<host>-<pid>-<process>`: who wrote a temp file. */
const OWNER_TAG = `${HOST_TAG}-${process.pid}-${PROCESS_TAG}`;

/** A temp file name naming its owner: `.<label>.<owner>-<random>.partial`. */
export function ownedTempName(label: string): string {
  return `.${label}.${OWNER_TAG}-${randomBytes(4).toString('hex')}.partial`;
}

const OWNED_TEMP = /^\.(.+)\.([0-9a-f]{8})-([0-9]+)-([0-9a-f]{8})-[0-9a-f]{8}\.partial$/u;

/**
 * Whether a file named by `ownedTempName` was left by a process that is gone: written on this host
 * by a pid that no longer runs, or by an earlier process with this process's pid. False for a
 * name of another shape, another host's temp (its writer cannot be checked from here), or a live
 * writer's.
 */
export function isDeadOwnersTemp(name: string): boolean {
  const m = OWNED_TEMP.exec(name);
  if (m === null || m[2] !== HOST_TAG) return false;
  const pid = Number(m[3]);
  if (pid === process.pid) return m[4] !== PROCESS_TAG;
  return !processAlive(pid);
}

/** Whether a process with this pid exists on this host (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Create a folder (and missing parents) with exactly `mode`: every folder this call creates is
 * chmodded, since mkdir's mode is cut by the umask. Folders that already exist are left alone.
 */
export async function makeDir(path: string, mode: number): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode });
  if (first === undefined) return;
  for (let dir = path; ; dir = dirname(dir)) {
    await chmod(dir, mode);
    if (dir === first || dirname(dir) === dir) break;
  }
}

/** Set an existing folder's mode when it belongs to this user (a folder an older version made 0755). */
export async function tightenDir(path: string, mode: number): Promise<void> {
  const st = await stat(path);
  if ((st.mode & 0o7777) === mode) return;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return;
  await chmod(path, mode);
}

/** What `readRegularFile` found: the bytes, nothing there, more than the limit, or why it was not read. */
export type RegularFileRead =
  | { readonly bytes: Buffer }
  | { readonly absent: true }
  | { readonly tooLarge: number }
  | { readonly cause: string };

/**
 * A file this tool wrote and reads back as hostile bytes (a shared disk): without following a link
 * or blocking on a FIFO, only a regular file, at most `maxBytes` (a file still growing past them is
 * `tooLarge` too). A file that cannot be read gives its cause, not an error.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<RegularFileRead> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { absent: true };
    return { cause: code === 'ELOOP' ? 'a symbolic link' : `unreadable (${code ?? 'error'})` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { cause: 'not a regular file' };
    if (st.size > maxBytes) return { tooLarge: st.size };
    const bytes = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let got = 0;
    while (got < bytes.byteLength) {
      const { bytesRead } = await fh.read(bytes, got, bytes.byteLength - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got > maxBytes ? { tooLarge: got } : { bytes: bytes.subarray(0, got) };
  } catch (error) {
    return { cause: `unreadable (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Write `parts` to `path` whole or not at all: a private (0600, whatever the umask) temp file
 * `temp` in the same folder, written, fsynced, renamed over `path`, the folder fsynced. A failed
 * write removes the temp file. Returns the bytes written.
 */
export async function writePrivateFile(
  path: string,
  temp: string,
  parts: readonly (string | Uint8Array)[],
): Promise<number> {
  let size = 0;
  try {
    const fh = await open(temp, 'wx', PRIVATE_FILE_MODE);
    try {
      await fh.chmod(PRIVATE_FILE_MODE); // exact, whatever the umask took away
      for (const part of parts) {
        const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
        const { bytesWritten } = await fh.write(bytes);
        if (bytesWritten !== bytes.byteLength)
          throw new Error(`wrote ${bytesWritten} of ${bytes.byteLength} bytes`);
        size += bytes.byteLength;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  return size;
}
