/**
 * A snapshot series' base in the staging store: every record taken over from the base archive's
 * inventory (a pass-0 record line with `heldBy`), with its hash, parent and references, and what
 * became of it in this run: replaced by a later version, or confirmed (met unchanged by a listing
 * or a fetch that found it stored). Rebuilt from the journal on open like the rest of the store.
 */
import type { JournalRecord, RecordKind } from './types.js';

/** A base record as taken over. */
export interface BaseRecord {
  readonly kind: RecordKind;
  readonly id: string;
  readonly hash: string;
  readonly parent: string | null;
  readonly refs?: readonly string[];
}

/** What became of a base record (`removed` is decided by the store's index). */
export type BaseState = 'seed' | 'confirmed' | 'replaced';

const key = (kind: string, id: string): string => `${kind}\t${id}`;

/** The base records and what became of them, as plain data for a state image (state-image.ts). */
export interface BaseImage {
  /** `[kind\tid, hash, parent, refs]` in taking-over order. */
  readonly records: readonly (readonly [string, string, string | null, readonly string[] | null])[];
  readonly superseded: readonly string[];
  readonly confirmed: readonly string[];
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export class BaseRecords {
  readonly #base = new Map<string, Omit<BaseRecord, 'kind' | 'id'>>();
  readonly #superseded = new Set<string>();
  readonly #confirmed = new Set<string>();

  get size(): number {
    return this.#base.size;
  }

  has(kind: RecordKind, id: string): boolean {
    return this.#base.has(key(kind, id));
  }

  *records(): Generator<BaseRecord> {
    for (const [k, v] of this.#base) {
      const tab = k.indexOf('\t');
      yield { kind: k.slice(0, tab) as RecordKind, id: k.slice(tab + 1), ...v };
    }
  }

  /** Null when the record is not a base record. */
  state(kind: RecordKind, id: string): BaseState | null {
    const k = key(kind, id);
    if (!this.#base.has(k)) return null;
    if (this.#superseded.has(k)) return 'replaced';
    return this.#confirmed.has(k) ? 'confirmed' : 'seed';
  }

  /** Marks a base record met unchanged; false when there is nothing to mark (not base, replaced, done). */
  confirm(kind: RecordKind, id: string): boolean {
    if (this.state(kind, id) !== 'seed') return false;
    this.#confirmed.add(key(kind, id));
    return true;
  }

  /** A record line written or replayed: a pass-0 line with `heldBy` is a base record, a later one replaces it. */
  note(line: Pick<JournalRecord, 'kind' | 'id' | 'hash' | 'parent' | 'refs' | 'heldBy' | 'pass'>): void {
    const k = key(line.kind, line.id);
    if (line.pass === 0 && line.heldBy !== undefined) {
      this.#base.set(k, {
        hash: line.hash,
        parent: line.parent ?? null,
        ...(line.refs !== undefined ? { refs: line.refs } : {}),
      });
    } else if (this.#base.has(k)) this.#superseded.add(k);
  }

  image(): BaseImage {
    return {
      records: [...this.#base].map(([k, v]) => [k, v.hash, v.parent, v.refs ?? null] as const),
      superseded: [...this.#superseded],
      confirmed: [...this.#confirmed],
    };
  }

  /** Take over an image (into an empty set); false, changing nothing, when it is malformed. */
  adopt(image: BaseImage): boolean {
    const { records, superseded, confirmed } = image as Partial<BaseImage>;
    if (!Array.isArray(records) || !isStrings(superseded) || !isStrings(confirmed)) return false;
    const ok = records.every(
      (r) =>
        Array.isArray(r) &&
        typeof r[0] === 'string' &&
        r[0].includes('\t') &&
        typeof r[1] === 'string' &&
        (r[2] === null || typeof r[2] === 'string') &&
        (r[3] === null || isStrings(r[3])),
    );
    if (!ok || this.#base.size > 0) return false;
    for (const [k, hash, parent, refs] of records as BaseImage['records']) {
      this.#base.set(k, { hash, parent, ...(refs !== null ? { refs } : {}) });
    }
    for (const k of superseded) this.#superseded.add(k);
    for (const k of confirmed) this.#confirmed.add(k);
    return true;
  }
}
