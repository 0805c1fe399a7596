/**
 * The payload list sorted on disk, so memory stays flat however many files a bag holds (180,000
 * at 100,000 chats): an external merge sort into one private file, one JSON line per file
 * (`[path, size, sha256, md5]`), in byte order of path (byte-order.ts), read back line by line as
 * often as the seal needs it.
 *
 * Files are checked as they arrive (payload-list.ts), taken in runs of at most `runSize`, each
 * sorted in memory and spilled to a run file; the runs are merged (at most `fanIn` at a time, in
 * rounds beyond that) into the final file, which refuses a path met twice and computes the
 * payload manifest's SHA-256 on the way. Every file is created 0600 whatever the umask; run files
 * are removed as soon as they are merged, the final file by `dispose()` (and, after a crash, by
 * whoever clears the folder the temp paths are in: the state folder's `tmp/` on the next open).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { PayloadFile, SortedPayloadFiles } from './bag-input.js';
import { manifestLine } from './bag-text.js';
import { byteOrder } from './byte-order.js';
import { readLines, sortExternally, writeLines, type LineShape } from './external-sort.js';
import { checkNext, checkPayloadFile } from './payload-list.js';

export interface SortedPayload extends SortedPayloadFiles {
  /** SHA-256 of the `manifest-sha256.txt` a bag of exactly these files holds. */
  readonly manifestSha256: string;
  /** Removes the sorted file; `files()` cannot be read after it. */
  dispose(): Promise<void>;
}

export interface SortPayloadOptions {
  /** A fresh path in a private folder the caller owns and clears after a crash (the store's `tempPath`). */
  readonly tempPath: () => string;
  /** A payload file's bytes by its SHA-256 and recorded size: every payload file is a content-addressed blob. */
  readonly open: (sha256: string, size: number) => Readable;
  /** Files sorted in memory per run file (tests use a handful to merge several runs). */
  readonly runSize?: number;
  /** Run files merged at once; more are merged in rounds first. */
  readonly fanIn?: number;
}

/** One line of a run or of the sorted file. */
type Line = readonly [path: string, size: number, sha256: string, md5: string];

/** Sorts `source` into a private file; checks every file and refuses a path given twice (`archive_error`). */
export async function sortPayload(
  source: AsyncIterable<PayloadFile>,
  options: SortPayloadOptions,
): Promise<SortedPayload> {
  const runs = await sortExternally(checkedFiles(source), {
    ...LINE,
    tempPath: options.tempPath,
    compare: (a, b) => byteOrder(a[0], b[0]),
    ...(options.runSize === undefined ? {} : { runSize: options.runSize }),
    ...(options.fanIn === undefined ? {} : { fanIn: options.fanIn }),
  });
  let sorted: string | null = null;
  try {
    sorted = options.tempPath();
    const totals = { fileCount: 0, totalBytes: 0 };
    const hash = createHash('sha256');
    const values = runs.values();
    async function* checked(): AsyncGenerator<string> {
      let previous: string | null = null;
      for await (const line of values) {
        const [path, size, sha256] = line;
        checkNext(previous, path);
        previous = path;
        totals.fileCount += 1;
        totals.totalBytes += size;
        hash.update(manifestLine(sha256, `data/${path}`));
        yield `${JSON.stringify(line)}\n`;
      }
    }
    await writeLines(sorted, checked());
    const path = sorted;
    return {
      ...totals,
      manifestSha256: hash.digest('hex'),
      files: async function* () {
        for await (const [p, size, sha256, md5] of readLines(path, LINE)) {
          yield { path: p, size, sha256, md5, open: () => options.open(sha256, size) };
        }
      },
      dispose: () => rm(path, { force: true }),
    };
  } catch (error) {
    if (sorted !== null) await rm(sorted, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    await runs.dispose();
  }
}

/** Each file checked as it arrives, as the line a run holds. */
async function* checkedFiles(source: AsyncIterable<PayloadFile>): AsyncGenerator<Line> {
  for await (const file of source) {
    checkPayloadFile(file);
    yield [file.path, file.size, file.sha256, file.md5];
  }
}

/** A line of a run or of the sorted file: `[path, size, sha256, md5]`. */
const LINE: LineShape<Line> = {
  what: 'payload list line',
  is: (value: unknown): value is Line =>
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'string' &&
    typeof value[3] === 'string',
};
