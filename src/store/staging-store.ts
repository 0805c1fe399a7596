/**
 * The staging store of one job: `<state_dir>/<job name>/` (0700, files 0600) holding `lock` (the
 * run that holds the folder), `state.json` (binds the state to the spec's SHA-256, written just
 * before the first journal line), `journal.jsonl` (append-only: records, exceptions, drift,
 * checkpoints, run metadata), `blobs/` (content-addressed payload bytes) and `tmp/`.
 *
 * Everything in memory is rebuilt from the journal on open, so a resumed run knows every stored
 * item and never refetches it. The in-memory index maps `kind + id` to a small tuple (journal
 * position of the current version, updated_at, hash); content is never held.
 */
import { join } from 'node:path';
import { ExportError } from '../errors.js';
import { BlobStore } from './blob-store.js';
import { JournalWriter } from './journal.js';
import type { StateLock } from './lock.js';
import { NOTICE_REASONS } from '../archive/report-rows.js';
import { recordHash } from './record-hash.js';
import type {
  Checkpoint,
  DriftEntry,
  ExceptionEntry,
  ExceptionInput,
  IndexEntry,
  OpenStoreOptions,
  PutOutcome,
  RecordInput,
  RecordKind,
  RecordLine,
  StoreStats,
} from './types.js';

