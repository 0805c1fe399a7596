/**
 * An incremental snapshot's base, in the run's store: its records are taken over from the base
 * archive's inventory before collection (`seedFromInventory`), so the collection fetches only
 * what is new or whose listing shows a change; after collection `settleSnapshot` drops the base
 * records this run's listings no longer reach (deleted since the previous snapshot).
 *
 * Which records are taken over: documents with files (chats, files, projects, code artifacts,
 * sessions…). Data sets (directory, activities, settings) are cheap to list and are collected
 * afresh, whole, by every snapshot.
 */
import { ITEM_KINDS } from '../collect/index.js';
import { ExportError } from '../errors.js';
import { recordHash, type BaseRecord, type StagingStore } from '../store/index.js';
import type { RecordKind } from '../store/types.js';
import type { RecordInput } from '../store/types.js';
import type { InventoryHeader, InventoryLine, InventoryRecord } from './types.js';

/** Store meta naming the base a run took over (set once every base record is seeded). */
const SNAPSHOT_BASE_META = 'snapshot_base';

export interface SnapshotBase {
  readonly runId: string;
  readonly location: string;
  readonly asOfCut: string;
  /** Records taken over. */
  readonly records: number;
}

export function baseOf(store: StagingStore): SnapshotBase | null {
  const v = store.meta(SNAPSHOT_BASE_META);
  return typeof v === 'object' && v !== null ? (v as SnapshotBase) : null;
}

/**
 * Listing signals given to a base record changed within the consistency overlap before the base's
 * cut: no listing matches them, so it is fetched again (its state may have lagged in the index
 * the base listed from). Bytes that come back the same stay held by the base.
 */
export const REFETCH_SIGNALS = 'refetch:overlap';

/** Kinds whose base records are taken over (documents; their records have files). */
const seedable = (kind: RecordKind): boolean => ITEM_KINDS[kind].role === 'document';

export interface SeedOptions {
  /** Where the base archive is (recorded in the store and the custody log). */
  readonly location: string;
  /** `consistency.overlap_ms` of the spec. */
  readonly overlapMs: number;
  /** The run's spec hash: a base sealed under another spec is not used. */
  readonly specSha256: string;
  readonly name: string;
}

/**
 * Takes over the base's records into the store. Returns the header, or null (nothing seeded)
 * when the base is of another job or another spec. A record whose files do not hash to its
 * recorded hash breaks the chain (`chain_broken`).
 */
export async function seedFromInventory(
  store: StagingStore,
  lines: AsyncIterable<InventoryLine>,
  options: SeedOptions,
): Promise<InventoryHeader | null> {
  let header: InventoryHeader | null = null;
  let seeded = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (line.type === 'inventory') {
      header = line;
      if (line.name !== options.name || line.specSha256 !== options.specSha256) return null;
      continue;
    }
    if (header === null) throw broken(options.location, lineNo, 'record before the header');
    if (!seedable(line.kind) || line.row !== null || line.files.length === 0) continue;
    if (recordHash({ files: line.files }) !== line.hash)
      throw broken(options.location, lineNo, `${line.kind} ${line.id}: files do not hash to ${line.hash}`);
    const recent =
      line.updatedAt !== null && Date.parse(line.updatedAt) >= Date.parse(header.asOfCut) - options.overlapMs;
    store.seed({
      ...inventoryInput(line, { files: line.files }),
      ...(recent ? { signals: REFETCH_SIGNALS } : {}),
      heldBy: line.heldBy,
    });
    seeded += 1;
    if (seeded % 1000 === 0) await store.ready();
  }
  if (header === null) throw broken(options.location, lineNo, 'no header line');
  const base: SnapshotBase = {
    runId: header.runId,
    location: options.location,
    asOfCut: header.asOfCut,
    records: seeded,
  };
  store.setMeta(SNAPSHOT_BASE_META, base);
  return header;
}

