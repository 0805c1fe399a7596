/**
 * The staging store's in-memory index: `kind + id` → the journal line of the item's current
 * version. It holds an entry for every item of the export (330,000 at 100,000 chats), so it keeps
 * per item only what finds that line, in typed arrays (~25 bytes an item, no object per item):
 *
 * - entries, in first-insertion order (the order a Map over every item would give), 12 bytes
 *   each, grown by a quarter: a 32-bit fingerprint of `kind\0id` (item-fingerprint.ts), the line's
 *   offset (40 bits: a journal up to 1 TiB), the line's length (LONG_LINE when it does not fit 16
 *   bits), and one byte for the kind's code and two flags: EXCLUDED (the line is the item's
 *   `excluded` line: left out as created after the cut) and DEAD (deleted);
 * - an open-addressing table (linear probing, load ≤ 0.6, doubled as it fills) of entry numbers,
 *   placed by fingerprint: 4 bytes a slot, 7 to 13 bytes an item.
 *
 * Everything else (updated_at, hash, signals, heldBy) is read back from the line: a lookup whose
 * fingerprint and kind match reads the line (one positioned read) and checks its kind and id, so a
 * fingerprint shared by two items costs a read, never a wrong answer. A line appended but not yet
 * written to the file (the journal writer group-commits) is answered from `#hot` until the writer
 * says it is written; `#hot` holds one entry per such line, so it is as bounded as the writer's
 * buffer. The last item looked up or set is kept (`#memo`): putRecord's get-then-set and a
 * status() followed by a put of the same item read the line once.
 */
import { ExportError } from '../errors.js';
import { keyedFingerprint, newFingerprintKey } from './item-fingerprint.js';
import {
  checkIndexImage,
  DEAD,
  EMPTY,
  ENTRY_GROWTH,
  EXCLUDED,
  FIRST_ENTRIES,
  FIRST_SLOTS,
  HIGH,
  KIND_BITS,
  LONG_LINE,
  MAX_KINDS,
  MAX_LOAD,
  MAX_OFFSET,
  SPOT_CHECKS,
  TOMBSTONE,
  type IndexImage,
} from './item-index-layout.js';
import { itemLineFields } from './journal-lines.js';
import { JournalReader } from './journal-reader.js';
import type { IndexEntry } from './types.js';

/** Where a journal line is: its first byte and its length without the newline. */
export interface LinePosition {
  readonly offset: number;
  readonly length: number;
}

export interface ItemIndexOptions {
  /** The journal every entry's offset points into. */
  readonly journalPath: string;
  /** Bytes of the journal already in the file (JournalWriter.written); by default all of it. */
  readonly written?: () => number;
  /** The fingerprint of `kind` + `id` (tests inject a weak one to force collisions). */
  readonly fingerprint?: (kind: string, id: string) => number;
}

/** A line not yet in the file, as `set` was given it. */
interface HotLine {
  readonly kind: string;
  readonly id: string;
  readonly entry: IndexEntry;
}

/** A verified lookup: the entry number, its table slot and what its line says. */
interface Found {
  readonly kind: string;
  readonly id: string;
  readonly d: number;
  readonly slot: number;
  readonly entry: IndexEntry;
}

export class ItemIndex {
  readonly #reader: JournalReader;
  readonly #written: () => number;
  #fingerprint: (kind: string, id: string) => number;
  /** The key of `#fingerprint` (null: a fingerprint a test injected). */
  #key: string | null;
  /** The table: entry number + 1, EMPTY or TOMBSTONE. */
  #slots = new Uint32Array(FIRST_SLOTS);
  /** Slots not EMPTY (live entries and tombstones). */
  #used = 0;
  #fp = new Uint32Array(FIRST_ENTRIES);
  /** The line's offset: low 32 bits, high 8 bits. */
  #offLow = new Uint32Array(FIRST_ENTRIES);
  #offHigh = new Uint8Array(FIRST_ENTRIES);
  /** The line's length, or LONG_LINE. */
  #len = new Uint16Array(FIRST_ENTRIES);
  /** The kind's code | EXCLUDED | DEAD. */
  #flags = new Uint8Array(FIRST_ENTRIES);
  /** Entries made (deleted ones included until a compaction). */
  #count = 0;
  #live = 0;
  readonly #kindCodes = new Map<string, number>();
  readonly #kindNames: string[] = [];
  /** Lines not yet in the file, by offset (ascending: appends come in order). */
  readonly #hot = new Map<number, HotLine>();
  #memo: Found | null = null;

