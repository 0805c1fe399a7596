/**
 * Where `materialize` writes: `<out>/<name>-<run-id>-full.zip` and its `.sha256` (sha256sum
 * format), both 0600, never over an existing file.
 */
import { createWriteStream } from 'node:fs';
import { chmod, link, lstat, open, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ExportError } from '../errors.js';
import { ownedTempName, PRIVATE_FILE_MODE } from '../local-files.js';
import { HashStream } from '../sink/hash-stream.js';
import { sidecarText } from '../sink/sink.js';

/** Refused (`destination_exists`) when something is already at `path`. */
export async function refuseExisting(path: string): Promise<void> {
  const found = await lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
  if (found) throw new ExportError('destination_exists', `${path} already exists; nothing was overwritten`);
}

/**
 * The zip streamed to a temp file beside the output, hashed on the way, then linked to its name
 * (a link never replaces an existing file) and its sidecar written exclusively.
 */
export async function writeOutput(
  bag: { stream: NodeJS.ReadableStream; done: Promise<unknown> },
  outPath: string,
  sidecarPath: string,
  zipName: string,
): Promise<{ sha256: string; bytes: number }> {
  const part = join(dirname(outPath), ownedTempName(zipName));
  const hash = new HashStream();
  try {
    await pipeline(bag.stream, hash, createWriteStream(part, { flags: 'wx', mode: PRIVATE_FILE_MODE }));
    await bag.done;
    const fh = await open(part, 'r+');
    try {
      await fh.chmod(PRIVATE_FILE_MODE);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(part, outPath).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EEXIST'
        ? new ExportError(
            'destination_exists',
            `${outPath} appeared while materializing; nothing was overwritten`,
          )
        : error;
    });
  } finally {
    await rm(part, { force: true });
  }
  const { sha256, bytes } = hash.digest();
  await writeFile(sidecarPath, sidecarText(sha256, zipName), { flag: 'wx', mode: PRIVATE_FILE_MODE });
  await chmod(sidecarPath, PRIVATE_FILE_MODE);
  return { sha256, bytes };
}
