/**
 * Renders the report rows (async iterables from the pipeline) into the tag files under
 * `reports/`. Rows stream through fast-csv into spool files in a directory the caller owns (the
 * state dir), so memory stays flat however many items there are. The counts (`counts.csv`,
 * `summary.json`) are the production stage's tally, given whole: this module counts nothing, so
 * no report can disagree with another. CSVs follow RFC 4180: CRLF row ends, a header row even
 * when there are no rows, quotes only where needed.
 *
 * Spreadsheet formulas are defused in every CSV: a cell that starts with `=`, `+`, `-`, `@`, TAB
 * or CR gets a leading `'` (OWASP "CSV injection"), so a hostile file name such as
 * `=HYPERLINK(...)` opens as text in Excel or LibreOffice. Only the CSVs: JSON, JSONL and
 * `metadata.json` stay verbatim, and the load file keeps the original (review platforms do not
 * evaluate formulas).
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
  ExceptionRow,
  ItemRow,
  ProductionCounts,
  ProductionTotals,
  Summary,
} from './report-rows.js';

/** items.csv columns (documented with `ItemRow` in report-rows.ts). */
const ITEMS_COLUMNS = [
  'docid',
  'parent_docid',
  'kind',
  'id',
  'custodian',
  'custodian_note',
  'original_name',
  'native_path',
  'text_path',
  'record_path',
  'conversation_id',
  'sha256',
  'md5',
  'size',
  'created_at',
  'updated_at',
  'deleted_at',
  'source_endpoint',
  'request_id',
  'records',
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

const COUNTS_COLUMNS = ['custodian', 'kind', 'documents', 'records', 'bytes', 'exceptions', 'drift'] as const;

export type Cell = string;

/** Characters a spreadsheet reads as the start of a formula (or that hide one: TAB, CR). */
const FORMULA_START = /^[=+\-@\t\r]/u;

/** A CSV cell: empty for null, and a leading `'` before anything a spreadsheet would evaluate. */
export function defuseCell(value: string | number | boolean | null | undefined): Cell {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

const cell = defuseCell;

function itemCells(row: ItemRow): Cell[] {
  return [
    row.docid,
    row.parentDocid,
    row.kind,
    row.id,
    row.custodian,
    row.custodianNote,
    row.originalName,
    row.nativePath,
    row.textPath,
    row.recordPath,
    row.conversationId,
    row.sha256,
    row.md5,
    row.size,
    row.createdAt,
    row.updatedAt,
    row.deletedAt,
    row.sourceEndpoint,
    row.requestId,
    row.records,
  ].map(cell);
}

function exceptionCells(row: ExceptionRow): Cell[] {
  return [
    row.kind,
    row.id,
    row.reason,
    row.retryable,
    row.custodian,
    row.parentId,
    row.endpoint,
    row.httpStatus,
    row.requestId,
    row.detail,
    row.at,
  ].map(cell);
}

function driftCells(row: DriftRow): Cell[] {
  return [
    row.kind,
    row.id,
    row.change,
    row.changedAt,
    row.beforeSha256,
    row.afterSha256,
    row.inArchive,
    row.pass,
    row.custodian,
  ].map(cell);
}

function countCells(row: CountRow): Cell[] {
  return [row.custodian, row.kind, row.documents, row.records, row.bytes, row.exceptions, row.drift].map(
    cell,
  );
}

/** Streams rows through fast-csv (RFC 4180) into `file`. Returns the number of data rows. */
export async function writeCsv<T>(
  file: string,
  headers: readonly string[],
  rows: AsyncIterable<T> | Iterable<T>,
  toCells: (row: T) => Cell[],
): Promise<number> {
  let count = 0;
  async function* cells(): AsyncGenerator<Cell[]> {
    for await (const row of rows) {
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
export async function fileTagFile(bagPath: string, fsPath: string): Promise<TagFile> {
  const { size } = await stat(fsPath);
  return { path: bagPath, size, open: () => createReadStream(fsPath) };
}

/** A small tag file held in memory. */
export function bufferTagFile(bagPath: string, bytes: Uint8Array | string): TagFile {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return { path: bagPath, size: buffer.length, open: () => Readable.from([buffer]) };
}

/** What the pipeline knows about the run; counts come from the tally, status from its exceptions. */
export type SummaryBase = Omit<Summary, 'counts' | 'status'> & {
  /** Goes into `counts.duplicates`; the other counts are the tally's. */
  readonly duplicates?: number;
};

export interface ReportInputs {
  /** A directory the caller owns (in the state dir); spool files are written here. */
  readonly spoolDir: string;
  readonly items: AsyncIterable<ItemRow> | Iterable<ItemRow>;
  readonly exceptions: AsyncIterable<ExceptionRow> | Iterable<ExceptionRow>;
  readonly drift: AsyncIterable<DriftRow> | Iterable<DriftRow>;
  /** The archive's counts (the production stage's tally of these same rows). */
  readonly counts: ProductionCounts;
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
  await writeCsv(join(dir, 'items.csv'), ITEMS_COLUMNS, inputs.items, itemCells);
  await writeCsv(join(dir, 'exceptions.csv'), EXCEPTIONS_COLUMNS, inputs.exceptions, exceptionCells);
  await writeCsv(join(dir, 'drift.csv'), DRIFT_COLUMNS, inputs.drift, driftCells);
  const { byCustodian, ...counts } = inputs.counts;
  await writeCsv(join(dir, 'counts.csv'), COUNTS_COLUMNS, byCustodian, countCells);
  const summary = summarize(inputs.summary, counts);
  await writeRunFiles(dir, inputs, summary);
  const tagFiles = await Promise.all(REPORT_FILES.map((n) => fileTagFile(`reports/${n}`, join(dir, n))));
  return { tagFiles, summary, counts: byCustodian };
}

/** The run's summary: what the pipeline knew, plus the tally's counts and the status they give. */
function summarize(base: SummaryBase, counts: ProductionTotals): Summary {
  return {
    name: base.name,
    runId: base.runId,
    asOfCut: base.asOfCut,
    matter: base.matter ?? null,
    toolVersion: base.toolVersion,
    specSha256: base.specSha256,
    startedAt: base.startedAt,
    finishedAt: base.finishedAt,
    counts: { ...counts, duplicates: base.duplicates ?? 0 },
    ...(base.quiescence === undefined ? {} : { quiescence: base.quiescence }),
    ...(base.requests === undefined ? {} : { requests: base.requests }),
    status: counts.exceptions > 0 ? 'gaps' : 'complete',
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
