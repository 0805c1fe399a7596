/**
 * The production stage: from the staged store, everything a recipient loads without our tool.
 * Run by the seal step before the payload manifest hash (src/seal/seal-step.ts), it adds to the
 * bag's payload `data/review/rsmf/…` (a conversation's natives), `data/review/text/<DOCID>.txt`
 * (transcripts, text-like natives) and `data/review/loadfile.dat` (./load-file.ts), all stored as
 * blobs, and it spools the items.csv rows and counts everything once (./tally.ts).
 *
 * Deterministic: DOCIDs, file names and bytes follow from the store's content alone (no clock, no
 * randomness), so two seals of one store give the same review files and the same manifest.
 * Streaming: the documents are packed strings sorted on disk (./families.ts), read back one family
 * at a time; one family's records and one conversation's rendering are in memory, the rest is on
 * disk (the sorts' files in the state folder's `tmp/`, removed when the stage ends or fails, and
 * cleared by the store's next open after a crash).
 */
import { open, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PayloadFile } from '../archive/bag-input.js';
import type { ItemKind, ItemRow, ProductionCounts } from '../archive/report-rows.js';
import { ITEM_KINDS, type DocumentKind } from '../collect/index.js';
import { ExportError } from '../errors.js';
import { PRIVATE_DIR_MODE } from '../local-files.js';
import { readRecordAt, type BagPayload, type StagingStore } from '../store/index.js';
import { bagPath, recordFields } from './document-rows.js';
import { entryAt, planFamilies, utf8Order, type AggregateRows, type FamilyPlan } from './families.js';
import { loadFileHeader, loadFileRow } from './load-file.js';
import { FamilyProducer, type Member, type ProduceOptions, type ReviewFile } from './produce-family.js';
import { JsonlSpool, readSpool } from './review-spool.js';
import { Tally } from './tally.js';

export type { ProduceOptions } from './produce-family.js';

/** Path of the load file under the bag's `data/`. */
const LOAD_FILE_PATH = 'review/loadfile.dat';

export interface ReviewProduct {
  /** The bag's payload with the review files added (what the seal and its manifest hash take). */
  readonly bag: BagPayload;
  /** The archive's counts: the one tally every report and the run summary show. */
  readonly counts: ProductionCounts;
  /** The items.csv rows, streamed afresh on each call. */
  readonly items: () => AsyncIterable<ItemRow>;
}

