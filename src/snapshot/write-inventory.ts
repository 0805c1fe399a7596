/**
 * The inventory every archive carries (src/snapshot/types.ts): `reports/inventory.jsonl`, the
 * point-in-time state at the archive's cut with the archive holding each record's bytes, and
 * `reports/inventory.csv`, the same list for people (one row per payload file or aggregate row).
 * Both are spooled in the state folder (`<state>/<job>/inventory/`) and streamed into the seal;
 * the records are read back from the journal by position, so memory holds positions, not records.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TagFile } from '../archive/bag-input.js';
import { defuseCell, fileTagFile, writeCsv } from '../archive/render-reports.js';
import { ExternalSorter, type SortedRuns } from '../archive/external-sort.js';
import { PRIVATE_DIR_MODE } from '../local-files.js';
import { JsonlSpool, readSpool } from '../produce/review-spool.js';
import {
  currentRecordPositions,
  isKeyedPosition,
  readRecordAt,
  type AggregateRowPositions,
  type KeyedPosition,
  type StagingStore,
} from '../store/index.js';
import type { StoredRecord } from '../store/types.js';
import {
  INVENTORY_CSV,
  INVENTORY_JSONL,
  type InventoryHeader,
  type InventoryLine,
  type InventoryRecord,
} from './types.js';

export interface InventoryInput {
  readonly name: string;
  readonly runId: string;
  readonly asOfCut: string;
  readonly previous: string | null;
  readonly specSha256: string;
}

export interface WrittenInventory {
  readonly tagFiles: readonly TagFile[];
  /** Record lines written (the header's `records`). */
  readonly records: number;
}

const INVENTORY_CSV_COLUMNS = [
  'kind',
  'id',
  'held_by_run_id',
  'path',
  'line',
  'sha256',
  'size',
  'updated_at',
] as const;

const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Writes both inventory files for the store's current records; `bag` gives the aggregates' rows in
 * order (`buildBagPayload` with `keepRowPositions`).
 */
export async function writeInventory(
  store: StagingStore,
  bag: { readonly aggregateRows: AggregateRowPositions },
  input: InventoryInput,
): Promise<WrittenInventory> {
  const dir = join(store.dir, 'inventory');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // Records with files in (kind, id) order: their positions sorted on disk, flat in the org's size.
  const sorter = new ExternalSorter<KeyedPosition>({
    what: 'inventory record position',
    is: isKeyedPosition,
    tempPath: () => store.blobs.tempPath(),
    compare: (a, b) => order(a[0], b[0]) || order(a[1], b[1]),
  });
  let withFiles: SortedRuns<KeyedPosition>;
  let fileRecords = 0;
  try {
    for await (const { record, at } of currentRecordPositions(store)) {
      if (record.aggregate === null && record.files.length > 0) {
        fileRecords += 1;
        await sorter.add([record.kind, record.id, at.offset, at.length]);
      }
    }
    withFiles = await sorter.finish();
  } catch (error) {
    await sorter.abort();
    throw error;
  }
  const header: InventoryHeader = {
    type: 'inventory',
    format: 1,
    name: input.name,
    runId: input.runId,
    asOfCut: input.asOfCut,
    previous: input.previous,
    specSha256: input.specSha256,
    records: fileRecords + bag.aggregateRows.count,
  };
  const jsonlPath = join(dir, 'inventory.jsonl');
  try {
    const spool = await JsonlSpool.create<InventoryLine>(jsonlPath);
    try {
      const fh = await open(store.journalPath, 'r');
      try {
        await spool.write(header);
        for await (const [, , offset, length] of withFiles.values()) {
          const record = await readRecordAt(store, fh, { offset, length });
          await spool.write(inventoryRecord(record, record.heldBy ?? input.runId, null));
        }
        // Every aggregate's rows, aggregates in path order (the order of the bag's aggregates).
        for await (const [aggregate, , offset, length] of bag.aggregateRows.values()) {
          const record = await readRecordAt(store, fh, { offset, length });
          const line = Buffer.from(`${record.rowJson ?? ''}\n`, 'utf8');
          const row = {
            aggregate,
            sha256: createHash('sha256').update(line).digest('hex'),
            size: line.length,
          };
          await spool.write(inventoryRecord(record, input.runId, row));
        }
      } finally {
        await fh.close();
      }
    } finally {
      await spool.close();
    }
  } finally {
    await withFiles.dispose();
  }
  const csvPath = join(dir, 'inventory.csv');
  await writeCsv(csvPath, INVENTORY_CSV_COLUMNS, csvRows(jsonlPath), (cells) => cells.map(defuseCell));
  return {
    tagFiles: [await fileTagFile(INVENTORY_JSONL, jsonlPath), await fileTagFile(INVENTORY_CSV, csvPath)],
    records: header.records,
  };
}

function inventoryRecord(r: StoredRecord, heldBy: string, row: InventoryRecord['row']): InventoryRecord {
  return {
    type: 'record',
    kind: r.kind,
    id: r.id,
    updatedAt: r.updatedAt,
    createdAt: r.createdAt,
    deletedAt: r.deletedAt,
    custodian: r.custodian,
    originalName: r.originalName,
    parent: r.parent,
    refs: r.refs,
    signals: r.signals,
    hash: r.hash,
    files: r.files.map((f) => ({ path: f.path, sha256: f.sha256, md5: f.md5, size: f.size })),
    row,
    endpoint: r.endpoint,
    heldBy,
  };
}

/** The CSV's rows from the JSONL spool: one per payload file, one per aggregate row (with its line). */
async function* csvRows(jsonlPath: string): AsyncGenerator<(string | number)[]> {
  const lineOf = new Map<string, number>();
  for await (const line of readSpool<InventoryLine>(jsonlPath)) {
    if (line.type !== 'record') continue;
    const lead = [line.kind, line.id, line.heldBy];
    if (line.row !== null) {
      const n = (lineOf.get(line.row.aggregate) ?? 0) + 1;
      lineOf.set(line.row.aggregate, n);
      yield [...lead, `data/${line.row.aggregate}`, n, line.row.sha256, line.row.size, line.updatedAt ?? ''];
      continue;
    }
    for (const f of line.files) yield [...lead, `data/${f.path}`, '', f.sha256, f.size, line.updatedAt ?? ''];
  }
}
