/**
 * The lines of an inventory (`reports/inventory.jsonl`) copied out of a stored archive, read as a
 * stream (an inventory has a line per record; it is never held whole) and validated one by one:
 * the header first, then exactly `header.records` record lines, every field of the type
 * `types.ts` gives it, every path one that cannot leave the bag. Anything else is `chain_broken`
 * naming the file and the line: the archive's tag manifest vouches for the bytes, not for the
 * writer, and `materialize` writes files at these paths.
 */
import { createReadStream } from 'node:fs';
import { ExportError } from '../errors.js';
import { isRunId } from '../sink/sink.js';
import type { RecordKind } from '../store/types.js';
import type { InventoryHeader, InventoryLine, InventoryRecord } from './types.js';

/** A record line holds a record's fields and its file list; 4 MiB is far past any real one. */
export const MAX_INVENTORY_LINE = 4 * 1024 * 1024;

/** Every record kind; `Record<RecordKind, …>` makes a new kind without an entry a compile error. */
const KINDS: Readonly<Record<RecordKind, true>> = {
  organization: true,
  user: true,
  role: true,
  group: true,
  group_member: true,
  setting: true,
  activity: true,
  chat: true,
  file: true,
  generated_file: true,
  chat_artifact: true,
  project: true,
  project_attachment: true,
  project_collaborator: true,
  project_document: true,
  code_artifact: true,
  code_artifact_version: true,
  session: true,
};

const HEADER_KEYS = ['type', 'format', 'name', 'runId', 'asOfCut', 'previous', 'specSha256', 'records'];
const RECORD_KEYS = [
  'type',
  'kind',
  'id',
  'updatedAt',
  'createdAt',
  'deletedAt',
  'custodian',
  'originalName',
  'parent',
  'refs',
  'signals',
  'hash',
  'files',
  'row',
  'endpoint',
  'heldBy',
];
const FILE_KEYS = ['path', 'sha256', 'md5', 'size'];
const ROW_KEYS = ['aggregate', 'sha256', 'size'];

/** What is wrong with a line's value, or null when it is right. */
type Check = (value: unknown) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const hex =
  (n: number): Check =>
  (v) =>
    typeof v === 'string' && new RegExp(`^[0-9a-f]{${n}}$`, 'u').test(v)
      ? null
      : `not ${n} lowercase hex digits`;
const text: Check = (v) => (typeof v === 'string' && v !== '' ? null : 'not a non-empty string');
const textOrNull: Check = (v) => (v === null || typeof v === 'string' ? null : 'not a string or null');
const count: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? null : 'not a count');
const runId: Check = (v) => (typeof v === 'string' && isRunId(v) ? null : 'not a run-id');
const date: Check = (v) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? null : 'not an RFC 3339 date';
const dateOrNull: Check = (v) => (v === null ? null : date(v));
const exactly =
  (expected: unknown): Check =>
  (v) =>
    v === expected ? null : `not ${JSON.stringify(expected)}`;
const kind: Check = (v) => (typeof v === 'string' && Object.hasOwn(KINDS, v) ? null : 'not a record kind');

/** A path under the bag's `data/`: relative, `/`-separated, no empty, `.` or `..` segment. */
const bagPath: Check = (v) => {
  if (typeof v !== 'string' || v === '') return 'not a non-empty string';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/u.test(v)) return 'holds a control character or a backslash';
  // Our bag paths are made safe (src/archive/safe-name.ts) and never hold `%`: BagIt manifests
  // percent-encode, so a `%` here would name another file to a validator.
  if (v.includes('%')) return 'holds a %';
  return v.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
    ? null
    : 'not a relative path inside the bag';
};

/** Checks `value`'s keys (exactly `keys`) and fields; the first fault as `field: why`. */
function fault(
  value: unknown,
  keys: readonly string[],
  fields: Record<string, Check>,
  at = '',
): string | null {
  if (!isObject(value)) return `${at || 'line'}: not a JSON object`;
  for (const key of Object.keys(value))
    if (!keys.includes(key)) return `${at}${key}: not a field of this line`;
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) return `${at}${key}: missing`;
    const why = fields[key]?.(value[key]) ?? null;
    if (why !== null) return `${at}${key}: ${why}`;
  }
  return null;
}