/** Produces the review files of `bag` (the payload built from the same store). */
export async function produceReview(
  store: StagingStore,
  bag: BagPayload,
  options: ProduceOptions,
): Promise<ReviewProduct> {
  const tally = new Tally();
  const plan = await planFamilies(store, tally, {
    tempPath: () => store.blobs.tempPath(),
    ...options.sort,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    return await produceFromPlan(store, bag, options, plan, tally);
  } finally {
    await plan.dispose();
  }
}

async function produceFromPlan(
  store: StagingStore,
  bag: BagPayload,
  options: ProduceOptions,
  plan: FamilyPlan,
  tally: Tally,
): Promise<ReviewProduct> {
  const dir = join(store.dir, 'review');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const items = await JsonlSpool.create<ItemRow>(join(dir, 'items.jsonl'));
  const files = await JsonlSpool.create<ReviewFile>(join(dir, 'files.jsonl'));
  let reviewBytes = 0;
  const producer = new FamilyProducer(store, options, async (file) => {
    reviewBytes += file.size;
    await files.write(file);
  });
  let loadFile: ReviewFile;
  try {
    const ref = await store.blobs.putStream(
      loadFileLines(store, plan, producer, items, tally, options.signal),
    );
    loadFile = { path: LOAD_FILE_PATH, ...ref };
    for (const row of await datasetRows(store, plan, bag)) await items.write(row);
  } catch (error) {
    items.destroy();
    files.destroy();
    throw error;
  }
  await items.close();
  await files.close();
  for (const e of store.exceptions()) tally.exception(e);
  for (const d of store.drift()) tally.drift(d);
  const reviewCount = files.count + 1;
  tally.payload(bag.fileCount + reviewCount, bag.totalBytes + reviewBytes + loadFile.size, reviewCount);
  const blobs = store.blobs;
  const asPayload = (f: ReviewFile): PayloadFile => ({ ...f, open: () => blobs.open(f.sha256, f.size) });
  return {
    bag: {
      payload: async function* () {
        yield* bag.payload();
        for await (const f of readSpool<ReviewFile>(files.path)) yield asPayload(f);
        yield asPayload(loadFile);
      },
      aggregates: bag.aggregates,
      fileCount: bag.fileCount + reviewCount,
      totalBytes: bag.totalBytes + reviewBytes + loadFile.size,
    },
    counts: tally.counts(),
    items: () => readSpool<ItemRow>(items.path),
  };
}

/**
 * The load file's lines: the header, then every family in order. Each family's rows go to the
 * items spool and the tally as they are yielded, so the load file, items.csv and the counts hold
 * the same documents. An aborted `signal` stops it before the next family.
 */
async function* loadFileLines(
  store: StagingStore,
  plan: FamilyPlan,
  producer: FamilyProducer,
  items: JsonlSpool<ItemRow>,
  tally: Tally,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  yield Buffer.from(loadFileHeader(), 'utf8');
  const fh = await open(store.journalPath, 'r');
  try {
    const member = async (entry: string): Promise<Member> => {
      const record = await readRecordAt(store, fh, entryAt(entry).at);
      return { record, role: ITEM_KINDS[record.kind] as DocumentKind };
    };
    const family = async function* (root: Member, children: readonly Member[]): AsyncGenerator<Buffer> {
      signal?.throwIfAborted();
      for (const row of await producer.produce(root, children)) {
        await items.write(row);
        if (row.records === null) {
          tally.document(row);
          yield Buffer.from(loadFileRow(row), 'utf8');
        } else tally.records(row.kind, row.custodian, row.records, row.size);
      }
    };
    // Entries come in families: a root, then its children (the first entry always opens one).
    let root: Member | null = null;
    let children: Member[] = [];
    for await (const entry of plan.entries()) {
      if (root !== null && !entryAt(entry).root) {
        children.push(await member(entry));
        continue;
      }
      if (root !== null) yield* family(root, children);
      root = await member(entry);
      children = [];
    }
    if (root !== null) yield* family(root, children);
  } finally {
    await fh.close();
  }
}

/** The kind of a JSONL aggregate's rows (from the rows, else the kinds table for an empty one). */
function aggregateKind(path: string, rows: AggregateRows | undefined): ItemKind {
  if (rows !== undefined) return rows.kind;
  for (const [kind, role] of Object.entries(ITEM_KINDS)) {
    if (role.role === 'dataset' && role.aggregate === path) return kind as ItemKind;
  }
  throw new ExportError('internal', `aggregate ${path}: no data-set kind names it (ITEM_KINDS)`);
}

/** items.csv rows of the data-set files: JSONL aggregates and whole-file records, in path order. */
async function datasetRows(store: StagingStore, plan: FamilyPlan, bag: BagPayload): Promise<ItemRow[]> {
  const rows: ItemRow[] = [];
  const orgLevel = { custodian: '', custodianNote: 'org_level' as const, docid: '', parentDocid: '' };
  const none = { textPath: '', recordPath: '', conversationId: '' };
  for (const [path, ref] of bag.aggregates) {
    const found = plan.aggregates.get(path);
    rows.push({
      ...orgLevel,
      ...none,
      kind: aggregateKind(path, found),
      id: '',
      nativePath: bagPath(path),
      ...ref,
      sourceEndpoint: found?.endpoint ?? '',
      records: found?.records ?? 0,
    });
  }
  const fh = await open(store.journalPath, 'r');
  try {
    for (const at of plan.datasetRecords) {
      const record = await readRecordAt(store, fh, at);
      for (const f of record.files) {
        const { sha256, md5, size } = f;
        rows.push({
          ...recordFields(record),
          ...orgLevel,
          ...none,
          nativePath: bagPath(f.path),
          sha256,
          md5,
          size,
          records: 1,
        });
      }
    }
  } finally {
    await fh.close();
  }
  return rows.sort((a, b) => utf8Order(a.nativePath, b.nativePath));
}
