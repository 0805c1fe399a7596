/**
 * An external merge sort of JSON values, so memory stays flat however many values there are: the
 * source is taken in runs of at most `runSize` values, each sorted in memory (a stable sort) and
 * spilled to a run file, one JSON line a value; runs beyond `fanIn` are merged in rounds, and the
 * rest merged on the fly as they are read (a binary heap of each run's next line; ties in run
 * order, so the whole sort is stable and never depends on the heap's shape).
 *
 * Every file is created 0600 whatever the umask, at a fresh path from `tempPath` (a private folder
 * the caller owns and clears after a crash: the state folder's `tmp/`, which the store clears on
 * its next open). Run files merged in a round are removed at once; the last ones by `dispose()`,
 * and all of them when the sort fails.
 */
import { open, rm } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { ExportError } from '../errors.js';
import { PRIVATE_FILE_MODE } from '../local-files.js';

/** Values per run: ~16,384 × ~200 B sorted in memory at a time. */
const RUN_SIZE = 16_384;
/** Run files open at once in a merge (one read stream each). */
const FAN_IN = 64;
/** Text gathered before a write. */
const WRITE_CHUNK = 256 * 1024;
/** Bytes read from a run file at a time. */
const READ_CHUNK = 16 * 1024;

/** How a line of a run is told apart from anything else a file could hold. */
export interface LineShape<T> {
  /** Whether a parsed line is a value of this sort. */
  readonly is: (value: unknown) => value is T;
  /** What the lines are, for the error naming a line of another shape (`payload list line`). */
  readonly what: string;
}

export interface ExternalSortOptions<T> extends LineShape<T> {
  /** A fresh path in a private folder the caller owns and clears after a crash. */
  readonly tempPath: () => string;
  readonly compare: (a: T, b: T) => number;
  /** Values sorted in memory per run file (tests use a handful to merge several runs). */
  readonly runSize?: number;
  /** Run files merged at once; more are merged in rounds first. */
  readonly fanIn?: number;
}

export interface SortedRuns<T> {
  /** The values in order, merged afresh from the run files on each call. */
  values(): AsyncGenerator<T>;
  /** Removes the run files; `values()` cannot be read after it. */
  dispose(): Promise<void>;
}

/**
 * Values added one at a time (several sorts can then fill from one pass over their source), sorted
 * on `finish()`. After a failure, `abort()` removes every file made.
 */
export class ExternalSorter<T> {
  readonly #options: ExternalSortOptions<T>;
  readonly #runSize: number;
  readonly #fanIn: number;
  readonly #made = new Set<string>();
  #runs: string[] = [];
  #batch: T[] = [];

  constructor(options: ExternalSortOptions<T>) {
    this.#options = options;
    this.#runSize = Math.max(1, options.runSize ?? RUN_SIZE);
    this.#fanIn = Math.max(2, options.fanIn ?? FAN_IN);
  }

