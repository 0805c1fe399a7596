/**
 * Seal-time readers of the staging store: the current version of every record, and the BagInput
 * payload (whole files straight from blobs; JSONL aggregates materialized once as blobs, rows
 * sorted by id so the bytes do not depend on fetch order).
 */
import { open } from 'node:fs/promises';
import type { PayloadFile } from '../archive/bag-input.js';
import { ExportError } from '../errors.js';
import type { BlobRef } from './blob-store.js';
import { journalLines, readLineAt } from './journal.js';
import type { StagingStore } from './staging-store.js';
import type { RecordLine, StoredRecord } from './types.js';

function toStored(line: RecordLine): StoredRecord {
  return {
    kind: line.k,
    id: line.id,
    updatedAt: line.u,
    createdAt: line.c ?? null,
    deletedAt: line.d ?? null,
    custodian: line.cu ?? null,
    originalName: line.on ?? null,
    hash: line.h,
    files: (line.f ?? []).map(([path, sha256, md5, size]) => ({ path, sha256, md5, size })),
    aggregate: line.row?.a ?? null,
    rowJson: line.row?.j ?? null,
    endpoint: line.ep,
    query: line.q ?? null,
    requestId: line.rid ?? null,
    pass: line.p,
    fetchedAt: line.at,
  };
}

/** Every current (sealable) record, in journal order, streamed from disk. */
export async function* currentRecords(store: StagingStore): AsyncGenerator<StoredRecord> {
  await store.flush();
  for await (const { offset, value } of journalLines(store.journalPath)) {
    const line = value as RecordLine;
    if (line.t !== 'r') continue;
    const entry = store.current(line.k, line.id);
    if (entry === undefined || entry.off !== offset) continue;
    yield toStored(line);
  }
}

export interface BagPayload {
  /** Re-iterable stream of every payload file. */
  readonly payload: () => AsyncIterable<PayloadFile>;
  /** The materialized JSONL aggregates (path → blob), also part of `payload`. */
  readonly aggregates: ReadonlyMap<string, BlobRef>;
  readonly fileCount: number;
  readonly totalBytes: number;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Build the payload for `sealBag`. `requiredAggregates` are JSONL files that must exist even when
 * empty (e.g. `directory/users.jsonl` when the directory is included).
 */
export async function buildBagPayload(
  store: StagingStore,
  requiredAggregates: readonly string[] = [],
): Promise<BagPayload> {
  await store.flush();
  // Pass 1: positions of the current aggregate rows, and totals.
  const rows = new Map<string, [string, number, number][]>();
  for (const a of requiredAggregates) rows.set(a, []);
  let fileCount = 0;
  let totalBytes = 0;
  for await (const { offset, length, value } of journalLines(store.journalPath)) {
    const line = value as RecordLine;
    if (line.t !== 'r') continue;
    const entry = store.current(line.k, line.id);
    if (entry === undefined || entry.off !== offset) continue;
    for (const f of line.f ?? []) {
      fileCount += 1;
      totalBytes += f[3];
    }
    if (line.row !== undefined) {
      let list = rows.get(line.row.a);
      if (list === undefined) rows.set(line.row.a, (list = []));
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
          const line = (await readLineAt(fh, off, len)) as RecordLine;
          if (line.row === undefined)
            throw new ExportError('store_corrupt', `journal row at byte ${off} moved`);
          yield Buffer.from(`${line.row.j}\n`, 'utf8');
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
    for await (const rec of currentRecords(store)) {
      for (const f of rec.files) {
        yield { path: f.path, size: f.size, sha256: f.sha256, md5: f.md5, open: () => blobs.open(f.sha256) };
      }
    }
    for (const [path, ref] of aggregates) {
      yield { path, size: ref.size, sha256: ref.sha256, md5: ref.md5, open: () => blobs.open(ref.sha256) };
    }
  };
  return { payload, aggregates, fileCount, totalBytes };
}
