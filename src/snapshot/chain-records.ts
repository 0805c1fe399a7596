/**
 * The records of an archive's inventory, put back into a fresh staging store from the archives
 * that hold their bytes (`heldBy`): what `materialize` seals. Every payload byte is streamed from
 * its archive into the store's blob store and checked against the inventory's SHA-256 and size on
 * the way; an aggregate's rows are its file's lines, line i ↔ the i-th record naming it
 * (./types.ts). Each archive is opened once; the inventory is re-read from disk per archive, so
 * memory holds one archive's listing and one line at a time, never a file.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ExportError } from '../errors.js';
import type { Sink } from '../sink/sink.js';
import { recordHash, type RecordInput, type StagedFile, type StagingStore } from '../store/index.js';
import type { SourceFile } from '../verify/bag-source.js';
import { openStoredArchive, readInventory, type StoredArchive } from './stored-archive.js';
import { inventoryInput } from './snapshot-base.js';
import type { InventoryHeader, InventoryRecord } from './types.js';

/** One JSON line of an aggregate is never longer than this (a hostile file without newlines). */
const MAX_ROW_BYTES = 64 * 1024 * 1024;

export interface ChainPlan {
  readonly header: InventoryHeader;
  /** Run-ids of the archives holding the records' bytes, oldest first. */
  readonly archives: readonly string[];
  readonly records: number;
}

export interface ChainTally {
  archives: number;
  files: number;
  bytes: number;
  rows: number;
}

const broken = (runId: string, path: string, cause: string): ExportError =>
  new ExportError('chain_broken', `archive ${runId}: data/${path}: ${cause}`);

/** First pass over the inventory: its header, and which archives hold what (aggregates whole). */
export async function planChain(inventoryPath: string): Promise<ChainPlan> {
  let header: InventoryHeader | null = null;
  const held = new Set<string>();
  const aggregateHolder = new Map<string, string>();
  let records = 0;
  for await (const line of readInventory(inventoryPath)) {
    if (line.type === 'inventory') {
      header = line;
      continue;
    }
    records += 1;
    held.add(line.heldBy);
    if (line.row === null) continue;
    const holder = aggregateHolder.get(line.row.aggregate);
    if (holder !== undefined && holder !== line.heldBy) {
      // Line i of one file is row i: rows of one aggregate split over archives cannot be read back.
      throw broken(line.heldBy, line.row.aggregate, `rows held by both ${holder} and ${line.heldBy}`);
    }
    aggregateHolder.set(line.row.aggregate, line.heldBy);
  }
  if (header === null) throw new ExportError('chain_broken', `${inventoryPath}: no inventory header`);
  if (records !== header.records) {
    throw new ExportError(
      'chain_broken',
      `inventory of ${header.runId}: header says ${header.records} records, found ${records}`,
    );
  }
  return { header, archives: [...held].sort(), records };
}

/**
 * Puts every record of the inventory into `store`, opening each archive of `plan` once (the
 * target, already open, is reused). Returns what was read.
 */
export async function loadChain(options: {
  readonly sink: Sink;
  readonly target: StoredArchive;
  readonly inventoryPath: string;
  readonly plan: ChainPlan;
  readonly store: StagingStore;
  readonly onArchive?: (runId: string, tally: ChainTally) => void;
}): Promise<ChainTally> {
  const { sink, target, plan, store } = options;
  const tally: ChainTally = { archives: 0, files: 0, bytes: 0, rows: 0 };
  for (const runId of plan.archives) {
    const own = runId === target.ref.runId;
    const archive = own ? target : await openStoredArchive(sink, { name: plan.header.name, runId });
    if (archive === null) {
      throw new ExportError(
        'chain_broken',
        `archive ${runId} (holds records of ${plan.header.runId}) is not at ${sink.root}`,
      );
    }
    try {
      await loadFrom(archive, options.inventoryPath, store, tally);
    } finally {
      if (!own) await archive.close();
    }
    tally.archives += 1;
    options.onArchive?.(runId, tally);
  }
  await store.flush();
  return tally;
}

/** The records `archive` holds: their files streamed into blobs, their rows read line by line. */
async function loadFrom(
  archive: StoredArchive,
  inventoryPath: string,
  store: StagingStore,
  tally: ChainTally,
): Promise<void> {
  const runId = archive.ref.runId;
  const files = new Map<string, SourceFile>();
  for (const f of archive.source.files) files.set(f.path, f);
  const rows = new RowReader(archive, files);
  try {
    for await (const line of readInventory(inventoryPath)) {
      if (line.type !== 'record' || line.heldBy !== runId) continue;
      if (line.row === null) {
        const staged: StagedFile[] = [];
        for (const f of line.files) staged.push(await copyFile(archive, files, store, f));
        for (const f of staged) tally.bytes += f.size;
        tally.files += staged.length;
        putChecked(store, line, { files: staged });
        continue;
      }
      const { aggregate } = line.row;
      const bytes = await rows.next(aggregate, `${line.kind} ${line.id}`);
      const sha256 = createHash('sha256').update(bytes).update('\n').digest('hex');
      if (sha256 !== line.row.sha256 || bytes.length + 1 !== line.row.size) {
        throw broken(
          runId,
          aggregate,
          `row ${line.kind} ${line.id}: line has SHA-256 ${sha256} (${bytes.length + 1} bytes), ` +
            `the inventory says ${line.row.sha256} (${line.row.size} bytes)`,
        );
      }
      tally.rows += 1;
      tally.bytes += bytes.length + 1;
      putChecked(store, line, { row: { aggregate, json: bytes.toString('utf8') } });
    }
    await rows.finish();
  } finally {
    await rows.close();
  }
}