  async add(value: T): Promise<void> {
    this.#batch.push(value);
    if (this.#batch.length >= this.#runSize) await this.#spill();
  }

  /** The sorted values: the last run spilled, runs beyond `fanIn` merged in rounds. */
  async finish(): Promise<SortedRuns<T>> {
    if (this.#batch.length > 0 || this.#runs.length === 0) await this.#spill();
    while (this.#runs.length > this.#fanIn) {
      const next: string[] = [];
      for (let i = 0; i < this.#runs.length; i += this.#fanIn) {
        const group = this.#runs.slice(i, i + this.#fanIn);
        const out = this.#create();
        await writeLines(out, encodeAll(mergeLines(group, this.#options)));
        await this.#remove(group);
        next.push(out);
      }
      this.#runs = next;
    }
    const runs = this.#runs;
    return {
      values: () => mergeLines(runs, this.#options),
      dispose: () => this.#remove(runs),
    };
  }

  /** Removes every file this sort made (after a failure); errors are swallowed, as the first one counts. */
  async abort(): Promise<void> {
    this.#batch = [];
    await this.#remove([...this.#made]).catch(() => undefined);
  }

  async #spill(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    batch.sort(this.#options.compare);
    const run = this.#create();
    await writeLines(run, batch.map(encode));
    this.#runs.push(run);
  }

  #create(): string {
    const path = this.#options.tempPath();
    this.#made.add(path);
    return path;
  }

  async #remove(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      await rm(path, { force: true });
      this.#made.delete(path);
    }
  }
}

/** Sorts `source` into at most `fanIn` private run files; a failure removes every file made. */
export async function sortExternally<T>(
  source: AsyncIterable<T>,
  options: ExternalSortOptions<T>,
): Promise<SortedRuns<T>> {
  const sorter = new ExternalSorter(options);
  try {
    for await (const value of source) await sorter.add(value);
    return await sorter.finish();
  } catch (error) {
    await sorter.abort();
    throw error;
  }
}

const encode = (value: unknown): string => `${JSON.stringify(value)}\n`;

async function* encodeAll(values: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const value of values) yield encode(value);
}

/** Writes `texts` to a new file at `path`, exactly 0600 (the umask only ever narrows a mode). */
export async function writeLines(
  path: string,
  texts: AsyncIterable<string> | Iterable<string>,
): Promise<void> {
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

/**
 * The values of a file of JSON lines; a line that is not JSON, or of another shape, is
 * `archive_error` naming the file and line. Read through one small buffer the reader keeps (a
 * merge holds one reader per run file, ~25 of them at 100,000 chats): a read stream and readline
 * would hold a fresh 64 KiB chunk and up to 1,024 parsed-out lines per run instead.
 */
export async function* readLines<T>(path: string, shape: LineShape<T>): AsyncGenerator<T> {
  const fh = await open(path, 'r');
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  const decoder = new StringDecoder('utf8');
  let n = 0;
  const parse = (text: string): T => {
    n += 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ExportError('archive_error', `${path}: line ${n} is not JSON (${(error as Error).message})`);
    }
    if (!shape.is(value)) throw new ExportError('archive_error', `${path}: line ${n} is not a ${shape.what}`);
    return value;
  };
  try {
    let carry = '';
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      const text = carry + decoder.write(buffer.subarray(0, bytesRead));
      let start = 0;
      // The carried part holds no newline: a line longer than a read is searched once, not again per read.
      for (let nl = text.indexOf('\n', carry.length); nl >= 0; nl = text.indexOf('\n', start)) {
        const line = text.slice(start, nl);
        start = nl + 1;
        yield parse(line);
      }
      carry = text.slice(start);
    }
    const last = carry + decoder.end();
    if (last !== '') yield parse(last);
  } finally {
    await fh.close();
  }
}

/** The values of several sorted files in one order (a binary heap of each file's next value). */
async function* mergeLines<T>(
  paths: readonly string[],
  options: LineShape<T> & { readonly compare: (a: T, b: T) => number },
): AsyncGenerator<T> {
  const sources = paths.map((path) => readLines(path, options));
  const heap: { value: T; from: number }[] = [];
  // Ties (equal values in two runs) go in run order, so the output never depends on the heap's shape.
  const less = (i: number, j: number): boolean => {
    const a = heap[i];
    const b = heap[j];
    if (a === undefined || b === undefined) return false;
    const order = options.compare(a.value, b.value);
    return order < 0 || (order === 0 && a.from < b.from);
  };
  const swap = (i: number, j: number): void => {
    const t = heap[i];
    heap[i] = heap[j] as (typeof heap)[number];
    heap[j] = t as (typeof heap)[number];
  };
  const push = (item: { value: T; from: number }): void => {
    heap.push(item);
    for (let i = heap.length - 1; i > 0 && less(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
  };
  const pop = (): { value: T; from: number } | undefined => {
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
    if (next !== undefined && next.done !== true) push({ value: next.value, from });
  };
  try {
    for (let i = 0; i < sources.length; i += 1) await pull(i);
    for (let top = pop(); top !== undefined; top = pop()) {
      yield top.value;
      await pull(top.from);
    }
  } finally {
    for (const source of sources) await source.return(undefined);
  }
}
