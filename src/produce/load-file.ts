/**
 * The Concordance load file `data/review/loadfile.dat`: UTF-8 (no BOM), one header row, then one
 * row per document in DOCID order, each row ended by CRLF. Every field is qualified by þ (U+00FE)
 * and fields are separated by DC4 (U+0014), the Concordance defaults that Relativity, Everlaw and
 * Nuix load without configuration. A line break inside a value (CRLF, CR or LF) is written as ®
 * (U+00AE), the Concordance newline marker.
 *
 * A value cannot carry the qualifier or the separator: the format has no escape. Each þ (U+00FE)
 * or DC4 (U+0014) inside a value is written as U+FFFD (the replacement character), and so is
 * every other C0 control but TAB, so a hostile file name can never end a field or a row early. The
 * exact value stays in `reports/items.csv` (same DOCID), and a literal ® in a value reads back as
 * a line break, as Concordance defines it. Dates are RFC 3339 as the API gave them (UTC).
 */
import type { ItemRow } from '../archive/report-rows.js';

const QUOTE = '\u00fe';
const SEPARATOR = '\u0014';
const NEWLINE = '\u00ae';

/** The load file's columns, in order, and what each takes from a document's row. */
const COLUMNS: readonly (readonly [string, (row: ItemRow) => string | number | null | undefined])[] = [
  ['DOCID', (r) => r.docid],
  ['PARENT_DOCID', (r) => r.parentDocid],
  ['CUSTODIAN', (r) => r.custodian],
  ['CUSTODIAN_NOTE', (r) => r.custodianNote],
  ['KIND', (r) => r.kind],
  ['SOURCE_ID', (r) => r.id],
  ['FILENAME', (r) => r.originalName],
  ['DATE_CREATED', (r) => r.createdAt],
  ['DATE_MODIFIED', (r) => r.updatedAt],
  ['DATE_DELETED', (r) => r.deletedAt],
  ['MD5HASH', (r) => r.md5],
  ['SHA256HASH', (r) => r.sha256],
  ['FILESIZE', (r) => r.size],
  ['NATIVEPATH', (r) => r.nativePath],
  ['TEXTPATH', (r) => r.textPath],
  ['CONVERSATION_ID', (r) => r.conversationId],
];

/** The column names, in order. */
export const LOAD_FILE_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u00fe\u0014\u0000-\u0008\u000b\u000c\u000e-\u0013\u0015-\u001f]/gu;

/** One field: line breaks as ®, qualifier, separator and other controls as U+FFFD, then qualified. */
function field(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return `${QUOTE}${text.replace(/\r\n|\r|\n/gu, NEWLINE).replace(UNSAFE, '\ufffd')}${QUOTE}`;
}

function line(fields: readonly (string | number | null | undefined)[]): string {
  return `${fields.map(field).join(SEPARATOR)}\r\n`;
}

/** The header row. */
export function loadFileHeader(): string {
  return line(LOAD_FILE_COLUMNS);
}

/** One document's row. */
export function loadFileRow(row: ItemRow): string {
  return line(COLUMNS.map(([, value]) => value(row)));
}
