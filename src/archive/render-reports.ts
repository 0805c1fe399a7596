/**
 * Renders the report rows (async iterables from the pipeline) into the tag files under
 * `reports/`. Rows stream through fast-csv into spool files in a directory the caller owns (the
 * state dir), so memory stays flat however many items there are; counts are accumulated on the
 * way (bounded by custodians × kinds). CSVs follow RFC 4180: CRLF row ends, a header row even
 * when there are no rows, quotes only where needed.
 *
 * Determinism: the files are byte-for-byte what the rows are, in the order they arrive, so the
 * producer must yield rows in a stable order (e.g. by path or id) for rebuilds to be identical.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { format } from 'fast-csv';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../local-files.js';
import type { TagFile } from './bag-input.js';
import type {
  CountRow,
  DriftRow,
  ExceptionReason,
  ExceptionRow,
  ItemKind,
  ItemRow,
  Summary,
} from './report-rows.js';

const ITEMS_COLUMNS = [
  'kind',
  'id',
  'path',
  'sha256',
  'md5',
  'size',
  'custodian',
  'original_name',
  'created_at',
  'updated_at',
  'deleted_at',
  'source_endpoint',
  'request_id',
] as const;

const EXCEPTIONS_COLUMNS = [
  'kind',
  'id',
  'reason',
  'retryable',
  'custodian',
  'parent_id',
  'endpoint',
  'http_status',
  'request_id',
  'detail',
  'at',
] as const;

const DRIFT_COLUMNS = [
  'kind',
  'id',
  'change',
  'changed_at',
  'before_sha256',
  'after_sha256',
  'in_archive',
  'pass',
  'custodian',
] as const;

const COUNTS_COLUMNS = ['custodian', 'kind', 'items', 'bytes', 'exceptions', 'drift'] as const;

type Cell = string;
const cell = (value: string | number | boolean | null | undefined): Cell =>
  value === null || value === undefined ? '' : String(value);

function itemCells(row: ItemRow): Cell[] {
  return [
    row.kind,
    row.id,
    row.path,
    row.sha256,
    row.md5,
    cell(row.size),
    row.custodian,
    cell(row.originalName),
    cell(row.createdAt),
    cell(row.updatedAt),
    cell(row.deletedAt),
    row.sourceEndpoint,
    cell(row.requestId),
  ];
}

function exceptionCells(row: ExceptionRow): Cell[] {
  return [
    row.kind,
    row.id,
    row.reason,
    cell(row.retryable),
    cell(row.custodian),
    cell(row.parentId),
    cell(row.endpoint),
    cell(row.httpStatus),
    cell(row.requestId),
    cell(row.detail),
    cell(row.at),
  ];
}

function driftCells(row: DriftRow): Cell[] {
  return [
    row.kind,
    row.id,
    row.change,
    cell(row.changedAt),
    cell(row.beforeSha256),
    cell(row.afterSha256),
    cell(row.inArchive),
    cell(row.pass),
    cell(row.custodian),
  ];
}

function countCells(row: CountRow): Cell[] {
  return [row.custodian, row.kind, cell(row.items), cell(row.bytes), cell(row.exceptions), cell(row.drift)];
}

/** Streams rows through fast-csv (RFC 4180) into `file`. Returns the number of data rows. */
async function writeCsv<T>(
  file: string,
  headers: readonly string[],
  rows: AsyncIterable<T> | Iterable<T>,
  toCells: (row: T) => Cell[],
  onRow?: (row: T) => void,
): Promise<number> {
  let count = 0;
  async function* cells(): AsyncGenerator<Cell[]> {
    for await (const row of rows) {
      onRow?.(row);
      count += 1;
      yield toCells(row);
    }
  }
  await pipeline(
    Readable.from(cells()),
    format({
      headers: [...headers],
      alwaysWriteHeaders: true,
      rowDelimiter: '\r\n',
      includeEndRowDelimiter: true,
    }),
    createWriteStream(file, { mode: PRIVATE_FILE_MODE }),
  );
  return count;
}

/** A tag file backed by a file on disk (size read once; `open` streams it afresh). */
async function fileTagFile(bagPath: string, fsPath: string): Promise<TagFile> {
  const { size } = await stat(fsPath);
  return { path: bagPath, size, open: () => createReadStream(fsPath) };
}

/** A small tag file held in memory. */
export function bufferTagFile(bagPath: string, bytes: Uint8Array | string): TagFile {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return { path: bagPath, size: buffer.length, open: () => Readable.from([buffer]) };
}

/** What the pipeline knows about the run; counts and status are derived from the rows. */
export type SummaryBase = Omit<Summary, 'counts' | 'status'> & {
  /** Goes into `counts.duplicates`; the other counts come from the rows. */
  readonly duplicates?: number;
};

export interface ReportInputs {
  /** A directory the caller owns (in the state dir); spool files are written here. */
  readonly spoolDir: string;
  readonly items: AsyncIterable<ItemRow> | Iterable<ItemRow>;
  readonly exceptions: AsyncIterable<ExceptionRow> | Iterable<ExceptionRow>;
  readonly drift: AsyncIterable<DriftRow> | Iterable<DriftRow>;
  readonly summary: SummaryBase;
  /** The job spec exactly as the user gave it. */
  readonly jobYaml: string | Uint8Array;
  /** The validated, defaults-resolved spec (serialised with 2-space JSON, key order as given). */
  readonly jobResolved: unknown;
  /** The custody log file; a snapshot of it as it stands now goes into the bag. */
  readonly custodyLogPath: string;
}

