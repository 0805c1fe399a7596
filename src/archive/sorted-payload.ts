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
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ExportError } from '../errors.js';
import { PRIVATE_FILE_MODE } from '../local-files.js';
import type { PayloadFile, SortedPayloadFiles } from './bag-input.js';
import { manifestLine } from './bag-text.js';
import { byteOrder } from './byte-order.js';
import { checkNext, checkPayloadFile } from './payload-list.js';

/** Files per run: ~16,384 × ~200 B of strings sorted in memory at a time. */
const RUN_SIZE = 16_384;
/** Run files open at once in a merge (one read stream each). */
const FAN_IN = 64;
/** Text gathered before a write. */
const WRITE_CHUNK = 256 * 1024;

export interface SortedPayload extends SortedPayloadFiles {
  /** SHA-256 of the `manifest-sha256.txt` a bag of exactly these files holds. */
  readonly manifestSha256: string;
  /** Removes the sorted file; `files()` cannot be read after it. */
  dispose(): Promise<void>;
}

export interface SortPayloadOptions {
  /** A fresh path in a private folder the caller owns and clears after a crash (the store's `tempPath`). */
  readonly tempPath: () => string;
  /** A payload file's bytes by its SHA-256: every payload file is a content-addressed blob. */
  readonly open: (sha256: string) => Readable;
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
  const runSize = Math.max(1, options.runSize ?? RUN_SIZE);
  const fanIn = Math.max(2, options.fanIn ?? FAN_IN);
  const made = new Set<string>();
  const create = (): string => {
    const path = options.tempPath();
    made.add(path);
    return path;
  };
  const remove = async (paths: readonly string[]): Promise<void> => {
    for (const path of paths) {
      await rm(path, { force: true });
      made.delete(path);
    }
  };
  try {
    let runs: string[] = [];
    let batch: Line[] = [];
    const spill = async (): Promise<void> => {
      batch.sort((a, b) => byteOrder(a[0], b[0]));
      const run = create();
      await writeLines(run, batch.map(encode));
      runs.push(run);
      batch = [];
    };
    for await (const file of source) {
      checkPayloadFile(file);
      batch.push([file.path, file.size, file.sha256, file.md5]);
      if (batch.length >= runSize) await spill();
    }
    if (batch.length > 0 || runs.length === 0) await spill();
    while (runs.length > fanIn) {
      const next: string[] = [];
      for (let i = 0; i < runs.length; i += fanIn) {
        const group = runs.slice(i, i + fanIn);
        const out = create();
        await writeLines(out, encodeAll(merge(group)));
        await remove(group);
        next.push(out);
      }
      runs = next;
    }
    const sorted = create();
    const totals = { fileCount: 0, totalBytes: 0 };
    const hash = createHash('sha256');
    async function* checked(): AsyncGenerator<string> {
      let previous: string | null = null;
      for await (const line of merge(runs)) {
        const [path, size, sha256] = line;
        checkNext(previous, path);
        previous = path;
        totals.fileCount += 1;
        totals.totalBytes += size;
        hash.update(manifestLine(sha256, `data/${path}`));
        yield encode(line);
      }
    }
    await writeLines(sorted, checked());
    await remove(runs);
    made.delete(sorted);
    return {
      ...totals,
      manifestSha256: hash.digest('hex'),
      files: async function* () {
        for await (const [path, size, sha256, md5] of readLines(sorted)) {
          yield { path, size, sha256, md5, open: () => options.open(sha256) };
        }
      },
      dispose: () => rm(sorted, { force: true }),
    };
  } catch (error) {
    await remove([...made]).catch(() => undefined);
    throw error;
  }
}

const encode = (line: Line): string => `${JSON.stringify(line)}\n`;

async function* encodeAll(lines: AsyncIterable<Line>): AsyncGenerator<string> {
  for await (const line of lines) yield encode(line);
}

/** Writes `texts` to a new file at `path`, exactly 0600 (the umask only ever narrows a mode). */
async function writeLines(path: string, texts: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const fh = await open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
    let pending = '';
    for await (const text of texts) {
      pending += text;
      if (pending.length >= WRITE_CHUNK) {
        await fh.writeFile(pending);
        pending = '';
      }
    }
    if (pending !== '') await fh.writeFile(pending);
  } finally {
    await fh.close();
  }
}

/** The lines of a run or sorted file, parsed; a line of another shape is `archive_error`. */
async function* readLines(path: string): AsyncGenerator<Line> {
  const input = createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) {
      n += 1;
      const value: unknown = JSON.parse(text);
      if (
        !Array.isArray(value) ||
        value.length !== 4 ||
        typeof value[0] !== 'string' ||
        typeof value[1] !== 'number' ||
        typeof value[2] !== 'string' ||
        typeof value[3] !== 'string'
      ) {
        throw new ExportError('archive_error', `${path}: line ${n} is not a payload list line`);
      }
      yield value as unknown as Line;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** The lines of several sorted files in one byte order (a binary heap of each file's next line). */
async function* merge(paths: readonly string[]): AsyncGenerator<Line> {
  const sources = paths.map((path) => readLines(path));
  const heap: { line: Line; from: number }[] = [];
  // Ties (one path in two runs) go in run order, so the output never depends on the heap's shape.
  const less = (i: number, j: number): boolean => {
    const a = heap[i];
    const b = heap[j];
    if (a === undefined || b === undefined) return false;
    const order = byteOrder(a.line[0], b.line[0]);
    return order < 0 || (order === 0 && a.from < b.from);
  };
  const swap = (i: number, j: number): void => {
    const t = heap[i];
    heap[i] = heap[j] as (typeof heap)[number];
    heap[j] = t as (typeof heap)[number];
  };
  const push = (item: { line: Line; from: number }): void => {
    heap.push(item);
    for (let i = heap.length - 1; i > 0 && less(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
  };
  const pop = (): { line: Line; from: number } | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top;
  };
  const pull = async (from: number): Promise<void> => {
    const next = await sources[from]?.next();
    if (next !== undefined && next.done !== true) push({ line: next.value, from });
  };
  try {
    for (let i = 0; i < sources.length; i += 1) await pull(i);
    for (let top = pop(); top !== undefined; top = pop()) {
      yield top.line;
      await pull(top.from);
    }
  } finally {
    for (const source of sources) await source.return(undefined);
  }
}
