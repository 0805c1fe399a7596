/**
 * The staging store of one job: `<state_dir>/<job name>/` (0700, files 0600) holding `lock` (the
 * run that holds the folder), `state.json` (binds the state to the spec's SHA-256, written just
 * before the first journal line), `journal.jsonl` (append-only: records, exceptions, drift,
 * checkpoints, run metadata), `blobs/` (content-addressed payload bytes) and `tmp/`.
 *
 * Everything in memory is rebuilt from the journal on open, so a resumed run knows every stored
 * item and never refetches it. The in-memory index (item-index.ts) maps `kind + id` to the journal
 * line of the current version (a few bytes an item) and reads what dedupe compares (updated_at,
 * hash, listing signals) back from that line; content is never held.
 * Journal lines are `JournalLine`s (types.ts); `parseJournalLine` also reads the short form
 * earlier versions wrote.
 */
import { join } from 'node:path';
import { ExportError } from '../errors.js';
import { ownedTempName } from '../local-files.js';
import { BaseRecords, type BaseRecord, type BaseState } from './base-records.js';
import { BlobStore } from './blob-store.js';
import { ItemIndex } from './item-index.js';
import { JournalWriter } from './journal.js';
import { parseJournalLine, recordLine } from './journal-lines.js';
import type { StateLock } from './lock.js';
import { NOTICE_REASONS } from '../archive/report-rows.js';
import { recordHash } from './record-hash.js';
import type { StateImage } from './state-image.js';
import { StateImager } from './state-imager.js';
import type {
  Checkpoint,
  DriftEntry,
  ExceptionEntry,
  ExceptionInput,
  ItemStatus,
  JournalLine,
  OpenStoreOptions,
  PutOutcome,
  RecordInput,
  RecordKind,
  StoreStats,
} from './types.js';

const key = (kind: string, id: string): string => `${kind}\t${id}`;

const ABSENT: ItemStatus = { state: 'absent', updatedAt: null, hash: null, signals: null };

/** A gap that names a listing walk (`listing:<walk>`), not an item: only `clearException` drops it. */
const isListingGap = (entry: ExceptionEntry): boolean => entry.id.startsWith('listing:');

const isAfter = (ts: string | null | undefined, cut: string | null): boolean =>
  ts !== null && ts !== undefined && cut !== null && Date.parse(ts) > Date.parse(cut);

export class StagingStore {
  readonly dir: string;
  readonly journalPath: string;
  readonly blobs: BlobStore;
  readonly stats: StoreStats = { records: 0, versions: 0, duplicates: 0, stale: 0, excluded: 0 };
  /** Bytes of a torn last journal line dropped on open (a crash mid-write), for the custody log. */
  tornBytes = 0;
  /** Whether the journal held anything on open (this run resumes an earlier one). */
  resumed = false;
  /** The state image on open: used (the journal bytes it stood for), absent, or ignored and why. */
  image:
    | { readonly status: 'used'; readonly covers: number }
    | { readonly status: 'absent' }
    | {
        readonly status: 'ignored';
        readonly cause: string;
      } = { status: 'absent' };
  /** Journal lines replayed on open (those after the image, or all of them). */
  replayedLines = 0;
  /** Says whether a server-given string carries a secret (the API client's redactor); set by the run. */
  holdsSecret: ((text: string) => boolean) | null = null;

  readonly #index: ItemIndex;
  readonly #exceptions = new Map<string, ExceptionEntry>();
  readonly #drift = new Map<string, DriftEntry>();
  readonly #checkpoints = new Map<string, Checkpoint>();
  readonly #meta = new Map<string, unknown>();
  /** Snapshot series: the records taken over from the base's inventory, and what became of them. */
  readonly #base = new BaseRecords();
  readonly #now: () => Date;
  #journal: JournalWriter | null = null;
  #openedSize = 0;
  /** The counts the journal's last `stats` line holds (what a replay sets them to). */
  #statsLine = { duplicates: 0, stale: 0 };
  #imager: StateImager | null = null;
  /** Set when an operation failed part-way: the state may not match the journal, so no image of it. */
  #noImages = false;
  #lock: StateLock | null = null;
  /** Writes `state.json` (binds the folder to the spec) before the first journal line lands; null once bound. */
  #bind: (() => Promise<void>) | null = null;

