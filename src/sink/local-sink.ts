/**
 * Local-directory sink: each file is written to a temp file beside its final name, fsynced, then
 * hard-linked into place (link fails if the name exists, so nothing is ever overwritten, even by
 * a concurrent run; rename would silently replace) and the directory fsynced.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, link, mkdir, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExportError } from '../errors.js';
import { HashStream, type StreamDigest } from './hash-stream.js';
import {
  archiveFileName,
  archiveRelativePath,
  beside,
  parseSidecar,
  sidecarText,
  type ArchiveRef,
  type PreflightCheck,
  type PreflightOptions,
  type ReadBackResult,
  type Sink,
  type WrittenArchive,
} from './sink.js';

export class LocalSink implements Sink {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  locationOf(ref: ArchiveRef): string {
    return join(this.root, archiveRelativePath(ref));
  }

  async preflight(ref: ArchiveRef, options: PreflightOptions = {}): Promise<readonly PreflightCheck[]> {
    const checks: PreflightCheck[] = [];
    const dir = dirname(this.locationOf(ref));
    try {
      await mkdir(dir, { recursive: true });
      checks.push({ check: 'destination', ok: true, detail: dir });
    } catch (error) {
      throw new ExportError(
        'destination_unreachable',
        `cannot create ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error },
      );
    }
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
    const probe = join(dir, `.preflight-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const handle = await open(probe, 'wx');
      await handle.close();
      await unlink(probe);
      checks.push({ check: 'can_write', ok: true, detail: dir });
    } catch (error) {
      throw new ExportError(
        'destination_unreachable',
        `cannot write in ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error },
      );
    }
    return checks;
  }

  async writeArchive(ref: ArchiveRef, body: Readable): Promise<WrittenArchive> {
    const target = this.locationOf(ref);
    await mkdir(dirname(target), { recursive: true });
    if (await exists(target)) {
      body.destroy();
      throw new ExportError(
        'destination_exists',
        `${target} already exists; refusing to overwrite an archive`,
      );
    }
    const hasher = new HashStream();
    await writeAtomically(target, async (temp) => {
      // flush: fsync before close, so the bytes are durable before the link makes them visible.
      await pipeline(body, hasher, createWriteStream(temp, { flags: 'wx', mode: 0o644, flush: true }));
    });
    const digest = hasher.digest();
    const sidecar = `${target}.sha256`;
    await writeAtomically(sidecar, async (temp) => {
      await writeFile(temp, sidecarText(digest.sha256, archiveFileName(ref)), {
        flag: 'wx',
        mode: 0o644,
        flush: true,
      });
    });
    return { location: target, sidecarLocation: sidecar, ...digest };
  }

  async putBeside(
    ref: ArchiveRef,
    fileName: string,
    bytes: Uint8Array | string,
    _contentType: string,
  ): Promise<string> {
    const target = join(this.root, beside(ref, fileName));
    await mkdir(dirname(target), { recursive: true });
    await writeAtomically(target, async (temp) => {
      await writeFile(temp, bytes, { flag: 'wx', mode: 0o644, flush: true });
    });
    return target;
  }

  async readBack(_ref: ArchiveRef, written: WrittenArchive): Promise<ReadBackResult> {
    const hasher = new HashStream();
    await pipeline(createReadStream(written.location), hasher, drain);
    const actual = hasher.digest();
    const problems: string[] = [];
    if (actual.bytes !== written.bytes)
      problems.push(`size: stored ${actual.bytes} bytes, wrote ${written.bytes}`);
    if (actual.sha256 !== written.sha256)
      problems.push(`sha256: stored bytes hash to ${actual.sha256}, wrote ${written.sha256}`);
    const sidecar = parseSidecar(await readFile(written.sidecarLocation, 'utf8'));
    if (sidecar === null || sidecar.sha256 !== written.sha256)
      problems.push(`sidecar ${written.sidecarLocation} does not hold ${written.sha256}`);
    return {
      ok: problems.length === 0,
      method: 'bytes',
      expected: { bytes: written.bytes, sha256: written.sha256, crc32: written.crc32 },
      actual,
      problems,
    };
  }

  async digestStored(ref: ArchiveRef): Promise<WrittenArchive | null> {
    const location = this.locationOf(ref);
    const digest = await localDigest(location);
    return digest === null ? null : { location, sidecarLocation: `${location}.sha256`, ...digest };
  }
}

async function localDigest(path: string): Promise<StreamDigest | null> {
  if (!(await exists(path))) return null;
  const hasher = new HashStream();
  await pipeline(createReadStream(path), hasher, drain);
  return hasher.digest();
}

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** temp file (exclusive, fsynced by the writer) → link into place (EEXIST = refuse) → unlink temp → fsync dir. */
async function writeAtomically(target: string, write: (temp: string) => Promise<void>): Promise<void> {
  const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.partial`);
  try {
    await write(temp);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
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
