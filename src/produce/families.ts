/**
 * The first production pass over the staged store: which current records are documents, how they
 * group into families, and the order DOCIDs follow; data-set records are counted on the way.
 *
 * Order (deterministic from the store's content alone): families by (root kind rank, root id),
 * each root followed by its children by (kind rank, id), ids in UTF-8 byte order. A family root
 * is a chat, project, code artifact or session, or a child document whose recorded parent is not
 * in the archive (a gap, or a journal written before parents were recorded).
 *
 * Memory: flat in the number of documents. Each document is one packed string (the sort key: root
 * rank, root id, child rank, child id, ids escaped so NUL stays a separator; then the record's
 * journal position, from which the second pass reads the record back), sorted on disk with the
 * payload list's external merge sort (src/archive/external-sort.ts) in the state folder's `tmp/`.
 * A file several chats reference belongs to the first of them in id order: that is a sorted join
 * (the chats' references sorted by (child, chat) against the documents a chat may hold, sorted by
 * child) rather than a map of every reference, which grew with the organization (~30 MB of
 * entries and a map of ~300,000 references at 100,000 chats).
 */
import { ITEM_KINDS } from '../collect/index.js';
import { ExternalSorter, type ExternalSortOptions, type SortedRuns } from '../archive/external-sort.js';
import type { ItemKind } from '../archive/report-rows.js';
import { ExportError } from '../errors.js';
import {
  currentRecordPositions,
  type RecordPosition,
  type StagingStore,
  type StoredRecord,
} from '../store/index.js';
import type { Tally } from './tally.js';

/** A JSONL aggregate's rows: their kind, how many, and the endpoint if they all share one. */
export interface AggregateRows {
  readonly kind: ItemKind;
  records: number;
  endpoint: string | null;
}

export interface FamilyPlan {
  /** Packed document entries in production order, read from disk (decode with `entryAt`). */
  readonly entries: () => AsyncGenerator<string>;
  /** Rows per JSONL aggregate path (under data/). */
  readonly aggregates: ReadonlyMap<string, AggregateRows>;
  /** Data-set records that are whole files (settings), by journal position. */
  readonly datasetRecords: readonly RecordPosition[];
  /** Removes the sorted entries' files (the stage calls it when done, or failed). */
  dispose(): Promise<void>;
}

/** Where the sorts spill and how (tests use small runs to merge several). */
export interface FamilySortOptions {
  /** A fresh path in a private folder the store clears on its next open (`store.blobs.tempPath`). */
  readonly tempPath: () => string;
  readonly runSize?: number;
  readonly fanIn?: number;
  /** Checked every `STOP_EVERY` records: a stop ends the pass (its sorts' files removed). */
  readonly signal?: AbortSignal;
}

/** Records read between two looks at the stop signal (a look is cheap; this keeps it off the profile). */
const STOP_EVERY = 4096;

/** One decoded entry: whether it roots a family, and where its record line is. */
export interface Entry {
  readonly root: boolean;
  readonly at: RecordPosition;
}

// eslint-disable-next-line no-control-regex -- NUL and SOH are exactly what must be escaped
const NUL_OR_SOH = /[\u0000\u0001]/gu;

/** Ids may hold any character: NUL and SOH are escaped (order-preserving) so NUL separates fields. */
function escapeId(id: string): string {
  if (!id.includes('\u0000') && !id.includes('\u0001')) return id;
  return id.replace(NUL_OR_SOH, (c) => `\u0001${c === '\u0000' ? '\u0001' : '\u0002'}`);
}

const rankChar = (rank: number): string => String.fromCharCode(0x30 + rank);

function pack(root: [number, string], child: [number, string] | null, at: RecordPosition): string {
  const head = `${rankChar(root[0])}${escapeId(root[1])}\u0000`;
  const tail = `\u0000${at.offset.toString(36)}.${at.length.toString(36)}`;
  // A root's part after the first NUL is empty: it sorts before every child of its family.
  const packed =
    child === null ? `${head}${tail}` : `${head}${rankChar(child[0])}${escapeId(child[1])}${tail}`;
  // Reading a character flattens the concatenation in place, so it keeps none of its parts (the
  // parsed journal line's strings) alive.
  packed.charCodeAt(0);
  return packed;
}

export function entryAt(entry: string): Entry {
  const first = entry.indexOf('\u0000');
  const last = entry.lastIndexOf('\u0000');
  const dot = entry.indexOf('.', last);
  return {
    root: last === first + 1,
    at: { offset: parseInt(entry.slice(last + 1, dot), 36), length: parseInt(entry.slice(dot + 1), 36) },
  };
}

/** UTF-16 code units reordered to code point (= UTF-8 byte) order: surrogates after U+E000–U+FFFF. */
const unit = (c: number): number => (c < 0xd800 ? c : c >= 0xe000 ? c - 0x800 : c + 0x2000);

/** Byte order of the UTF-8 encodings, without encoding. */
export function utf8Order(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unit(x) - unit(y);
  }
  return a.length - b.length;
}

/** A chat's reference to a child (`<kind>:<id>`, RecordInput.refs) and the chat's id. */
type RefLine = readonly [ref: string, chat: string];

/**
 * A document a chat may hold, waiting for the join: its `<kind>:<id>`, its entry without a chat
 * (from its recorded parent), its kind's rank, its id and its journal position.
 */
type ChildLine = readonly [
  ref: string,
  fallback: string,
  rank: number,
  id: string,
  offset: number,
  length: number,
];

const isRefLine = (v: unknown): v is RefLine =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';