const HEADER: Record<string, Check> = {
  type: exactly('inventory'),
  format: exactly(1),
  name: text,
  runId,
  asOfCut: date,
  previous: (v) => (v === null ? null : runId(v)),
  specSha256: hex(64),
  records: count,
};

const FILE: Record<string, Check> = { path: bagPath, sha256: hex(64), md5: hex(32), size: count };
const ROW: Record<string, Check> = { aggregate: bagPath, sha256: hex(64), size: count };

const RECORD: Record<string, Check> = {
  type: exactly('record'),
  kind,
  id: text,
  updatedAt: dateOrNull,
  createdAt: dateOrNull,
  deletedAt: dateOrNull,
  custodian: textOrNull,
  originalName: textOrNull,
  parent: textOrNull,
  refs: (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? null : 'not a list of strings'),
  signals: textOrNull,
  hash: hex(64),
  files: (v) => {
    if (!Array.isArray(v)) return 'not an array';
    for (const [i, file] of v.entries()) {
      const why = fault(file, FILE_KEYS, FILE, `[${i}].`);
      if (why !== null) return why;
    }
    return null;
  },
  row: (v) => (v === null ? null : fault(v, ROW_KEYS, ROW, '.')),
  endpoint: text,
  heldBy: runId,
};

/**
 * The lines of an inventory file copied out by `copyTagFile`, validated one by one (a header
 * first, then records; `chain_broken` naming the file and line on anything else).
 */
export async function* readInventory(path: string): AsyncGenerator<InventoryLine> {
  const fail = (line: number, why: string): ExportError =>
    new ExportError('chain_broken', `${path}:${line}: ${why}`);
  let header: InventoryHeader | null = null;
  let records = 0;
  let last = 0;
  for await (const { number, text: raw } of lines(path, fail)) {
    last = number;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw fail(number, 'not JSON');
    }
    if (header === null) {
      const why = fault(value, HEADER_KEYS, HEADER);
      if (why !== null) throw fail(number, `not an inventory header: ${why}`);
      header = value as InventoryHeader;
      yield header;
      continue;
    }
    const why = fault(value, RECORD_KEYS, RECORD);
    if (why !== null) throw fail(number, `not an inventory record: ${why}`);
    const record = value as InventoryRecord;
    if (record.row !== null && record.files.length > 0)
      throw fail(number, 'an aggregate row with payload files');
    records += 1;
    if (records > header.records) throw fail(number, `more record lines than the header's ${header.records}`);
    yield record;
  }
  if (header === null) throw fail(1, 'empty: no inventory header');
  if (records !== header.records)
    throw fail(last, `${records} record lines, the header says ${header.records}`);
}

/**
 * The file's lines (UTF-8, `\n`-terminated; the last may lack it), each at most
 * `MAX_INVENTORY_LINE` bytes, without holding more than one line and one chunk.
 */
async function* lines(
  path: string,
  fail: (line: number, why: string) => ExportError,
): AsyncGenerator<{ number: number; text: string }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes: Buffer, number: number): string => {
    try {
      return decoder.decode(bytes);
    } catch {
      throw fail(number, 'not UTF-8');
    }
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 1;
  let stream;
  try {
    stream = createReadStream(path);
    for await (const chunk of stream) {
      let buffer = chunk as Buffer;
      for (let newline = buffer.indexOf(0x0a); newline !== -1; newline = buffer.indexOf(0x0a)) {
        if (pendingBytes + newline > MAX_INVENTORY_LINE)
          throw fail(number, `longer than ${MAX_INVENTORY_LINE} bytes`);
        const line = Buffer.concat([...pending, buffer.subarray(0, newline)]);
        pending = [];
        pendingBytes = 0;
        yield { number, text: decode(line, number) };
        number += 1;
        buffer = buffer.subarray(newline + 1);
      }
      pendingBytes += buffer.length;
      if (pendingBytes > MAX_INVENTORY_LINE) throw fail(number, `longer than ${MAX_INVENTORY_LINE} bytes`);
      if (buffer.length > 0) pending.push(buffer);
    }
  } catch (error) {
    if (error instanceof ExportError) throw error;
    throw new ExportError(
      'chain_broken',
      `${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    stream?.destroy();
  }
  if (pendingBytes > 0) yield { number, text: decode(Buffer.concat(pending), number) };
}
