/**
 * Seal-time readers of the staging store: the current version of every record, and the BagInput
 * payload (whole files straight from blobs; JSONL aggregates materialized once as blobs, rows
 * sorted by id so the bytes do not depend on fetch order).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { PayloadFile } from '../archive/bag-input.js';
import { ExternalSorter, type SortedRuns } from '../archive/external-sort.js';
import { ExportError } from '../errors.js';
import type { BlobRef } from './blob-store.js';
import { journalLines, readLineAt } from './journal.js';
import { parseJournalLine } from './journal-lines.js';
import type { StagingStore } from './staging-store.js';
import type { JournalRecord, StoredRecord } from './types.js';

function toStored(line: JournalRecord): StoredRecord {
  return {
    kind: line.kind,
    id: line.id,
    updatedAt: line.updatedAt,
    createdAt: line.createdAt ?? null,
    deletedAt: line.deletedAt ?? null,
    custodian: line.custodian ?? null,
    originalName: line.originalName ?? null,
    parent: line.parent ?? null,
    refs: line.refs ?? [],
    hash: line.hash,
    files: line.files ?? [],
    signals: line.signals ?? null,
    heldBy: line.heldBy ?? null,
    aggregate: line.row?.aggregate ?? null,
    rowJson: line.row?.json ?? null,
    endpoint: line.endpoint,
    query: line.query ?? null,
    requestId: line.requestId ?? null,
    pass: line.pass,
    fetchedAt: line.at,
  };
}

/** The current version's record lines of every item, in journal order, with their positions. */
async function* currentLines(
  store: StagingStore,
): AsyncGenerator<{ line: JournalRecord; offset: number; length: number }> {
  await store.flush();
  for await (const { offset, length, value } of journalLines(store.journalPath)) {
    const line = parseJournalLine(value, `${store.journalPath} at byte ${offset}`);
    if (line.type !== 'record' || !store.isCurrentLine(line.kind, line.id, offset)) continue;
    yield { line, offset, length };
  }
}

/** Every current (sealable) record, in journal order, streamed from disk. */
export async function* currentRecords(store: StagingStore): AsyncGenerator<StoredRecord> {
  for await (const { line } of currentLines(store)) yield toStored(line);
}

/** Where a current record's line is in the journal, so a later pass can read it again by position. */
export interface RecordPosition {
  readonly offset: number;
  readonly length: number;
}

/**
 * Every current record with its journal position (the production stage keeps positions, not
 * records, for hundreds of thousands of documents and reads each back with `readRecordAt`).
 */
export async function* currentRecordPositions(
  store: StagingStore,
): AsyncGenerator<{ record: StoredRecord; at: RecordPosition }> {
  for await (const { line, offset, length } of currentLines(store)) {
    yield { record: toStored(line), at: { offset, length } };
  }
}

/** The record line at a position `currentRecordPositions` gave (`fh`: the journal, opened to read). */
export async function readRecordAt(
  store: StagingStore,
  fh: FileHandle,
  at: RecordPosition,
): Promise<StoredRecord> {
  const where = `${store.journalPath} at byte ${at.offset}`;
  const line = parseJournalLine(await readLineAt(fh, at.offset, at.length), where);
  if (line.type !== 'record') throw new ExportError('store_corrupt', `${where}: not a record line`);
  return toStored(line);
}

export interface BagPayload {
  /** Re-iterable stream of every payload file. */
  readonly payload: () => AsyncIterable<PayloadFile>;
  /** The materialized JSONL aggregates (path → blob), also part of `payload`. */
  readonly aggregates: ReadonlyMap<string, BlobRef>;
  /**
   * Each aggregate's rows in its file's line order (aggregates in path order): the record lines'
   * journal positions, sorted on disk. Only with `keepRowPositions`; the caller disposes it.
   */
  readonly aggregateRows?: AggregateRowPositions;
  readonly fileCount: number;
  readonly totalBytes: number;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A record line's journal position under a sort key (an aggregate's path, or a kind) and the
 * record's id: what the seal sorts on disk to read records back in order.
 */
export type KeyedPosition = readonly [key: string, id: string, offset: number, length: number];

export const isKeyedPosition = (v: unknown): v is KeyedPosition =>
  Array.isArray(v) &&
  v.length === 4 &&
  typeof v[0] === 'string' &&
  typeof v[1] === 'string' &&
  typeof v[2] === 'number' &&
  typeof v[3] === 'number';

/** One aggregate row's record line: its aggregate's path, the record's id, journal offset, length. */
export type AggregateRowAt = KeyedPosition;

/** The aggregate rows' positions, on disk: one per activity, user, role... */
export interface AggregateRowPositions {
  readonly count: number;
  /** Read afresh on each call. */
  values(): AsyncGenerator<AggregateRowAt>;
  /** Removes the sorted files. */
  dispose(): Promise<void>;
}