const isChildLine = (v: unknown): v is ChildLine =>
  Array.isArray(v) &&
  v.length === 6 &&
  typeof v[0] === 'string' &&
  typeof v[1] === 'string' &&
  [v[2], v[4], v[5]].every((n) => typeof n === 'number') &&
  typeof v[3] === 'string';

/** The parent document of a record from its recorded parent, when the archive holds it: [kind, id]. */
function recordedParent(
  store: StagingStore,
  record: StoredRecord,
  parents: readonly ItemKind[],
): [ItemKind, string] | null {
  if (record.parent === null) return null;
  for (const kind of parents) {
    if (store.status(kind, record.parent).state === 'stored') return [kind, record.parent];
  }
  return null;
}

function documentRank(kind: ItemKind): number {
  const role = ITEM_KINDS[kind];
  if (role.role !== 'document') throw new ExportError('internal', `${kind} is not a document kind`);
  return role.rank;
}

/**
 * Pass 1: every current record; documents become packed entries sorted on disk, data-set records
 * are tallied. The caller disposes the plan.
 */
export async function planFamilies(
  store: StagingStore,
  tally: Tally,
  sort: FamilySortOptions,
): Promise<FamilyPlan> {
  const common = {
    tempPath: sort.tempPath,
    ...(sort.runSize === undefined ? {} : { runSize: sort.runSize }),
    ...(sort.fanIn === undefined ? {} : { fanIn: sort.fanIn }),
  } satisfies Partial<ExternalSortOptions<unknown>>;
  const entries = new ExternalSorter<string>({
    ...common,
    what: 'family entry',
    is: (v): v is string => typeof v === 'string',
    compare: utf8Order,
  });
  const refs = new ExternalSorter<RefLine>({
    ...common,
    what: 'chat reference',
    is: isRefLine,
    compare: (a, b) => utf8Order(a[0], b[0]) || utf8Order(a[1], b[1]),
  });
  const children = new ExternalSorter<ChildLine>({
    ...common,
    what: 'chat child',
    is: isChildLine,
    compare: (a, b) => utf8Order(a[0], b[0]),
  });
  try {
    const aggregates = new Map<string, AggregateRows>();
    const datasetRecords: RecordPosition[] = [];
    let read = 0;
    for await (const { record, at } of currentRecordPositions(store)) {
      if (++read % STOP_EVERY === 0) sort.signal?.throwIfAborted();
      const role = ITEM_KINDS[record.kind] as (typeof ITEM_KINDS)[ItemKind] | undefined;
      if (role === undefined)
        throw new ExportError('store_corrupt', `${store.journalPath}: unknown kind ${record.kind}`);
      if (record.kind === 'chat') for (const ref of record.refs) await refs.add([ref, record.id]);
      if (role.role === 'document') {
        const parent = recordedParent(store, record, role.parents);
        const entry =
          parent === null
            ? pack([role.rank, record.id], null, at)
            : pack([documentRank(parent[0]), parent[1]], [role.rank, record.id], at);
        if (role.parents.includes('chat'))
          await children.add([
            `${record.kind}:${record.id}`,
            entry,
            role.rank,
            record.id,
            at.offset,
            at.length,
          ]);
        else await entries.add(entry);
        continue;
      }
      const custodian = record.custodian ?? '';
      if (record.aggregate !== null && record.rowJson !== null) {
        let rows = aggregates.get(record.aggregate);
        if (rows === undefined) {
          rows = { kind: record.kind, records: 0, endpoint: record.endpoint };
          aggregates.set(record.aggregate, rows);
        }
        rows.records += 1;
        if (rows.endpoint !== record.endpoint) rows.endpoint = null;
        tally.records(record.kind, custodian, 1, Buffer.byteLength(record.rowJson, 'utf8') + 1);
      } else {
        datasetRecords.push(at);
        tally.records(
          record.kind,
          custodian,
          1,
          record.files.reduce((n, f) => n + f.size, 0),
        );
      }
    }
    await joinFirstChats(store, await refs.finish(), await children.finish(), entries);
    const sorted = await entries.finish();
    return { entries: () => sorted.values(), aggregates, datasetRecords, dispose: () => sorted.dispose() };
  } catch (error) {
    for (const sorter of [refs, children, entries]) await sorter.abort();
    throw error;
  }
}

/**
 * Per document a chat may hold, the first of the chats that reference it, in byte order of their
 * ids, is its family. A file shared by several chats is recorded with whichever reached it first
 * (fetch order, which concurrency makes vary); its family is this one, so two seals of the same
 * content give the same families whatever the fetch order was. Without a referencing chat the
 * archive holds, the recorded parent's entry stands. Both sorts are disposed.
 */
async function joinFirstChats(
  store: StagingStore,
  refs: SortedRuns<RefLine>,
  children: SortedRuns<ChildLine>,
  entries: ExternalSorter<string>,
): Promise<void> {
  const chatRank = documentRank('chat');
  const byRef = refs.values();
  try {
    let next = await byRef.next();
    for await (const [ref, fallback, rank, id, offset, length] of children.values()) {
      while (next.done !== true && utf8Order(next.value[0], ref) < 0) next = await byRef.next();
      const chat = next.done !== true && next.value[0] === ref ? next.value[1] : undefined;
      await entries.add(
        chat !== undefined && store.status('chat', chat).state === 'stored'
          ? pack([chatRank, chat], [rank, id], { offset, length })
          : fallback,
      );
    }
  } finally {
    await byRef.return(undefined);
    await refs.dispose();
    await children.dispose();
  }
}
