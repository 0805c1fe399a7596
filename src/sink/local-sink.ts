/**
 * Local-directory sink: each file is written to a temp file beside its final name, fsynced, then
 * hard-linked into place (link fails if the name exists, so nothing is ever overwritten, even by
 * a concurrent run; rename would silently replace) and the directory fsynced.
 *
 * The archive is private evidence: files are 0600 and the folders this sink creates 0700, exactly,
 * whatever the umask, unless `fileMode` widens them for a shared drop folder (folders get the
 * matching x bits). Temp files name their owner (host, pid), so a later run's preflight removes
 * the ones a killed run left (never a live writer's) and the empty run folders of earlier runs.
 */
import { constants, createWriteStream } from 'node:fs';
import type { Dirent } from 'node:fs';
import { access, link, lstat, open, readdir, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExportError } from '../errors.js';
import type { BagSource } from '../verify/bag-source.js';
import { openLocalZip } from '../verify/zip-source.js';
import {
  dirModeFor,
  isDeadOwnersTemp,
  makeDir,
  ownedTempName,
  PRIVATE_FILE_MODE,
  readRegularFile,
  tightenDir,
} from '../local-files.js';
import { digestFile, HashStream, type StreamDigest } from './hash-stream.js';
import {
  archiveFileName,
  archiveRelativePath,
  beside,
  isJobName,
  isRunId,
  parseSidecar,
  sidecarText,
  type ArchiveRef,
  type PreflightCheck,
  type PreflightOptions,
  type ReadBackResult,
  type Sink,
  type WrittenArchive,
} from './sink.js';

export interface LocalSinkOptions {
  /** Mode of every file written (archive, sidecar, beside files); default 0600. */
  readonly fileMode?: number;
}

export class LocalSink implements Sink {
  readonly root: string;
  readonly #fileMode: number;
  readonly #dirMode: number;

  constructor(root: string, options: LocalSinkOptions = {}) {
    this.root = resolve(root);
    this.#fileMode = options.fileMode ?? PRIVATE_FILE_MODE;
    this.#dirMode = dirModeFor(this.#fileMode);
  }

  /**
   * Create the destination folder if it is missing, with the archive's folder mode (a folder
   * that exists is the operator's and keeps its mode).
   */
  async createRoot(): Promise<void> {
    try {
      await makeDir(this.root, this.#dirMode);
    } catch (error) {
      throw unreachable(`cannot create ${this.root}`, error);
    }
  }

  locationOf(ref: ArchiveRef): string {
    return join(this.root, archiveRelativePath(ref));
  }

  async inspect(): Promise<readonly PreflightCheck[]> {
    // Walk up to the nearest folder that exists: preflight would create the rest.
    let dir = this.root;
    for (;;) {
      let isDirectory: boolean;
      try {
        isDirectory = (await stat(dir)).isDirectory();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir)
          throw unreachable(`cannot read ${dir}`, error);
        dir = dirname(dir);
        continue;
      }
      if (!isDirectory) throw new ExportError('destination_unreachable', `${dir} is not a directory`);
      break;
    }
    try {
      await access(dir, constants.W_OK);
    } catch (error) {
      throw unreachable(`${dir} is not writable`, error);
    }
    const detail =
      dir === this.root ? `${dir} is writable` : `${dir} is writable (${this.root} would be created)`;
    return [{ check: 'destination', ok: true, detail }];
  }