/** The store's record input for an inventory record, with its content (files, or a row's JSON). */
export function inventoryInput(
  line: InventoryRecord,
  content: Pick<RecordInput, 'files' | 'row'>,
): RecordInput {
  return {
    kind: line.kind,
    id: line.id,
    updatedAt: line.updatedAt,
    createdAt: line.createdAt,
    deletedAt: line.deletedAt,
    custodian: line.custodian,
    originalName: line.originalName,
    parent: line.parent,
    refs: line.refs,
    ...(line.signals === null ? {} : { signals: line.signals }),
    ...content,
    source: { endpoint: line.endpoint },
  };
}

function broken(location: string, line: number, cause: string): ExportError {
  return new ExportError('chain_broken', `${location}: reports/inventory.jsonl line ${line}: ${cause}`);
}

export interface SettleResult {
  /** Base records no longer reached: removed from the state, listed as drift `deleted_since_previous`. */
  readonly deleted: number;
  /** Base records kept as the base had them. */
  readonly unchanged: number;
  /** Base records replaced by a version this run fetched. */
  readonly changed: number;
}

/**
 * After collection: every base record this run did not meet is decided. A listed item (chat,
 * project, code artifact, session) is there when its listing was met unchanged (`confirm`); a
 * child (a chat's file, a project's document, an artifact's version) when its parent was met
 * unchanged (not refetched: nothing re-read its references) or it was met itself. The rest is
 * gone since the previous snapshot. A kind whose listing could not be walked to its end keeps its
 * base records (the exceptions report names the listing), and so does a record whose refetch
 * failed (named there too, as a gap): neither is reported deleted.
 */
export function settleSnapshot(store: StagingStore, pass: number): SettleResult {
  let deleted = 0;
  let unchanged = 0;
  let changed = 0;
  const gone = new Set(goneSincePrevious(store).map((b) => `${b.kind}\t${b.id}`));
  for (const b of store.baseRecords()) {
    const state = store.baseState(b.kind, b.id);
    if (state === 'replaced') changed += 1;
    if (state === 'confirmed') unchanged += 1;
    if (state !== 'seed') continue;
    if (!gone.has(`${b.kind}\t${b.id}`)) {
      unchanged += 1;
      continue;
    }
    store.remove(b.kind, b.id);
    store.recordDrift({
      kind: b.kind,
      id: b.id,
      change: 'deleted_since_previous',
      beforeSha256: b.hash,
      afterSha256: null,
      updatedAt: null,
      pass,
    });
    deleted += 1;
  }
  return { deleted, unchanged, changed };
}

/** The base records this run neither met nor holds through a parent (see `settleSnapshot`). */
export function goneSincePrevious(store: StagingStore): BaseRecord[] {
  const unwalked = new Set<string>();
  for (const e of store.exceptions()) if (e.id.startsWith('listing:')) unwalked.add(e.kind);
  const gone: BaseRecord[] = [];
  for (const b of store.baseRecords()) {
    if (store.baseState(b.kind, b.id) !== 'seed') continue;
    if (kept(store, unwalked, b.kind, b.id) || parentHeld(store, unwalked, b)) continue;
    gone.push(b);
  }
  return gone;
}

/**
 * A base record kept as the base had it though not met: its kind's listing was cut short, or its
 * refetch failed (a gap the exceptions report names).
 */
function kept(store: StagingStore, unwalked: ReadonlySet<string>, kind: RecordKind, id: string): boolean {
  return unwalked.has(kind) || store.exception(kind, id) !== undefined;
}

/**
 * Whether a base child's parent was met unchanged (or kept unmet, see `kept`), so nothing re-read
 * its references and they (this child) still hold.
 */
function parentHeld(
  store: StagingStore,
  unwalked: ReadonlySet<string>,
  b: { kind: RecordKind; parent: string | null },
): boolean {
  const role = ITEM_KINDS[b.kind];
  const parent = b.parent;
  if (role.role !== 'document' || parent === null) return false;
  return role.parents.some((kind) => {
    const state = store.baseState(kind, parent);
    return state === 'confirmed' || (state === 'seed' && kept(store, unwalked, kind, parent));
  });
}
