/**
 * The staging store's in-memory index: `kind + id` → where the current version is and what dedupe
 * compares (IndexEntry). It holds an entry for every item of the export (hundreds of thousands in
 * a large organization), so each entry is one packed string in a per-kind Map keyed by the bare
 * id: no per-entry object, no `kind\tid` key string, the SHA-256 as 32 one-byte characters instead
 * of 64 hex digits. About half the memory of a Map of objects.
 *
 * Packed form: hash field, offset field, signals field, updatedAt field, each self-delimiting so
 * any server-given string (a hostile `updated_at` included) round-trips:
 * - hash: `\u0002` + the 32 digest bytes as latin1 when it is 64 lowercase hex digits, else `h` +
 *   its length (base 36) + `.` + the text;
 * - offset: base 36 + `.`; an item left out (offset -1) stores `-` + its insertion sequence;
 * - signals: `_` when absent, else its length (base 36) + `.` + the text;
 * - heldBy: the same form as signals;
 * - updatedAt: `n` for null, else `s` + the text (the rest of the string).
 */
import type { IndexEntry } from './types.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** One decoded entry plus, for an item left out, its insertion sequence. */
interface Unpacked extends IndexEntry {
  readonly seq: number;
}

function packHash(hash: string): string {
  if (HEX64.test(hash)) return `\u0002${Buffer.from(hash, 'hex').toString('latin1')}`;
  return `h${hash.length.toString(36)}.${hash}`;
}

function pack(entry: IndexEntry, seq: number): string {
  const offset = entry.offset < 0 ? `-${seq.toString(36)}` : entry.offset.toString(36);
  const signals = packText(entry.signals);
  const heldBy = packText(entry.heldBy);
  const updated = entry.updatedAt === null ? 'n' : `s${entry.updatedAt}`;
  return flat(`${packHash(entry.hash)}${offset}.${signals}${heldBy}${updated}`);
}

/** An optional text field: `_` when absent, else its length (base 36) + `.` + the text. */
function packText(text: string | undefined): string {
  return text === undefined ? '_' : `${text.length.toString(36)}.${text}`;
}

/** Reads a `packText` field at `at`; returns it and the position after it. */
function readText(s: string, at: number): [string | undefined, number] {
  if (s[at] === '_') return [undefined, at + 1];
  const [len, start] = readNumber(s, at);
  return [s.slice(start, start + len), start + len];
}

/**
 * The same text as one flat string. A concatenation is a tree of its parts (a cons string) that
 * would keep every part alive; reading a character makes V8 flatten it in place, and the GC then
 * drops the tree. Memory only: the text is the same either way.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** Reads a base-36 number up to the next `.`; returns it and the position after the dot. */
function readNumber(s: string, from: number): [number, number] {
  const dot = s.indexOf('.', from);
  return [parseInt(s.slice(from, dot), 36), dot + 1];
}

function unpack(s: string): Unpacked {
  let at: number;
  let hash: string;
  if (s.charCodeAt(0) === 2) {
    hash = Buffer.from(s.slice(1, 33), 'latin1').toString('hex');
    at = 33;
  } else {
    const [len, start] = readNumber(s, 1);
    hash = s.slice(start, start + len);
    at = start + len;
  }
  let offset = -1;
  let seq = 0;
  if (s[at] === '-') [seq, at] = readNumber(s, at + 1);
  else [offset, at] = readNumber(s, at);
  const [signals, afterSignals] = readText(s, at);
  const [heldBy, afterHeldBy] = readText(s, afterSignals);
  at = afterHeldBy;
  const updatedAt = s[at] === 'n' ? null : s.slice(at + 1);
  return {
    offset,
    updatedAt,
    hash,
    seq,
    ...(signals !== undefined ? { signals } : {}),
    ...(heldBy !== undefined ? { heldBy } : {}),
  };
}

/** Offset of the current version without decoding the rest (-1 when left out). */
function offsetOf(s: string): number {
  let at = 33;
  if (s.charCodeAt(0) !== 2) {
    const [len, start] = readNumber(s, 1);
    at = start + len;
  }
  return s[at] === '-' ? -1 : readNumber(s, at)[0];
}

export class ItemIndex {
  readonly #byKind = new Map<string, Map<string, string>>();
  /** Per kind, the insertion sequence of its earliest-inserted item that is stored (not left out). */
  readonly #firstStored = new Map<string, number>();
  #seq = 0;

  get(kind: string, id: string): IndexEntry | undefined {
    const packed = this.#byKind.get(kind)?.get(id);
    if (packed === undefined) return undefined;
    const { seq: _seq, ...entry } = unpack(packed);
    return entry;
  }

  has(kind: string, id: string): boolean {
    return this.#byKind.get(kind)?.has(id) === true;
  }

  /** Offset of the item's current version; undefined when absent, -1 when left out. */
  offset(kind: string, id: string): number | undefined {
    const packed = this.#byKind.get(kind)?.get(id);
    return packed === undefined ? undefined : offsetOf(packed);
  }

  set(kind: string, id: string, entry: IndexEntry): void {
    let items = this.#byKind.get(kind);
    if (items === undefined) this.#byKind.set(kind, (items = new Map<string, string>()));
    const prev = items.get(id);
    // An item keeps the sequence of its first insertion (as a Map key keeps its place). A stored
    // item's is not kept: its kind's first stored sequence already covers it.
    let seq = -1;
    if (prev === undefined) seq = this.#seq++;
    else if (offsetOf(prev) < 0) seq = unpack(prev).seq;
    if (entry.offset >= 0 && seq >= 0 && !(this.#firstStored.get(kind)! <= seq))
      this.#firstStored.set(kind, seq);
    items.set(id, pack(entry, seq >= 0 ? seq : this.#seq++));
  }

  /** Forget an item (no longer part of the state: gone since a snapshot base). */
  delete(kind: string, id: string): void {
    this.#byKind.get(kind)?.delete(id);
  }

  /**
   * Stored (not left out) items per kind, kinds in the order their earliest-inserted stored item
   * was first inserted: the order a single Map over every item would give.
   */
  countsByKind(): Map<string, number> {
    const kinds = [...this.#firstStored].sort((a, b) => a[1] - b[1]).map(([k]) => k);
    const counts = new Map<string, number>();
    for (const kind of kinds) {
      let n = 0;
      for (const packed of this.#byKind.get(kind)!.values()) if (offsetOf(packed) >= 0) n += 1;
      if (n > 0) counts.set(kind, n);
    }
    return counts;
  }

  /** Ids of the stored items of one kind, in insertion order. */
  storedIds(kind: string): string[] {
    const ids: string[] = [];
    for (const [id, packed] of this.#byKind.get(kind) ?? []) if (offsetOf(packed) >= 0) ids.push(id);
    return ids;
  }
}