  async preflight(ref: ArchiveRef, options: PreflightOptions = {}): Promise<readonly PreflightCheck[]> {
    const checks: PreflightCheck[] = [];
    const dir = dirname(this.locationOf(ref));
    try {
      await makeDir(dir, this.#dirMode);
      await tightenDir(dir, this.#dirMode);
      checks.push({ check: 'destination', ok: true, detail: dir });
    } catch (error) {
      throw unreachable(`cannot create ${dir}`, error);
    }
    await this.#removeLeftovers(ref);
    if (await exists(this.locationOf(ref))) {
      if (options.allowExisting !== true) {
        throw new ExportError(
          'destination_exists',
          `${this.locationOf(ref)} already exists; refusing to overwrite an archive`,
        );
      }
      checks.push({
        check: 'not_exists',
        ok: false,
        detail: `${this.locationOf(ref)} exists (left by the interrupted run; adopted only if it matches)`,
      });
    } else checks.push({ check: 'not_exists', ok: true, detail: this.locationOf(ref) });
    try {
      await unlink(await this.#createTemp(dir, 'preflight'));
      checks.push({ check: 'can_write', ok: true, detail: dir });
    } catch (error) {
      throw unreachable(`cannot write in ${dir}`, error);
    }
    return checks;
  }

  /**
   * Temp files of this job's run folders whose writer is dead (a run killed while shipping), then
   * the run folders of earlier runs left empty. A live writer's temp is never touched, and rmdir
   * refuses a folder that holds anything.
   */
  async #removeLeftovers(ref: ArchiveRef): Promise<void> {
    const jobDir = join(this.root, ref.name);
    let runs: Dirent[];
    try {
      runs = await readdir(jobDir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const run of runs) {
      if (!run.isDirectory() || !isRunId(run.name)) continue;
      const folder = join(jobDir, run.name);
      for (const name of await readdir(folder).catch(() => [] as string[])) {
        if (isDeadOwnersTemp(name)) await unlink(join(folder, name)).catch(() => undefined);
      }
      if (run.name !== ref.runId) await rmdir(folder).catch(() => undefined);
    }
  }

  async writeArchive(ref: ArchiveRef, body: Readable): Promise<WrittenArchive> {
    const target = this.locationOf(ref);
    const hasher = new HashStream();
    try {
      await makeDir(dirname(target), this.#dirMode);
      if (await exists(target)) {
        throw new ExportError(
          'destination_exists',
          `${target} already exists; refusing to overwrite an archive`,
        );
      }
      await this.#writeAtomically(target, async (temp) => {
        await pipeline(body, hasher, createWriteStream(temp, { flags: 'r+' }));
      });
    } catch (error) {
      body.destroy();
      throw error;
    }
    const digest = hasher.digest();
    const sidecar = `${target}.sha256`;
    await this.#writeAtomically(sidecar, (temp) =>
      writeFile(temp, sidecarText(digest.sha256, archiveFileName(ref)), { flag: 'r+' }),
    );
    return { location: target, sidecarLocation: sidecar, ...digest };
  }

  async putBeside(
    ref: ArchiveRef,
    fileName: string,
    bytes: Uint8Array | string,
    _contentType: string,
  ): Promise<string> {
    const target = join(this.root, beside(ref, fileName));
    await makeDir(dirname(target), this.#dirMode);
    await this.#writeAtomically(target, (temp) => writeFile(temp, bytes, { flag: 'r+' }));
    return target;
  }

  async readBack(_ref: ArchiveRef, written: WrittenArchive, signal?: AbortSignal): Promise<ReadBackResult> {
    let actual;
    try {
      actual = await digestFile(written.location, signal);
    } catch (error) {
      signal?.throwIfAborted(); // a stop, not a failed read-back
      throw new ExportError(
        'destination_unreachable',
        `read-back of ${written.location}: ${message(error)}`,
        {
          cause: error,
        },
      );
    }
    const problems: string[] = [];
    if (actual.bytes !== written.bytes)
      problems.push(`size: stored ${actual.bytes} bytes, wrote ${written.bytes}`);
    if (actual.sha256 !== written.sha256)
      problems.push(`sha256: stored bytes hash to ${actual.sha256}, wrote ${written.sha256}`);
    // Missing, a link, a FIFO or huge: a read-back problem saying which, never a wait.
    const read = await readRegularFile(written.sidecarLocation, MAX_SIDECAR_BYTES);
    if (!('bytes' in read)) {
      const why =
        'absent' in read
          ? 'is missing'
          : 'tooLarge' in read
            ? `is ${read.tooLarge} bytes`
            : `is ${read.cause}`;
      problems.push(`sidecar ${written.sidecarLocation} ${why}`);
    } else if (parseSidecar(read.bytes.toString('utf8'))?.sha256 !== written.sha256)
      problems.push(`sidecar ${written.sidecarLocation} does not hold ${written.sha256}`);
    return {
      ok: problems.length === 0,
      method: 'bytes',
      expected: { bytes: written.bytes, sha256: written.sha256, crc32: written.crc32 },
      actual,
      problems,
    };
  }

  async digestStored(ref: ArchiveRef, signal?: AbortSignal): Promise<WrittenArchive | null> {
    const location = this.locationOf(ref);
    const digest = await localDigest(location, signal);
    return digest === null ? null : { location, sidecarLocation: `${location}.sha256`, ...digest };
  }

  /**
   * Create an empty temp file in `dir` naming its owner; `dir` is made again if a concurrent
   * run's preflight just removed it as an empty run folder.
   */
  async #createTemp(dir: string, label: string): Promise<string> {
    for (let attempt = 0; ; attempt += 1) {
      const path = join(dir, ownedTempName(label));
      try {
        await (await open(path, 'wx', this.#fileMode)).close();
        return path;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 2) throw error;
        await makeDir(dir, this.#dirMode);
      }
    }
  }

  /**
   * Temp file (created empty, exclusive; filled by `write`, which opens it `r+`; set to the file
   * mode and fsynced) → link into place (EEXIST = refuse) → unlink temp → fsync dir.
   */
  async #writeAtomically(target: string, write: (temp: string) => Promise<void>): Promise<void> {
    let temp: string | null = null;
    try {
      temp = await this.#createTemp(dirname(target), basename(target));
      await write(temp);
      const handle = await open(temp, 'r+');
      try {
        await handle.chmod(this.#fileMode); // exact, whatever the umask took off at creation
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (temp !== null) await unlink(temp).catch(() => undefined);
      if (error instanceof ExportError) throw error;
      throw new ExportError('upload_failed', `writing ${target}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      await link(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ExportError('destination_exists', `${target} already exists; refusing to overwrite`);
      }
      throw new ExportError('upload_failed', `placing ${target}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await unlink(temp);
    const dir = await open(dirname(target), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * Run folders of job `name` holding both the zip and its sidecar as regular files (a symlink
   * is not something this sink stored), oldest first. No job folder yet → [].
   */
  async listRuns(name: string): Promise<string[]> {
    const jobDir = join(this.root, checkedName(name));
    let entries: Dirent[];
    try {
      entries = await readdir(jobDir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw unreachable(`cannot list ${jobDir}`, error);
    }
    const runs: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !isRunId(entry.name)) continue;
      const zip = this.locationOf({ name, runId: entry.name });
      if ((await isRegularFile(zip)) && (await isRegularFile(`${zip}.sha256`))) runs.push(entry.name);
    }
    return runs.sort();
  }

  async openStored(ref: ArchiveRef): Promise<BagSource | null> {
    checkedName(ref.name);
    if (!isRunId(ref.runId)) return null;
    const location = this.locationOf(ref);
    let info;
    try {
      info = await lstat(location);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw unreachable(`cannot read ${location}`, error);
    }
    if (!info.isFile()) throw new ExportError('destination_unreachable', `${location} is not a regular file`);
    try {
      return await openLocalZip(location);
    } catch (error) {
      throw unreachable(`cannot open ${location}`, error);
    }
  }

  /** A folder has no Object Lock. */
  lockOf(_ref: ArchiveRef): Promise<{ retainUntil: string | null; legalHold: boolean } | null> {
    return Promise.resolve(null);
  }
}

/** A file at an archive's location hashed; a link or anything but a file there is refused. */
async function localDigest(path: string, signal?: AbortSignal): Promise<StreamDigest | null> {
  if (!(await exists(path))) return null;
  try {
    return await digestFile(path, signal);
  } catch (error) {
    signal?.throwIfAborted();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null; // gone since it was seen
    throw new ExportError(
      'destination_exists',
      `${path} is there but cannot be read as an archive (${message(error)}); refusing to overwrite it`,
      { cause: error },
    );
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A sidecar is one line: the hash, two spaces, the zip's name. */
const MAX_SIDECAR_BYTES = 64 * 1024;

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    return false;
  }
}

/** The job folder's name: a name that could leave the destination root is refused. */
function checkedName(name: string): string {
  if (!isJobName(name)) throw new ExportError('usage', `job name ${JSON.stringify(name)} is not a safe slug`);
  return name;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function unreachable(what: string, error: unknown): ExportError {
  return new ExportError(
    'destination_unreachable',
    `${what}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    { cause: error },
  );
}
