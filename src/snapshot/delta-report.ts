/**
 * The items and counts of a DELTA archive (snapshot series): what this bag's `data/` holds, the
 * records fetched by this run, new or changed since the base, and the data sets it re-collected.
 * A delta has no review copy (no DOCIDs, RSMF or load file): those need every document's bytes,
 * which live across the chain; a full snapshot, or `materialize`, produces them. The whole
 * point-in-time state is the inventory (./write-inventory.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ItemKind, ItemRow, ProductionCounts } from '../archive/report-rows.js';
import { ITEM_KINDS } from '../collect/index.js';
import { ExportError } from '../errors.js';
import { PRIVATE_DIR_MODE } from '../local-files.js';
import { bagPath, filesOf, recordFields } from '../produce/document-rows.js';
import { JsonlSpool, readSpool } from '../produce/review-spool.js';
import { Tally } from '../produce/tally.js';
import { currentRecords, type BagPayload, type StagingStore } from '../store/index.js';
import type { StoredRecord } from '../store/types.js';

export interface DeltaReport {
  readonly counts: ProductionCounts;
  readonly items: () => AsyncIterable<ItemRow>;
}

const none = { docid: '', parentDocid: '', textPath: '', conversationId: '' };
const orgLevel = { custodian: '', custodianNote: 'org_level' as const };

/** items.csv rows and the tally of a delta bag built from `bag` (buildBagPayload with `localOnly`). */
export async function deltaReport(store: StagingStore, bag: BagPayload): Promise<DeltaReport> {
  const dir = join(store.dir, 'delta');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const spool = await JsonlSpool.create<ItemRow>(join(dir, 'items.jsonl'));
  const tally = new Tally();
  const aggregates = new Map<string, { kind: ItemKind; records: number; endpoint: string }>();
  try {
    for await (const record of currentRecords(store)) {
      if (record.aggregate !== null) {
        const seen = aggregates.get(record.aggregate);
        if (seen === undefined)
          aggregates.set(record.aggregate, { kind: record.kind, records: 1, endpoint: record.endpoint });
        else seen.records += 1;
        continue;
      }
      if (record.heldBy !== null) continue;
      for (const row of rowsOf(record)) {
        await spool.write(row);
        if (row.records === null) tally.document(row);
        else tally.records(row.kind, row.custodian, row.records, row.size);
      }
    }
    for (const [path, ref] of bag.aggregates) {
      const found = aggregates.get(path);
      const kind = found?.kind ?? aggregateKind(path);
      const records = found?.records ?? 0;
      await spool.write({
        ...none,
        ...orgLevel,
        ...ref,
        kind,
        id: '',
        nativePath: bagPath(path),
        recordPath: '',
        sourceEndpoint: found?.endpoint ?? '',
        records,
      });
      tally.records(kind, '', records, ref.size);
    }
  } finally {
    await spool.close();
  }
  for (const e of store.exceptions()) tally.exception(e);
  for (const d of store.drift()) tally.drift(d);
  tally.payload(bag.fileCount, bag.totalBytes, 0);
  return { counts: tally.counts(), items: () => readSpool<ItemRow>(spool.path) };
}

/** A record's rows: a document (its native and record file), or a whole-file data-set record. */
function rowsOf(record: StoredRecord): ItemRow[] {
  const role = ITEM_KINDS[record.kind];
  if (role.role === 'dataset') {
    return record.files.map((f) => ({
      ...recordFields(record),
      ...none,
      ...orgLevel,
      nativePath: bagPath(f.path),
      recordPath: '',
      sha256: f.sha256,
      md5: f.md5,
      size: f.size,
      records: 1,
    }));
  }
  const files = filesOf(record, role);
  const native = files.native ?? files.record ?? record.files[0];
  if (native === undefined) return [];
  const custodian = record.custodian ?? '';
  return [
    {
      ...recordFields(record),
      ...none,
      custodian,
      custodianNote: custodian === '' ? 'api_user_null' : null,
      nativePath: bagPath(native.path),
      recordPath: files.record !== null && files.record !== native ? bagPath(files.record.path) : '',
      sha256: native.sha256,
      md5: native.md5,
      size: native.size,
      records: null,
    },
  ];
}

function aggregateKind(path: string): ItemKind {
  for (const [kind, role] of Object.entries(ITEM_KINDS)) {
    if (role.role === 'dataset' && role.aggregate === path) return kind as ItemKind;
  }
  throw new ExportError('internal', `aggregate ${path}: no data-set kind names it (ITEM_KINDS)`);
}
