/**
 * The first production pass over the staged store: which current records are documents, how they
 * group into families, and the order DOCIDs follow; data-set records are counted on the way.
 *
 * Order (deterministic from the store's content alone): families by (root kind rank, root id),
 * each root followed by its children by (kind rank, id), ids in UTF-8 byte order. A family root
 * is a chat, project, code artifact or session, or a child document whose recorded parent is not
 * in the archive (a gap, or a journal written before parents were recorded).
 *
 * Memory: one packed string per document, no record held. The string is the sort key (root rank,
 * root id, child rank, child id; ids escaped so NUL stays a separator) and the record's journal
 * position; the second pass reads the record back from there. Measured: about 95 bytes per
 * document for the API's ids (34-character ids, half of them children naming a parent), so
 * ~30 MB for 300,000 documents.
 */
import { ITEM_KINDS } from '../collect/index.js';
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
  /** Packed document entries in production order (decode with `entryAt`). */
  readonly entries: readonly string[];
  /** Rows per JSONL aggregate path (under data/). */
  readonly aggregates: ReadonlyMap<string, AggregateRows>;
  /** Data-set records that are whole files (settings), by journal position. */
  readonly datasetRecords: readonly RecordPosition[];
}

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

/**
 * Per child a chat references (`<kind>:<id>`, RecordInput.refs): the first of the chats that
 * reference it, in byte order of their ids. A file shared by several chats is recorded with
 * whichever reached it first (fetch order, which concurrency makes vary); its family is this one,
 * so two seals of the same content give the same families whatever the fetch order was.
 */
async function firstChatOf(store: StagingStore): Promise<Map<string, string>> {
  const first = new Map<string, string>();
  for await (const { record } of currentRecordPositions(store)) {
    if (record.kind !== 'chat') continue;
    for (const ref of record.refs) {
      const had = first.get(ref);
      if (had === undefined || utf8Order(record.id, had) < 0) first.set(ref, record.id);
    }
  }
  return first;
}

/** The parent document of a record, when the archive holds it: [kind, id]. */
function parentOf(
  store: StagingStore,
  record: StoredRecord,
  parents: readonly ItemKind[],
  firstChat: ReadonlyMap<string, string>,
): [ItemKind, string] | null {
  const chat = parents.includes('chat') ? firstChat.get(`${record.kind}:${record.id}`) : undefined;
  if (chat !== undefined && store.status('chat', chat).state === 'stored') return ['chat', chat];
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

/** Pass 1: every current record; documents become packed entries, data-set records are tallied. */
export async function planFamilies(store: StagingStore, tally: Tally): Promise<FamilyPlan> {
  const entries: string[] = [];
  const aggregates = new Map<string, AggregateRows>();
  const datasetRecords: RecordPosition[] = [];
  const firstChat = await firstChatOf(store);
  for await (const { record, at } of currentRecordPositions(store)) {
    const role = ITEM_KINDS[record.kind] as (typeof ITEM_KINDS)[ItemKind] | undefined;
    if (role === undefined)
      throw new ExportError('store_corrupt', `${store.journalPath}: unknown kind ${record.kind}`);
    if (role.role === 'document') {
      const parent = parentOf(store, record, role.parents, firstChat);
      entries.push(
        parent === null
          ? pack([role.rank, record.id], null, at)
          : pack([documentRank(parent[0]), parent[1]], [role.rank, record.id], at),
      );
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
  entries.sort(utf8Order);
  return { entries, aggregates, datasetRecords };
}