export interface BuildBagOptions {
  /** A delta bag (snapshot series) ships only the files no earlier archive holds. */
  readonly localOnly?: boolean;
  /** Keep the aggregate rows' positions (`aggregateRows`, for the inventory). */
  readonly keepRowPositions?: boolean;
}

/**
 * Build the payload for `sealBag`. `requiredAggregates` are JSONL files that must exist even when
 * empty (e.g. `directory/users.jsonl` when the directory is included). Memory is flat in the
 * number of rows: their positions are sorted on disk (the store's temp folder) by (aggregate, id,
 * journal offset), so an aggregate's bytes do not depend on fetch order.
 */
export async function buildBagPayload(
  store: StagingStore,
  requiredAggregates: readonly string[] = [],
  options: BuildBagOptions = {},
): Promise<BagPayload> {
  const shipped = (line: JournalRecord): boolean => options.localOnly !== true || line.heldBy === undefined;
  // Pass 1: the current aggregate rows' positions, sorted on disk, and totals.
  const paths = new Set(requiredAggregates);
  const sorter = new ExternalSorter<AggregateRowAt>({
    what: 'aggregate row position',
    is: isKeyedPosition,
    tempPath: () => store.blobs.tempPath(),
    compare: (a, b) => byteOrder(a[0], b[0]) || byteOrder(a[1], b[1]) || a[2] - b[2],
  });
  let rows: SortedRuns<AggregateRowAt>;
  let fileCount = 0;
  let totalBytes = 0;
  let rowCount = 0;
  const aggregates = new Map<string, BlobRef>();
  try {
    for await (const { line, offset, length } of currentLines(store)) {
      for (const f of shipped(line) ? (line.files ?? []) : []) {
        fileCount += 1;
        totalBytes += f.size;
      }
      if (line.row !== undefined) {
        paths.add(line.row.aggregate);
        rowCount += 1;
        await sorter.add([line.row.aggregate, line.id, offset, length]);
      }
    }
    rows = await sorter.finish();
    // Materialize each aggregate as one blob: rows in id byte order, one JSON document per line.
    for (const [path, ref] of await materialize(store, rows, [...paths].sort(byteOrder))) {
      aggregates.set(path, ref);
      fileCount += 1;
      totalBytes += ref.size;
    }
  } catch (error) {
    await sorter.abort();
    throw error;
  }
  const sorted = rows;
  const keep = options.keepRowPositions === true;
  if (!keep) await sorted.dispose();
  const blobs = store.blobs;
  const payload = async function* (): AsyncGenerator<PayloadFile> {
    for await (const { line } of currentLines(store)) {
      if (!shipped(line)) continue;
      for (const f of line.files ?? []) {
        yield {
          path: f.path,
          size: f.size,
          sha256: f.sha256,
          md5: f.md5,
          open: () => blobs.open(f.sha256, f.size),
        };
      }
    }
    for (const [path, ref] of aggregates) {
      yield {
        path,
        size: ref.size,
        sha256: ref.sha256,
        md5: ref.md5,
        open: () => blobs.open(ref.sha256, ref.size),
      };
    }
  };
  return {
    payload,
    aggregates,
    ...(keep
      ? {
          aggregateRows: {
            count: rowCount,
            values: () => sorted.values(),
            dispose: () => sorted.dispose(),
          } satisfies AggregateRowPositions,
        }
      : {}),
    fileCount,
    totalBytes,
  };
}

/** Each aggregate's blob, in `paths` order, from the rows sorted by (aggregate, id, offset). */
async function materialize(
  store: StagingStore,
  rows: SortedRuns<AggregateRowAt>,
  paths: readonly string[],
): Promise<[string, BlobRef][]> {
  const out: [string, BlobRef][] = [];
  const fh = await open(store.journalPath, 'r');
  const sorted = rows.values();
  try {
    let next = await sorted.next();
    for (const path of paths) {
      async function* lines(): AsyncGenerator<Buffer> {
        for (; next.done !== true && next.value[0] === path; next = await sorted.next()) {
          const [, , off, len] = next.value;
          const line = parseJournalLine(
            await readLineAt(fh, off, len),
            `${store.journalPath} at byte ${off}`,
          );
          if (line.type !== 'record' || line.row === undefined)
            throw new ExportError('store_corrupt', `journal row at byte ${off} moved`);
          yield Buffer.from(`${line.row.json}\n`, 'utf8');
        }
      }
      out.push([path, await store.blobs.putStream(lines())]);
    }
    if (next.done !== true)
      throw new ExportError(
        'internal',
        `aggregate row of ${next.value[0]} out of order in the sorted positions`,
      );
  } finally {
    await sorted.return(undefined);
    await fh.close();
  }
  return out;
}