const key = (kind: string, id: string): string => `${kind}\t${id}`;

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
  /** Says whether a server-given string carries a secret (the API client's redactor); set by the run. */
  holdsSecret: ((text: string) => boolean) | null = null;

  readonly #index = new Map<string, IndexEntry>();
  readonly #exceptions = new Map<string, ExceptionEntry>();
  readonly #drift = new Map<string, DriftEntry>();
  readonly #checkpoints = new Map<string, Checkpoint>();
  readonly #meta = new Map<string, unknown>();
  readonly #now: () => Date;
  #journal: JournalWriter | null = null;
  #openedSize = 0;
  #lock: StateLock | null = null;
  /** Writes `state.json` (binds the folder to the spec) before the first journal line lands; null once bound. */
  #bind: (() => Promise<void>) | null = null;

  constructor(dir: string, now: () => Date) {
    this.dir = dir;
    this.journalPath = join(dir, 'journal.jsonl');
    this.blobs = new BlobStore(join(dir, 'blobs'), join(dir, 'tmp'));
    this.#now = now;
  }

  // ---- reading -------------------------------------------------------------------------------

  get cut(): string | null {
    const v = this.#meta.get('as_of_cut');
    return typeof v === 'string' ? v : null;
  }

  meta(name: string): unknown {
    return this.#meta.get(name);
  }

  /** The current version of an item, if any (`off === -1`: seen but left out as created after the cut). */
  current(kind: RecordKind, id: string): IndexEntry | undefined {
    return this.#index.get(key(kind, id));
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
    const counts = new Map<string, number>();
    for (const [k, e] of this.#index) {
      if (e.off < 0) continue;
      const kind = k.slice(0, k.indexOf('\t'));
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    return counts;
  }

  /** Ids of current records of one kind (tests and reports; O(index)). */
  idsOf(kind: RecordKind): string[] {
    const prefix = `${kind}\t`;
    const ids: string[] = [];
    for (const [k, e] of this.#index)
      if (e.off >= 0 && k.startsWith(prefix)) ids.push(k.slice(prefix.length));
    return ids;
  }

  /** Every index entry, for the seal-time readers in this folder. */
  indexEntries(): IterableIterator<[string, IndexEntry]> {
    return this.#index.entries();
  }

  // ---- writing -------------------------------------------------------------------------------

  setMeta(name: string, value: unknown): void {
    this.#meta.set(name, value);
    this.#writer().append({ t: 'm', key: name, value });
  }

  /**
   * Stage one record. Same updated_at and hash as the current version → duplicate (counted, not
   * written). Newer updated_at or a different hash → a new version that becomes current; when it
   * was updated after the as-of cut it is listed as drift with the before/after hashes. A record
   * never seen before and created after the cut is left out and listed as drift.
   */
  putRecord(input: RecordInput, pass: number): PutOutcome {
    const k = key(input.kind, input.id);
    const hash = recordHash(input);
    const prev = this.#index.get(k);
    const cut = this.cut;
    if (prev !== undefined && prev.off >= 0) {
      if (
        prev.u === input.updatedAt &&
        prev.h === hash &&
        (input.signals === undefined || input.signals === prev.s)
      ) {
        this.stats.duplicates += 1;
        // The same bytes again: a notice about them (served copy, unsafe ZIP) still holds.
        this.#clearException(k, { keepNotices: true });
        return 'duplicate';
      }
      if (prev.u !== null && input.updatedAt !== null && Date.parse(input.updatedAt) < Date.parse(prev.u)) {
        // An older state than the one stored (a lagging listing or index): keep the newer one.
        this.stats.stale += 1;
        return 'stale';
      }
    }
    if ((prev === undefined || prev.off < 0) && isAfter(input.createdAt, cut)) {
      // Seen again, unchanged: nothing new to say about it.
      if (prev !== undefined && prev.h === hash && prev.u === input.updatedAt) return 'duplicate';
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
      const line = { t: 'e', k: input.kind, id: input.id, u: input.updatedAt, h: hash, p: pass };
      this.#writer().append(line);
      this.#index.set(k, { off: -1, len: 0, u: input.updatedAt, h: hash });
      return 'excluded';
    }
    const line: RecordLine = {
      t: 'r',
      k: input.kind,
      id: input.id,
      u: input.updatedAt,
      h: hash,
      ...(input.createdAt != null ? { c: input.createdAt } : {}),
      ...(input.deletedAt != null ? { d: input.deletedAt } : {}),
      ...(input.custodian != null ? { cu: input.custodian } : {}),
      ...(input.originalName != null ? { on: input.originalName } : {}),
      ...(input.signals !== undefined ? { sg: input.signals } : {}),
      ...(input.files !== undefined && input.files.length > 0
        ? { f: input.files.map((f) => [f.path, f.sha256, f.md5, f.size] as const) }
        : {}),
      ...(input.row !== undefined ? { row: { a: input.row.aggregate, j: input.row.json } } : {}),
      ep: input.source.endpoint,
      ...(input.source.query !== undefined ? { q: input.source.query } : {}),
      ...(input.source.requestId != null ? { rid: input.source.requestId } : {}),
      p: pass,
      at: this.#now().toISOString(),
    };
    const pos = this.#writer().append(line);
    this.#index.set(k, {
      off: pos.offset,
      len: pos.length,
      u: input.updatedAt,
      h: hash,
      ...(input.signals !== undefined ? { s: input.signals } : {}),
    });
    this.#clearException(k);
    if (prev === undefined || prev.off < 0) this.stats.records += 1;
    else this.stats.versions += 1;
    if (isAfter(input.updatedAt, cut)) {
      this.#appendDrift({
        kind: input.kind,
        id: input.id,
        change: 'updated_after_cut',
        beforeSha256: prev !== undefined && prev.off >= 0 ? prev.h : null,
        afterSha256: hash,
        updatedAt: input.updatedAt,
        pass,
      });
    }
    return prev === undefined || prev.off < 0 ? 'new' : 'version';
  }

  /** Name an item not captured. A later successful `putRecord` of the same kind+id clears it. */
  recordException(input: ExceptionInput, pass: number): void {
    const entry: ExceptionEntry = { ...input, pass, at: this.#now().toISOString() };
    this.#exceptions.set(key(input.kind, input.id), entry);
    this.#writer().append({ t: 'x', ...entry });
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
    this.#writer().append({ t: 'c', w: walk, cur: kept, done });
  }

  async flush(): Promise<void> {
    await this.#writer().flush();
  }

  async close(): Promise<void> {
    if (this.#journal === null) return;
    // A store opened only to read (reports, tests) leaves the journal untouched.
    if (this.#journal.size !== this.#openedSize)
      this.#writer().append({ t: 'm', key: 'stats', value: this.stats });
    await this.#journal.close();
    this.#journal = null;
    await this.#lock?.release();
    this.#lock = null;
  }

  // ---- internals -------------------------------------------------------------------------------

  #writer(): JournalWriter {
    if (this.#journal === null) throw new ExportError('internal', 'staging store is closed');
    return this.#journal;
  }

  #clearException(k: string, options: { keepNotices?: boolean; listing?: boolean } = {}): void {
    const entry = this.#exceptions.get(k);
    if (entry === undefined) return;
    if (options.keepNotices === true && NOTICE_REASONS.has(entry.reason)) return;
    // Storing an item never clears a listing's gap, even one a server lists under the gap's id.
    if (options.listing !== true && isListingGap(entry)) return;
    this.#exceptions.delete(k);
    this.#writer().append({ t: 'xr', key: k });
  }

  #appendDrift(entry: DriftEntry): void {
    this.#applyDrift(entry);
    this.#writer().append({ t: 'd', ...entry });
  }

  #applyDrift(entry: DriftEntry): void {
    const k = key(entry.kind, entry.id);
    const prev = this.#drift.get(k);
    // Keep the first "before" (the state at or nearest the cut) and the latest "after".
    this.#drift.set(k, prev === undefined ? entry : { ...entry, beforeSha256: prev.beforeSha256 });
  }

  /** Rebuild every in-memory structure from one journal line (replay on open). */
  replay(offset: number, length: number, v: Record<string, unknown>): void {
    switch (v['t']) {
      case 'r': {
        const line = v as unknown as RecordLine;
        const k = key(line.k, line.id);
        const prev = this.#index.get(k);
        if (prev === undefined || prev.off < 0) this.stats.records += 1;
        else this.stats.versions += 1;
        this.#index.set(k, {
          off: offset,
          len: length,
          u: line.u,
          h: line.h,
          ...(line.sg !== undefined ? { s: line.sg } : {}),
        });
        const gap = this.#exceptions.get(k);
        if (gap !== undefined && !isListingGap(gap)) this.#exceptions.delete(k);
        break;
      }
      case 'e': {
        const k = key(String(v['k']), String(v['id']));
        if (!this.#index.has(k)) this.stats.excluded += 1;
        this.#index.set(k, { off: -1, len: 0, u: (v['u'] as string | null) ?? null, h: String(v['h']) });
        break;
      }
      case 'x': {
        const { t: _t, ...entry } = v;
        const e = entry as unknown as ExceptionEntry;
        this.#exceptions.set(key(e.kind, e.id), e);
        break;
      }
      case 'xr':
        this.#exceptions.delete(String(v['key']));
        break;
      case 'd': {
        const { t: _t, ...entry } = v;
        this.#applyDrift(entry as unknown as DriftEntry);
        break;
      }
      case 'c':
        this.#checkpoints.set(String(v['w']), {
          cursor: (v['cur'] as string | null) ?? null,
          done: v['done'] === true,
        });
        break;
      case 'm':
        if (v['key'] === 'stats') {
          const s = v['value'] as Partial<StoreStats>;
          this.stats.duplicates = s.duplicates ?? this.stats.duplicates;
          this.stats.stale = s.stale ?? this.stats.stale;
        } else this.#meta.set(String(v['key']), v['value']);
        break;
      default:
        throw new ExportError('store_corrupt', `${this.journalPath}: unknown journal line at byte ${offset}`);
    }
  }

  /**
   * Open the journal (after replay) under the lock `openStore` took; `bind`, when the folder is
   * not bound to this spec yet, runs once before the first journal write.
   */
  async attach(
    options: OpenStoreOptions,
    lock: StateLock,
    bind: (() => Promise<void>) | null,
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
  }
}
