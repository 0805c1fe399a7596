/**
 * Seal-time readers of the staging store: the current version of every record, and the BagInput
 * payload (whole files straight from blobs; JSONL aggregates materialized once as blobs, rows
 * sorted by id so the bytes do not depend on fetch order).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { PayloadFile } from '../archive/bag-input.js';
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
  /** Each aggregate's rows in its file's line order: the record lines' journal positions. */
  readonly aggregateRows?: ReadonlyMap<string, readonly AggregateRowAt[]>;
  readonly fileCount: number;
  readonly totalBytes: number;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One aggregate row's record line: id, journal offset, length. */
export type AggregateRowAt = readonly [id: string, offset: number, length: number];

/**
 * Build the payload for `sealBag`. `requiredAggregates` are JSONL files that must exist even when
 * empty (e.g. `directory/users.jsonl` when the directory is included).
 */
export async function buildBagPayload(
  store: StagingStore,
  requiredAggregates: readonly string[] = [],
  options: { readonly localOnly?: boolean } = {},
): Promise<BagPayload> {
  // A delta bag (snapshot series) ships only the files no earlier archive holds.
  const shipped = (line: JournalRecord): boolean => options.localOnly !== true || line.heldBy === undefined;
  // Pass 1: positions of the current aggregate rows, and totals.
  const rows = new Map<string, [string, number, number][]>();
  for (const a of requiredAggregates) rows.set(a, []);
  let fileCount = 0;
  let totalBytes = 0;
  for await (const { line, offset, length } of currentLines(store)) {
    for (const f of shipped(line) ? (line.files ?? []) : []) {
      fileCount += 1;
      totalBytes += f.size;
    }
    if (line.row !== undefined) {
      let list = rows.get(line.row.aggregate);
      if (list === undefined) rows.set(line.row.aggregate, (list = []));
      list.push([line.id, offset, length]);
    }
  }
  // Materialize each aggregate as one blob: rows in id byte order, one JSON document per line.
  const aggregates = new Map<string, BlobRef>();
  const fh = await open(store.journalPath, 'r');
  try {
    for (const [path, list] of [...rows].sort((a, b) => byteOrder(a[0], b[0]))) {
      list.sort((a, b) => byteOrder(a[0], b[0]) || a[1] - b[1]);
      async function* lines(): AsyncGenerator<Buffer> {
        for (const [, off, len] of list) {
          const line = parseJournalLine(
            await readLineAt(fh, off, len),
            `${store.journalPath} at byte ${off}`,
          );
          if (line.type !== 'record' || line.row === undefined)
            throw new ExportError('store_corrupt', `journal row at byte ${off} moved`);
          yield Buffer.from(`${line.row.json}\n`, 'utf8');
        }
      }
      const ref = await store.blobs.putStream(lines());
      aggregates.set(path, ref);
      fileCount += 1;
      totalBytes += ref.size;
    }
  } finally {
    await fh.close();
  }
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
  return { payload, aggregates, aggregateRows: rows, fileCount, totalBytes };
}