  constructor(options: ItemIndexOptions) {
    this.#reader = new JournalReader(options.journalPath);
    this.#written = options.written ?? (() => Infinity);
    this.#key = options.fingerprint !== undefined ? null : newFingerprintKey();
    this.#fingerprint = options.fingerprint ?? keyedFingerprint(this.#key!);
  }

  get(kind: string, id: string): IndexEntry | undefined {
    return this.#lookup(kind, id)?.entry;
  }

  has(kind: string, id: string): boolean {
    return this.#lookup(kind, id) !== null;
  }

  /** Offset of the item's current version; undefined when absent, -1 when left out. */
  offset(kind: string, id: string): number | undefined {
    const found = this.#lookup(kind, id);
    if (found === null) return undefined;
    return (this.#flags[found.d]! & EXCLUDED) !== 0 ? -1 : this.#offsetOf(found.d);
  }

  /**
   * Whether the item's current version is the line at `offset`, where the caller read a line of
   * this kind and id (a seal-time reader going through the journal). No read: one line belongs to
   * one item, so an entry whose line is at `offset` is that item's.
   */
  isAt(kind: string, id: string, offset: number): boolean {
    const code = this.#kindCodes.get(kind);
    if (code === undefined) return false;
    const fp = this.#fingerprint(kind, id) >>> 0;
    const mask = this.#slots.length - 1;
    for (let i = fp & mask; ; i = (i + 1) & mask) {
      const s = this.#slots[i]!;
      if (s === EMPTY) return false;
      if (s === TOMBSTONE) continue;
      const d = s - 1;
      // The flags equal the bare code only for a stored (not excluded, not dead) item of the kind.
      if (this.#fp[d] === fp && this.#flags[d] === code && this.#offsetOf(d) === offset) return true;
    }
  }

  /**
   * The item's current version is `entry`, written as the journal line at `line` (for an item
   * left out, `entry.offset` is -1 and `line` is its `excluded` line).
   */
  set(kind: string, id: string, entry: IndexEntry, line: LinePosition): void {
    if (!Number.isInteger(line.offset) || line.offset < 0 || line.offset > MAX_OFFSET) {
      throw new ExportError(
        'store_corrupt',
        `${this.#reader.path}: journal offset ${line.offset} out of range`,
      );
    }
    const found = this.#lookup(kind, id);
    const [d, slot] = found !== null ? [found.d, found.slot] : this.#add(kind, id);
    this.#offLow[d] = line.offset % HIGH;
    this.#offHigh[d] = Math.floor(line.offset / HIGH);
    this.#len[d] = Math.min(line.length, LONG_LINE);
    this.#flags[d] = (this.#flags[d]! & KIND_BITS) | (entry.offset < 0 ? EXCLUDED : 0);
    this.#pruneHot();
    if (line.offset >= this.#written()) this.#hot.set(line.offset, { kind, id, entry });
    this.#memo = { kind, id, d, slot, entry };
  }

  /** Forget an item (no longer part of the state: gone since a snapshot base). */
  delete(kind: string, id: string): void {
    const found = this.#lookup(kind, id);
    if (found === null) return;
    this.#slots[found.slot] = TOMBSTONE;
    this.#flags[found.d] = this.#flags[found.d]! | DEAD;
    this.#live -= 1;
    this.#memo = null;
    const dead = this.#count - this.#live;
    if (dead > FIRST_ENTRIES && dead > this.#live) this.#compact();
  }

  /**
   * Stored (not left out) items per kind, kinds in the order their earliest-inserted stored item
   * was first inserted: the order a single Map over every item would give.
   */
  countsByKind(): Map<string, number> {
    const counts = new Float64Array(this.#kindNames.length);
    const order: number[] = [];
    for (let d = 0; d < this.#count; d += 1) {
      const k = this.#flags[d]!;
      if (k > KIND_BITS) continue; // excluded or dead
      if (counts[k] === 0) order.push(k);
      counts[k]! += 1;
    }
    return new Map(order.map((k) => [this.#kindNames[k]!, counts[k]!]));
  }

  /** Ids of the stored items of one kind, in insertion order (reads each one's line). */
  storedIds(kind: string): string[] {
    const code = this.#kindCodes.get(kind);
    const ids: string[] = [];
    if (code === undefined) return ids;
    for (let d = 0; d < this.#count; d += 1) {
      if (this.#flags[d] === code) ids.push(this.#lineOf(d).id);
    }
    return ids;
  }

  /** A copy of the entries as they are now (for a state image); lines not yet written included. */
  image(): IndexImage {
    const n = this.#count;
    return {
      key: this.#key,
      count: n,
      kinds: [...this.#kindNames],
      fp: this.#fp.slice(0, n),
      offLow: this.#offLow.slice(0, n),
      offHigh: this.#offHigh.slice(0, n),
      len: this.#len.slice(0, n),
      flags: this.#flags.slice(0, n),
    };
  }

  /**
   * Take over an image's entries (the index must be empty: nothing replayed yet); the table is
   * built again from the fingerprints. Every entry is checked first (kind code known, its line
   * wholly before `upTo`, the journal bytes the image covers), so a damaged image changes nothing
   * and says where it is wrong.
   */
  adopt(image: IndexImage, upTo: number): void {
    if (this.#count !== 0) throw new ExportError('internal', 'item index: an image goes into an empty index');
    const live = checkIndexImage(image, upTo);
    // An index with its own key takes the image's (an injected fingerprint, in tests, has none).
    if (this.#key !== null ? image.key === null : image.key !== null) {
      throw new ExportError('store_corrupt', 'index image: no fingerprint key of this index');
    }
    const n = image.count;
    if (image.key !== null) {
      this.#key = image.key;
      this.#fingerprint = keyedFingerprint(image.key);
    }
    image.kinds.forEach((kind, code) => {
      this.#kindNames.push(kind);
      this.#kindCodes.set(kind, code);
    });
    this.#resizeEntries(Math.max(FIRST_ENTRIES, Math.ceil(n * ENTRY_GROWTH)));
    this.#count = n;
    this.#live = live;
    this.#fp.set(image.fp);
    this.#offLow.set(image.offLow);
    this.#offHigh.set(image.offHigh);
    this.#len.set(image.len);
    this.#flags.set(image.flags);
    let size = FIRST_SLOTS;
    while (live + 1 > size * (MAX_LOAD / 2)) size *= 2;
    this.#rebuild(size);
    this.#spotCheck();
  }

  /**
   * Entries spread over the index (at most SPOT_CHECKS) read back from their lines: each line must
   * be an item line of the entry's kind whose kind and id give the entry's fingerprint. An image
   * whose key or entries are not this journal's fails here, before any lookup goes wrong.
   */
  #spotCheck(): void {
    const step = Math.max(1, Math.floor(this.#count / SPOT_CHECKS));
    for (let d = 0; d < this.#count; d += step) {
      const line = this.#lineOf(d);
      const code = this.#flags[d]! & KIND_BITS;
      if (
        this.#kindNames[code] !== line.kind ||
        this.#fingerprint(line.kind, line.id) >>> 0 !== this.#fp[d]
      ) {
        throw new ExportError('store_corrupt', `index image: entry ${d} does not match its journal line`);
      }
    }
  }

  /** Close the journal file (reopened by the next read). */
  close(): void {
    this.#reader.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The item's entry, its kind and id checked against its line; null when absent. */
  #lookup(kind: string, id: string): Found | null {
    const memo = this.#memo;
    if (memo !== null && memo.kind === kind && memo.id === id) return memo;
    const code = this.#kindCodes.get(kind);
    if (code === undefined) return null;
    const fp = this.#fingerprint(kind, id) >>> 0;
    const mask = this.#slots.length - 1;
    for (let i = fp & mask; ; i = (i + 1) & mask) {
      const s = this.#slots[i]!;
      if (s === EMPTY) return null;
      if (s === TOMBSTONE) continue;
      const d = s - 1;
      if (this.#fp[d] !== fp || (this.#flags[d]! & KIND_BITS) !== code) continue;
      const line = this.#lineOf(d);
      // Another item with the same fingerprint: keep probing.
      if (line.kind !== kind || line.id !== id) continue;
      return (this.#memo = { kind, id, d, slot: i, entry: line.entry });
    }
  }

  /** What entry `d`'s line says: from `#hot` while it is not in the file, else read back. */
  #lineOf(d: number): HotLine {
    const offset = this.#offsetOf(d);
    const excluded = (this.#flags[d]! & EXCLUDED) !== 0;
    const hot = this.#hot.get(offset);
    if (hot !== undefined) return hot;
    const length = this.#len[d]!;
    const where = `${this.#reader.path} at byte ${offset}`;
    const line = itemLineFields(this.#reader.read(offset, length === LONG_LINE ? null : length), where);
    if (line === null || (line.type === 'excluded') !== excluded) {
      throw new ExportError('store_corrupt', `${where}: not the item line the index points at`);
    }
    const entry: IndexEntry = {
      offset: excluded ? -1 : offset,
      updatedAt: line.updatedAt,
      hash: line.hash,
      ...(line.signals !== undefined ? { signals: line.signals } : {}),
      ...(line.heldBy !== undefined ? { heldBy: line.heldBy } : {}),
    };
    return { kind: line.kind, id: line.id, entry };
  }

  /** A new entry for an item not in the index; returns its number and table slot. */
  #add(kind: string, id: string): [number, number] {
    if (this.#used + 1 > this.#slots.length * MAX_LOAD) {
      this.#rebuild(
        this.#live + 1 > this.#slots.length * (MAX_LOAD / 2) ? this.#slots.length * 2 : this.#slots.length,
      );
    }
    if (this.#count === this.#fp.length) this.#resizeEntries(Math.ceil(this.#count * ENTRY_GROWTH));
    const code = this.#kindCode(kind);
    const fp = this.#fingerprint(kind, id) >>> 0;
    const d = this.#count++;
    this.#live += 1;
    this.#fp[d] = fp;
    this.#flags[d] = code;
    const slot = this.#place(fp, d);
    return [d, slot];
  }

  #offsetOf(d: number): number {
    return this.#offHigh[d]! * HIGH + this.#offLow[d]!;
  }

  /** Puts entry `d` in the first free slot of its probe run; returns the slot. */
  #place(fp: number, d: number): number {
    const mask = this.#slots.length - 1;
    for (let i = fp & mask; ; i = (i + 1) & mask) {
      const s = this.#slots[i]!;
      if (s === EMPTY || s === TOMBSTONE) {
        if (s === EMPTY) this.#used += 1;
        this.#slots[i] = d + 1;
        return i;
      }
    }
  }

  #kindCode(kind: string): number {
    let code = this.#kindCodes.get(kind);
    if (code === undefined) {
      if (this.#kindNames.length === MAX_KINDS) {
        throw new ExportError('store_corrupt', `${this.#reader.path}: more than ${MAX_KINDS} kinds of item`);
      }
      code = this.#kindNames.push(kind) - 1;
      this.#kindCodes.set(kind, code);
    }
    return code;
  }

  /** A table of `size` slots holding every live entry (tombstones dropped). */
  #rebuild(size: number): void {
    this.#slots = new Uint32Array(size);
    this.#used = 0;
    this.#memo = null;
    for (let d = 0; d < this.#count; d += 1) {
      if ((this.#flags[d]! & DEAD) === 0) this.#place(this.#fp[d]!, d);
    }
  }

  #resizeEntries(size: number): void {
    const grow = <T extends Uint32Array | Uint8Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(a.subarray(0, this.#count));
      return next;
    };
    this.#fp = grow(this.#fp, (n) => new Uint32Array(n));
    this.#offLow = grow(this.#offLow, (n) => new Uint32Array(n));
    this.#offHigh = grow(this.#offHigh, (n) => new Uint8Array(n));
    this.#len = grow(this.#len, (n) => new Uint16Array(n));
    this.#flags = grow(this.#flags, (n) => new Uint8Array(n));
  }

  /** Drops deleted entries (keeping the order of the rest), then the table's tombstones. */
  #compact(): void {
    let to = 0;
    for (let d = 0; d < this.#count; d += 1) {
      if ((this.#flags[d]! & DEAD) !== 0) continue;
      this.#fp[to] = this.#fp[d]!;
      this.#offLow[to] = this.#offLow[d]!;
      this.#offHigh[to] = this.#offHigh[d]!;
      this.#len[to] = this.#len[d]!;
      this.#flags[to] = this.#flags[d]!;
      to += 1;
    }
    this.#count = to;
    this.#resizeEntries(Math.max(FIRST_ENTRIES, Math.ceil(to * ENTRY_GROWTH)));
    let size = FIRST_SLOTS;
    while (to + 1 > size * (MAX_LOAD / 2)) size *= 2;
    this.#rebuild(size);
  }

  /** Forgets the lines the writer has written (they are read from the file now). */
  #pruneHot(): void {
    if (this.#hot.size === 0) return;
    const written = this.#written();
    for (const offset of this.#hot.keys()) {
      if (offset >= written) break;
      this.#hot.delete(offset);
    }
  }
}