export interface RenderedReports {
  readonly tagFiles: readonly TagFile[];
  readonly summary: Summary;
  readonly counts: readonly CountRow[];
}

/** Every file of `reports/`, in byte order of name (the spool files of the same names). */
const REPORT_FILES = [
  'counts.csv',
  'custody.jsonl',
  'drift.csv',
  'exceptions.csv',
  'items.csv',
  'job.resolved.json',
  'job.yaml',
  'summary.json',
] as const;

/** Renders every file of `reports/`. Iterates each row source exactly once. */
export async function renderReports(inputs: ReportInputs): Promise<RenderedReports> {
  const dir = inputs.spoolDir;
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tally = new Tally();
  const items = await writeCsv(join(dir, 'items.csv'), ITEMS_COLUMNS, inputs.items, itemCells, (row) =>
    tally.item(row),
  );
  const exceptions = await writeCsv(
    join(dir, 'exceptions.csv'),
    EXCEPTIONS_COLUMNS,
    inputs.exceptions,
    exceptionCells,
    (row) => tally.exception(row),
  );
  const drift = await writeCsv(join(dir, 'drift.csv'), DRIFT_COLUMNS, inputs.drift, driftCells, (row) =>
    tally.drift(row),
  );
  const counts = tally.countRows();
  await writeCsv(join(dir, 'counts.csv'), COUNTS_COLUMNS, counts, countCells);
  const summary = summarize(inputs.summary, tally, { items, exceptions, drift });
  await writeRunFiles(dir, inputs, summary);
  const tagFiles = await Promise.all(REPORT_FILES.map((n) => fileTagFile(`reports/${n}`, join(dir, n))));
  return { tagFiles, summary, counts };
}

/** Counts accumulated while the rows stream past: per custodian and kind, and for the summary. */
class Tally {
  /** A counts.csv row in the making, keyed by "custodian NUL kind". */
  private readonly cells = new Map<
    string,
    { custodian: string; kind: ItemKind; items: number; bytes: number; exceptions: number; drift: number }
  >();
  readonly byKind: Partial<Record<ItemKind, number>> = {};
  readonly byReason: Partial<Record<ExceptionReason, number>> = {};
  bytes = 0;
  retryable = 0;

  item(row: ItemRow): void {
    this.bump(row.custodian, row.kind, 'items', row.size);
    this.byKind[row.kind] = (this.byKind[row.kind] ?? 0) + 1;
    this.bytes += row.size;
  }

  exception(row: ExceptionRow): void {
    // Scope and custodian gaps are not items of one kind; they count under the summary only.
    if (row.kind !== 'scope' && row.kind !== 'custodian')
      this.bump(row.custodian ?? '', row.kind, 'exceptions');
    this.byReason[row.reason] = (this.byReason[row.reason] ?? 0) + 1;
    if (row.retryable) this.retryable += 1;
  }

  drift(row: DriftRow): void {
    this.bump(row.custodian ?? '', row.kind, 'drift');
  }

  /** The counts.csv rows, in byte order of "custodian NUL kind": stable whatever order rows came in. */
  countRows(): CountRow[] {
    return [...this.cells.entries()]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([, c]) => c);
  }

  private bump(custodian: string, kind: ItemKind, field: 'items' | 'exceptions' | 'drift', bytes = 0): void {
    const key = `${custodian}\u0000${kind}`;
    let c = this.cells.get(key);
    if (c === undefined) {
      c = { custodian, kind, items: 0, bytes: 0, exceptions: 0, drift: 0 };
      this.cells.set(key, c);
    }
    c[field] += 1;
    c.bytes += bytes;
  }
}

/** The run's summary: what the pipeline knew, plus counts and status from the rows. */
function summarize(
  base: SummaryBase,
  tally: Tally,
  rows: { items: number; exceptions: number; drift: number },
): Summary {
  return {
    name: base.name,
    runId: base.runId,
    asOfCut: base.asOfCut,
    matter: base.matter ?? null,
    toolVersion: base.toolVersion,
    specSha256: base.specSha256,
    startedAt: base.startedAt,
    finishedAt: base.finishedAt,
    counts: {
      items: rows.items,
      bytes: tally.bytes,
      byKind: sortKeys(tally.byKind),
      exceptions: rows.exceptions,
      retryableExceptions: tally.retryable,
      exceptionsByReason: sortKeys(tally.byReason),
      drift: rows.drift,
      duplicates: base.duplicates ?? 0,
    },
    ...(base.quiescence === undefined ? {} : { quiescence: base.quiescence }),
    ...(base.requests === undefined ? {} : { requests: base.requests }),
    status: rows.exceptions > 0 ? 'gaps' : 'complete',
  };
}

/** summary.json, the job spec as given and resolved, and a snapshot of the custody log. */
async function writeRunFiles(dir: string, inputs: ReportInputs, summary: Summary): Promise<void> {
  // The spool lives in the private state folder: every file 0600 like the rest of it.
  const spool = { mode: PRIVATE_FILE_MODE };
  await writeFile(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`, spool);
  await writeFile(join(dir, 'job.yaml'), inputs.jobYaml, spool);
  await writeFile(join(dir, 'job.resolved.json'), `${JSON.stringify(inputs.jobResolved, null, 2)}\n`, spool);
  await copyFile(inputs.custodyLogPath, join(dir, 'custody.jsonl'));
  await chmod(join(dir, 'custody.jsonl'), PRIVATE_FILE_MODE);
}

function sortKeys<T extends Record<string, number | undefined>>(record: T): T {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}