  constructor(dir: string, now: () => Date) {
    this.dir = dir;
    this.journalPath = join(dir, 'journal.jsonl');
    this.blobs = new BlobStore(join(dir, 'blobs'), join(dir, 'tmp'));
    this.#now = now;
    // Before `attach` (replay) and after `close`, every line is in the file.
    this.#index = new ItemIndex({
      journalPath: this.journalPath,
      written: () => this.#journal?.written ?? Infinity,
    });
  }

  // ---- reading -------------------------------------------------------------------------------

  get cut(): string | null {
    const v = this.#meta.get('as_of_cut');
    return typeof v === 'string' ? v : null;
  }

  meta(name: string): unknown {
    return this.#meta.get(name);
  }

  /** What the store holds of an item: absent, stored, or left out as created after the cut. */
  status(kind: RecordKind, id: string): ItemStatus {
    const entry = this.#index.get(kind, id);
    if (entry === undefined) return ABSENT;
    return {
      state: entry.offset < 0 ? 'excluded' : 'stored',
      updatedAt: entry.updatedAt,
      hash: entry.hash,
      signals: entry.signals ?? null,
    };
  }

  /**
   * Whether the journal line at `offset`, a line of this kind and id the caller read there, is the
   * item's current version (seal-time readers going through the journal; no read of its own).
   */
  isCurrentLine(kind: RecordKind, id: string, offset: number): boolean {
    return this.#index.isAt(kind, id, offset);
  }

  checkpointOf(walk: string): Checkpoint | undefined {
    return this.#checkpoints.get(walk);
  }

  exception(kind: string, id: string): ExceptionEntry | undefined {
    return this.#exceptions.get(key(kind, id));
  }

  exceptions(): ExceptionEntry[] {
    return [...this.#exceptions.values()];
  }

  driftOf(kind: string, id: string): DriftEntry | undefined {
    return this.#drift.get(key(kind, id));
  }

  drift(): DriftEntry[] {
    return [...this.#drift.values()];
  }

  /** Number of current (sealable) records per kind. */
  countsByKind(): Map<string, number> {
    return this.#index.countsByKind();
  }

  /** Whether a snapshot base was taken over (`seed`) into this store. */
  get seeded(): boolean {
    return this.#base.size > 0;
  }

  /** The base's records (kind, id, hash, parent, refs), whatever became of them. */
  baseRecords(): Generator<BaseRecord> {
    return this.#base.records();
  }

  /**
   * What became of a base record: `seed` (the current version is the base's), `confirmed` (that,
   * and met unchanged by this run), `replaced` (a later version is current), `removed`.
   */
  baseState(kind: RecordKind, id: string): BaseState | 'removed' | null {
    const state = this.#base.state(kind, id);
    return state !== null && !this.#index.has(kind, id) ? 'removed' : state;
  }

  /** Ids of current records of one kind (tests and reports; O(index)). */
  idsOf(kind: RecordKind): string[] {
    return this.#index.storedIds(kind);
  }

  // ---- writing -------------------------------------------------------------------------------

  setMeta(name: string, value: unknown): void {
    this.#meta.set(name, value);
    this.#append({ type: 'meta', name, value });
  }

  /**
   * Stage one record. Same updated_at and hash as the current version → duplicate (counted, not
   * written). Newer updated_at or a different hash → a new version that becomes current; when it
   * was updated after the as-of cut it is listed as drift with the before/after hashes. A record
   * never seen before and created after the cut is left out and listed as drift.
   */
  putRecord(input: RecordInput, pass: number): PutOutcome {
    try {
      return this.#putRecord(input, pass);
    } catch (error) {
      // Its line may be in the journal with the index not yet told: no image of this state.
      this.#noImages = true;
      throw error;
    }
  }

  #putRecord(input: RecordInput, pass: number): PutOutcome {
    const k = key(input.kind, input.id);
    const hash = recordHash(input);
    const prev = this.#index.get(input.kind, input.id);
    const cut = this.cut;
    if (prev !== undefined && prev.offset >= 0) {
      if (
        prev.updatedAt === input.updatedAt &&
        prev.hash === hash &&
        (input.signals === undefined || input.signals === prev.signals)
      ) {
        this.stats.duplicates += 1;
        this.confirm(input.kind, input.id);
        // The same bytes again: a notice about them (served copy, unsafe ZIP) still holds.
        this.#clearException(k, { keepNotices: true });
        return 'duplicate';
      }
      if (
        prev.updatedAt !== null &&
        input.updatedAt !== null &&
        Date.parse(input.updatedAt) < Date.parse(prev.updatedAt)
      ) {
        // An older state than the one stored (a lagging listing or index): keep the newer one.
        this.stats.stale += 1;
        return 'stale';
      }
    }
    if ((prev === undefined || prev.offset < 0) && isAfter(input.createdAt, cut)) {
      // Seen again, unchanged: nothing new to say about it.
      if (prev !== undefined && prev.hash === hash && prev.updatedAt === input.updatedAt) return 'duplicate';
      if (prev === undefined) this.stats.excluded += 1;
      this.#appendDrift({
        kind: input.kind,
        id: input.id,
        change: 'created_after_cut',
        beforeSha256: null,
        afterSha256: hash,
        updatedAt: input.updatedAt,
        pass,
      });
      const at = this.#append({
        type: 'excluded',
        kind: input.kind,
        id: input.id,
        updatedAt: input.updatedAt,
        hash,
        pass,
      });
      this.#index.set(input.kind, input.id, { offset: -1, updatedAt: input.updatedAt, hash }, at);
      return 'excluded';
    }
    // The same bytes as a version an earlier archive holds: it keeps holding them (nothing re-shipped).
    const heldBy =
      input.heldBy ?? (prev?.heldBy !== undefined && prev.hash === hash ? prev.heldBy : undefined);
    const line = recordLine(
      { ...input, ...(heldBy !== undefined ? { heldBy } : {}) },
      hash,
      pass,
      this.#now().toISOString(),
    );
    const pos = this.#append(line);
    this.#index.set(
      input.kind,
      input.id,
      {
        offset: pos.offset,
        updatedAt: input.updatedAt,
        hash,
        ...(input.signals !== undefined ? { signals: input.signals } : {}),
        ...(heldBy !== undefined ? { heldBy } : {}),
      },
      pos,
    );
    this.#base.note(line);
    this.#clearException(k);
    if (prev === undefined || prev.offset < 0) this.stats.records += 1;
    else this.stats.versions += 1;
    if (isAfter(input.updatedAt, cut)) {
      this.#appendDrift({
        kind: input.kind,
        id: input.id,
        change: 'updated_after_cut',
        beforeSha256: prev !== undefined && prev.offset >= 0 ? prev.hash : null,
        afterSha256: hash,
        updatedAt: input.updatedAt,
        pass,
      });
    }
    return prev === undefined || prev.offset < 0 ? 'new' : 'version';
  }

  /**
   * Take over a record of a snapshot base (pass 0, `heldBy` naming the archive with its bytes):
   * this run treats it as stored, so it is fetched again only when its listing shows a change.
   */
  seed(input: RecordInput & { readonly heldBy: string }): void {
    // Seeding again after a kill part-way through it: the lines already written stand.
    if (this.#base.has(input.kind, input.id)) return;
    this.putRecord(input, 0);
  }

  /** A base record this run met unchanged (its listing, a fetch that found it stored). Idempotent. */
  confirm(kind: RecordKind, id: string): void {
    if (this.#base.confirm(kind, id)) this.#append({ type: 'seen', kind, id });
  }

  /** Drop a record from the state (a base record gone since the base); the journal keeps its history. */
  remove(kind: RecordKind, id: string): void {
    if (!this.#index.has(kind, id)) return;
    this.#index.delete(kind, id);
    this.#append({ type: 'removed', kind, id });
  }

  /** Name an item not captured. A later successful `putRecord` of the same kind+id clears it. */
  recordException(input: ExceptionInput, pass: number): void {
    const entry: ExceptionEntry = { ...input, pass, at: this.#now().toISOString() };
    this.#exceptions.set(key(input.kind, input.id), entry);
    this.#append({ type: 'exception', ...entry });
  }

  /** Drop a gap that names no item (a listing walk that has since completed). */
  clearException(kind: string, id: string): void {
    this.#clearException(key(kind, id), { listing: true });
  }

  /** Record drift that is not a record write (e.g. deleted after the cut). */
  recordDrift(entry: DriftEntry): void {
    this.#appendDrift(entry);
  }

  /**
   * Advance a walk's resume cursor. The line lands in the journal after every record appended
   * before it, so it is never durable before the records it covers.
   */
  checkpoint(walk: string, cursor: string | null, done = false): void {
    // Cursors are the server's own tokens, sent back verbatim. One that carries a secret (a server
    // echoing the key into it) is never written to disk: the walk restarts from its start on resume.
    const kept = cursor !== null && this.holdsSecret?.(cursor) === true ? null : cursor;
    this.#checkpoints.set(walk, { cursor: kept, done });
    this.#append({ type: 'checkpoint', walk, cursor: kept, done });
    // Between two operations the state matches the journal's appended lines: an image may be taken.
    if (!this.#noImages && this.#imager?.due(this.#writer().size) === true)
      this.#imager.start(() => this.#image());
  }

  async flush(): Promise<void> {
    await this.#writer().flush();
  }

  /** Resolves once the journal lines waiting for a write are few enough to append more (backpressure). */
  ready(): Promise<void> {
    return this.#writer().ready();
  }

  async close(): Promise<void> {
    if (this.#journal === null) return;
    // A store opened only to read (reports, tests) leaves the journal (and its image) untouched.
    const grew = this.#journal.size !== this.#openedSize;
    if (grew) {
      this.#append({ type: 'meta', name: 'stats', value: this.stats });
      this.#statsLine = { duplicates: this.stats.duplicates, stale: this.stats.stale };
    }
    const imager = grew && !this.#noImages ? this.#imager : null;
    const image = imager?.capture(() => this.#image()) ?? null;
    try {
      await this.#journal.close();
      if (image !== null) await imager?.finish(image);
    } finally {
      // A failed flush still closes the index's journal reader (the writer's error goes on).
      this.#index.close();
    }
    this.#journal = null;
    await this.#lock?.release();
    this.#lock = null;
  }

  // ---- internals -------------------------------------------------------------------------------

  #writer(): JournalWriter {
    if (this.#journal === null) throw new ExportError('internal', 'staging store is closed');
    return this.#journal;
  }

  #append(line: JournalLine): { offset: number; length: number } {
    return this.#writer().append(line);
  }

  #clearException(k: string, options: { keepNotices?: boolean; listing?: boolean } = {}): void {
    const entry = this.#exceptions.get(k);
    if (entry === undefined) return;
    if (options.keepNotices === true && NOTICE_REASONS.has(entry.reason)) return;
    // Storing an item never clears a listing's gap, even one a server lists under the gap's id.
    if (options.listing !== true && isListingGap(entry)) return;
    this.#exceptions.delete(k);
    this.#append({ type: 'exception_cleared', kind: entry.kind, id: entry.id });
  }

  #appendDrift(entry: DriftEntry): void {
    this.#applyDrift(entry);
    this.#append({ type: 'drift', ...entry });
  }

  #applyDrift(entry: DriftEntry): void {
    const k = key(entry.kind, entry.id);
    const prev = this.#drift.get(k);
    // Keep the first "before" (the state at or nearest the cut) and the latest "after".
    this.#drift.set(k, prev === undefined ? entry : { ...entry, beforeSha256: prev.beforeSha256 });
  }

  /**
   * Let go of a store that will not be attached (opening failed, or its folder is being cleared):
   * closes the journal file the index reads.
   */
  discard(): void {
    this.#index.close();
  }

  /** Rebuild every in-memory structure from one journal line (replay on open), either form. */
  replay(offset: number, value: unknown, length: number): void {
    const line = parseJournalLine(value, `${this.journalPath} at byte ${offset}`);
    switch (line.type) {
      case 'record': {
        const k = key(line.kind, line.id);
        const prev = this.#index.offset(line.kind, line.id);
        if (prev === undefined || prev < 0) this.stats.records += 1;
        else this.stats.versions += 1;
        this.#index.set(
          line.kind,
          line.id,
          {
            offset,
            updatedAt: line.updatedAt,
            hash: line.hash,
            ...(line.signals !== undefined ? { signals: line.signals } : {}),
            ...(line.heldBy !== undefined ? { heldBy: line.heldBy } : {}),
          },
          { offset, length },
        );
        this.#base.note(line);
        const gap = this.#exceptions.get(k);
        if (gap !== undefined && !isListingGap(gap)) this.#exceptions.delete(k);
        break;
      }
      case 'excluded': {
        if (!this.#index.has(line.kind, line.id)) this.stats.excluded += 1;
        this.#index.set(
          line.kind,
          line.id,
          { offset: -1, updatedAt: line.updatedAt, hash: line.hash },
          { offset, length },
        );
        break;
      }
      case 'exception': {
        const { type: _type, ...entry } = line;
        this.#exceptions.set(key(entry.kind, entry.id), entry);
        break;
      }
      case 'exception_cleared':
        this.#exceptions.delete(key(line.kind, line.id));
        break;
      case 'drift': {
        const { type: _type, ...entry } = line;
        this.#applyDrift(entry);
        break;
      }
      case 'seen':
        this.#base.confirm(line.kind, line.id);
        break;
      case 'removed':
        this.#index.delete(line.kind, line.id);
        break;
      case 'checkpoint':
        this.#checkpoints.set(line.walk, { cursor: line.cursor, done: line.done });
        break;
      case 'meta':
        if (line.name === 'stats') {
          const s = (line.value ?? {}) as Partial<StoreStats>;
          this.stats.duplicates = s.duplicates ?? this.stats.duplicates;
          this.stats.stale = s.stale ?? this.stats.stale;
          this.#statsLine = { duplicates: this.stats.duplicates, stale: this.stats.stale };
        } else this.#meta.set(line.name, line.value);
        break;
    }
  }

  /**
   * Open the journal (after replay) under the lock `openStore` took; `bind`, when the folder is
   * not bound to this spec yet, runs once before the first journal write. `imageCovers`: the
   * journal bytes the state image on disk covers (0 when none was used).
   */
  async attach(
    options: OpenStoreOptions,
    lock: StateLock,
    bind: (() => Promise<void>) | null,
    imageCovers = 0,
  ): Promise<void> {
    this.#lock = lock;
    this.#bind = bind;
    this.#journal = await JournalWriter.open(this.journalPath, {
      ...(options.batchLines !== undefined ? { batchLines: options.batchLines } : {}),
      ...(options.batchMs !== undefined ? { batchMs: options.batchMs } : {}),
      beforeSync: async () => {
        if (this.#bind !== null) {
          await this.#bind();
          this.#bind = null;
        }
        await this.blobs.syncDirs();
      },
    });
    this.#openedSize = this.#journal.size;
    const journal = this.#journal;
    this.#imager = new StateImager(
      {
        path: join(this.dir, STATE_IMAGE),
        journalPath: this.journalPath,
        // Beside the image, not in tmp/: `state.retain: index` removes tmp/ before the store closes.
        tempPath: () => join(this.dir, ownedTempName(STATE_IMAGE)),
        flush: () => journal.flush(),
        ...(options.imageIntervalBytes !== undefined ? { intervalBytes: options.imageIntervalBytes } : {}),
      },
      imageCovers,
    );
  }

  /** Images of the state this store wrote, and the last write's error (state-imager.ts). */
  get images(): { readonly written: number; readonly lastError: unknown } {
    return { written: this.#imager?.written ?? 0, lastError: this.#imager?.lastError ?? null };
  }

  /** Everything replay would build from the journal's appended lines, copied (state-image.ts). */
  #image(): StateImage {
    const lines: JournalLine[] = [
      ...[...this.#exceptions.values()].map((e): JournalLine => ({ type: 'exception', ...e })),
      ...[...this.#drift.values()].map((e): JournalLine => ({ type: 'drift', ...e })),
      ...[...this.#checkpoints].map(([walk, c]): JournalLine => ({
        type: 'checkpoint',
        walk,
        cursor: c.cursor,
        done: c.done,
      })),
      ...[...this.#meta].map(([name, value]): JournalLine => ({ type: 'meta', name, value })),
    ];
    return {
      upTo: this.#writer().size,
      tables: { stats: { ...this.stats, ...this.#statsLine }, lines, base: this.#base.image() },
      index: this.#index.image(),
    };
  }

  /**
   * Take over a state image before replaying the journal lines after it (opening). Throws
   * `store_corrupt`, naming what is wrong, for an image whose tables do not read as journal lines
   * of their kinds; the store must then be discarded.
   */
  adoptImage(image: StateImage): void {
    const where = join(this.dir, STATE_IMAGE);
    for (const value of image.tables.lines) {
      const line = parseJournalLine(value, where);
      if (!TABLE_LINES.has(line.type) || (line.type === 'meta' && line.name === 'stats')) {
        throw new ExportError('store_corrupt', `${where}: a ${line.type} line among its tables`);
      }
      this.replay(0, value, 0);
    }
    if (!this.#base.adopt(image.tables.base)) {
      throw new ExportError('store_corrupt', `${where}: its snapshot base is malformed`);
    }
    this.#index.adopt(image.index, image.upTo);
    const { records, versions, duplicates, stale, excluded } = image.tables.stats;
    Object.assign(this.stats, { records, versions, duplicates, stale, excluded });
    this.#statsLine = { duplicates, stale };
  }
}

/** The state image's file name in the job folder. */
export const STATE_IMAGE = 'state.image';

/** The journal lines a state image's tables are made of. */
const TABLE_LINES: ReadonlySet<JournalLine['type']> = new Set(['exception', 'drift', 'checkpoint', 'meta']);