/** The lines of one aggregate at a time (an aggregate's rows are consecutive in the inventory). */
export class RowReader {
  readonly #archive: StoredArchive;
  readonly #files: ReadonlyMap<string, SourceFile>;
  #open: { readonly aggregate: string; readonly lines: AsyncGenerator<Buffer> } | null = null;

  constructor(archive: StoredArchive, files: ReadonlyMap<string, SourceFile>) {
    this.#archive = archive;
    this.#files = files;
  }

  /** The next line of `aggregate` (the previous aggregate, if another, must be used up). */
  async next(aggregate: string, row: string): Promise<Buffer> {
    const runId = this.#archive.ref.runId;
    if (this.#open?.aggregate !== aggregate) {
      await this.finish();
      const file = this.#files.get(`data/${aggregate}`);
      if (file === undefined) throw broken(runId, aggregate, 'not in the archive');
      const stream = await this.#archive.source.open(file);
      this.#open = { aggregate, lines: splitLines(stream, runId, aggregate) };
    }
    const next = await this.#open.lines.next();
    if (next.done === true) throw broken(runId, aggregate, `no line for row ${row}`);
    return next.value;
  }

  /** The open aggregate has no line left over. */
  async finish(): Promise<void> {
    const open = this.#open;
    if (open === null) return;
    const extra = await open.lines.next();
    await this.close();
    if (extra.done !== true)
      throw broken(this.#archive.ref.runId, open.aggregate, 'more lines than the inventory has rows');
  }

  async close(): Promise<void> {
    const open = this.#open;
    this.#open = null;
    await open?.lines.return(undefined);
  }
}

/** One payload file streamed from the archive into the blob store, its digest checked. */
async function copyFile(
  archive: StoredArchive,
  files: ReadonlyMap<string, SourceFile>,
  store: StagingStore,
  f: InventoryRecord['files'][number],
): Promise<StagedFile> {
  const runId = archive.ref.runId;
  const entry = files.get(`data/${f.path}`);
  if (entry === undefined) throw broken(runId, f.path, 'not in the archive');
  let ref;
  try {
    ref = await store.blobs.putStream(await archive.source.open(entry));
  } catch (error) {
    throw new ExportError('chain_broken', `archive ${runId}: data/${f.path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (ref.sha256 !== f.sha256 || ref.size !== f.size) {
    throw broken(
      runId,
      f.path,
      `SHA-256 ${ref.sha256} (${ref.size} bytes), the inventory says ${f.sha256} (${f.size} bytes)`,
    );
  }
  return { path: f.path, sha256: ref.sha256, md5: ref.md5, size: ref.size };
}

/** The record as the run staged it; its store hash must be the inventory's. */
function putChecked(
  store: StagingStore,
  line: InventoryRecord,
  content: Pick<RecordInput, 'files' | 'row'>,
): void {
  const input = inventoryInput(line, content);
  const where = `inventory record ${line.kind} ${line.id} (held by ${line.heldBy})`;
  const hash = recordHash(input);
  if (hash !== line.hash) {
    throw new ExportError(
      'chain_broken',
      `${where}: content hashes to ${hash}, the inventory says ${line.hash}`,
    );
  }
  const outcome = store.putRecord(input, 1);
  if (outcome !== 'new')
    throw new ExportError('chain_broken', `${where}: ${outcome} (listed twice, or after the cut)`);
}

/** The `\n`-terminated lines of a stream, without the `\n`. */
async function* splitLines(stream: Readable, runId: string, path: string): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  try {
    for await (const chunk of stream) {
      let buf = chunk as Buffer;
      let nl = buf.indexOf(0x0a);
      while (nl !== -1) {
        parts.push(buf.subarray(0, nl));
        yield Buffer.concat(parts);
        parts = [];
        held = 0;
        buf = buf.subarray(nl + 1);
        nl = buf.indexOf(0x0a);
      }
      if (buf.length > 0) {
        held += buf.length;
        if (held > MAX_ROW_BYTES) throw broken(runId, path, `a line longer than ${MAX_ROW_BYTES} bytes`);
        parts.push(buf);
      }
    }
  } catch (error) {
    if (error instanceof ExportError) throw error;
    throw broken(runId, path, (error as Error).message);
  } finally {
    stream.destroy();
  }
  // Every row is its JSON text plus `\n`: bytes after the last one are not a row.
  if (held > 0) throw broken(runId, path, `${held} bytes after the last newline`);
}
