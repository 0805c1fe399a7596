/**
 * The archive's counts, kept in one place: the production stage hands every document row, every
 * data-set record, every exception and drift entry and the payload totals to one `Tally`, and
 * `counts()` is what the `run` summary, `summary.json`, `counts.csv` and the report page show
 * (the load file has exactly the documents counted here, one row each). Memory: one cell per
 * custodian × kind.
 */
import type {
  CountRow,
  ExceptionReason,
  ItemKind,
  ItemRow,
  ProductionCounts,
} from '../archive/report-rows.js';

type Cell = { -readonly [K in keyof CountRow]: CountRow[K] };

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function bump<K extends string>(record: Partial<Record<K, number>>, key: K, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

function sorted<K extends string>(record: Partial<Record<K, number>>): Partial<Record<K, number>> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => byteOrder(a, b))) as Partial<
    Record<K, number>
  >;
}

export class Tally {
  readonly #cells = new Map<string, Cell>();
  readonly #documents: Partial<Record<ItemKind, number>> = {};
  readonly #records: Partial<Record<ItemKind, number>> = {};
  readonly #reasons: Partial<Record<ExceptionReason, number>> = {};
  #documentCount = 0;
  #recordCount = 0;
  #exceptions = 0;
  #retryable = 0;
  #drift = 0;
  #payload = { files: 0, bytes: 0, review: 0 };

  /** One document (one load-file row): counted under its kind and custodian, its native's bytes. */
  document(row: Pick<ItemRow, 'kind' | 'custodian' | 'size'>): void {
    this.#documentCount += 1;
    bump(this.#documents, row.kind);
    const c = this.#cell(row.custodian, row.kind);
    c.documents += 1;
    c.bytes += row.size;
  }

  /** `n` data-set records of a kind held by one custodian ('' for none), `bytes` their size. */
  records(kind: ItemKind, custodian: string, n: number, bytes: number): void {
    if (n === 0) return; // an empty list (a project without collaborators) holds no record
    this.#recordCount += n;
    bump(this.#records, kind, n);
    const c = this.#cell(custodian, kind);
    c.records += n;
    c.bytes += bytes;
  }

  /** A gap or notice; scope and custodian gaps are not of one kind: counted in the totals only. */
  exception(e: { kind: string; reason: ExceptionReason; retryable: boolean }): void {
    this.#exceptions += 1;
    if (e.retryable) this.#retryable += 1;
    bump(this.#reasons, e.reason);
    if (e.kind !== 'scope' && e.kind !== 'custodian') this.#cell('', e.kind as ItemKind).exceptions += 1;
  }

  drift(d: { kind: string }): void {
    this.#drift += 1;
    this.#cell('', d.kind as ItemKind).drift += 1;
  }

  /** The payload's totals: every file under data/, and how many of them are under data/review/. */
  payload(files: number, bytes: number, reviewFiles: number): void {
    this.#payload = { files, bytes, review: reviewFiles };
  }

  counts(): ProductionCounts {
    return {
      documents: this.#documentCount,
      documentsByKind: sorted(this.#documents),
      records: this.#recordCount,
      recordsByKind: sorted(this.#records),
      payloadFiles: this.#payload.files,
      payloadBytes: this.#payload.bytes,
      reviewFiles: this.#payload.review,
      exceptions: this.#exceptions,
      retryableExceptions: this.#retryable,
      exceptionsByReason: sorted(this.#reasons),
      drift: this.#drift,
      byCustodian: [...this.#cells.entries()].sort(([a], [b]) => byteOrder(a, b)).map(([, c]) => ({ ...c })),
    };
  }

  #cell(custodian: string, kind: ItemKind): Cell {
    const key = `${custodian}\u0000${kind}`;
    let c = this.#cells.get(key);
    if (c === undefined) {
      c = { custodian, kind, documents: 0, records: 0, bytes: 0, exceptions: 0, drift: 0 };
      this.#cells.set(key, c);
    }
    return c;
  }
}
