/**
 * Journal lines: the record line this version writes (`{"type":"record","kind":…}`), and reading
 * lines back into `JournalLine`s, both that readable form and the short form earlier versions
 * wrote (`{"t":"r","k":…}`), so a state folder left by an earlier version resumes. A line that is
 * neither is corruption.
 */
import { ExportError } from '../errors.js';
import type { DriftChange, ExceptionReason } from '../archive/report-rows.js';
import type {
  ExceptionInput,
  JournalLine,
  JournalRecord,
  RecordInput,
  RecordKind,
  StagedFile,
} from './types.js';

/** The journal line of a stored version (fields the input leaves out are left out of the line). */
export function recordLine(input: RecordInput, hash: string, pass: number, at: string): JournalRecord {
  return {
    type: 'record',
    kind: input.kind,
    id: input.id,
    updatedAt: input.updatedAt,
    hash,
    ...(input.createdAt != null ? { createdAt: input.createdAt } : {}),
    ...(input.deletedAt != null ? { deletedAt: input.deletedAt } : {}),
    ...(input.custodian != null ? { custodian: input.custodian } : {}),
    ...(input.originalName != null ? { originalName: input.originalName } : {}),
    // A retried gap may know no parent ('' from an exception row without one): none recorded.
    ...(input.parent != null && input.parent !== '' ? { parent: input.parent } : {}),
    ...(input.refs !== undefined && input.refs.length > 0 ? { refs: [...input.refs] } : {}),
    ...(input.signals !== undefined ? { signals: input.signals } : {}),
    ...(input.files !== undefined && input.files.length > 0
      ? { files: input.files.map((f) => ({ path: f.path, sha256: f.sha256, md5: f.md5, size: f.size })) }
      : {}),
    ...(input.row !== undefined ? { row: { aggregate: input.row.aggregate, json: input.row.json } } : {}),
    ...(input.heldBy !== undefined ? { heldBy: input.heldBy } : {}),
    endpoint: input.source.endpoint,
    ...(input.source.query !== undefined ? { query: input.source.query } : {}),
    ...(input.source.requestId != null ? { requestId: input.source.requestId } : {}),
    pass,
    at,
  };
}

type Fields = Readonly<Record<string, unknown>>;

/** Typed reads of one line's fields; a field of the wrong type is corruption, named with its place. */
class LineReader {
  constructor(
    readonly fields: Fields,
    readonly where: string,
  ) {}

  has(name: string): boolean {
    return this.fields[name] !== undefined;
  }

  string(name: string): string {
    const v = this.fields[name];
    if (typeof v !== 'string') throw this.bad(name);
    return v;
  }

  stringOrNull(name: string): string | null {
    const v = this.fields[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw this.bad(name);
    return v;
  }

  number(name: string): number {
    const v = this.fields[name];
    if (typeof v !== 'number') throw this.bad(name);
    return v;
  }

  bad(name: string): ExportError {
    return new ExportError('store_corrupt', `${this.where}: journal field "${name}" has the wrong type`);
  }
}

/** The `files` of a record: objects in the readable form, `[path, sha256, md5, size]` in the short one. */
function files(r: LineReader, name: string): StagedFile[] {
  const v = r.fields[name];
  if (!Array.isArray(v)) throw r.bad(name);
  return v.map((f: unknown): StagedFile => {
    if (Array.isArray(f)) {
      const [path, sha256, md5, size] = f as unknown[];
      if (typeof path !== 'string' || typeof sha256 !== 'string' || typeof md5 !== 'string')
        throw r.bad(name);
      if (typeof size !== 'number') throw r.bad(name);
      return { path, sha256, md5, size };
    }
    if (typeof f !== 'object' || f === null) throw r.bad(name);
    const o = new LineReader(f as Fields, r.where);
    return {
      path: o.string('path'),
      sha256: o.string('sha256'),
      md5: o.string('md5'),
      size: o.number('size'),
    };
  });
}

function strings(r: LineReader, name: string): string[] {
  const v = r.fields[name];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw r.bad(name);
  return v as string[];
}

function row(r: LineReader, name: string, short: boolean): NonNullable<JournalRecord['row']> {
  const v = r.fields[name];
  if (typeof v !== 'object' || v === null) throw r.bad(name);
  const o = new LineReader(v as Fields, r.where);
  return short
    ? { aggregate: o.string('a'), json: o.string('j') }
    : { aggregate: o.string('aggregate'), json: o.string('json') };
}

/** Field names of a record line: readable, and the short form of earlier versions. */
const RECORD_FIELDS = {
  readable: {
    kind: 'kind',
    updatedAt: 'updatedAt',
    hash: 'hash',
    createdAt: 'createdAt',
    deletedAt: 'deletedAt',
    custodian: 'custodian',
    originalName: 'originalName',
    parent: 'parent',
    signals: 'signals',
    files: 'files',
    row: 'row',
    endpoint: 'endpoint',
    query: 'query',
    requestId: 'requestId',
    pass: 'pass',
  },
  short: {
    kind: 'k',
    updatedAt: 'u',
    hash: 'h',
    createdAt: 'c',
    deletedAt: 'd',
    custodian: 'cu',
    originalName: 'on',
    // The short form predates parents: never present there.
    parent: 'parent',
    signals: 'sg',
    files: 'f',
    row: 'row',
    endpoint: 'ep',
    query: 'q',
    requestId: 'rid',
    pass: 'p',
  },
} as const;

function record(r: LineReader, short: boolean): JournalRecord {
  const n = short ? RECORD_FIELDS.short : RECORD_FIELDS.readable;
  const optional = (name: string): { present: boolean; value: string | null } => ({
    present: r.has(name),
    value: r.stringOrNull(name),
  });
  const createdAt = optional(n.createdAt);
  const deletedAt = optional(n.deletedAt);
  const custodian = optional(n.custodian);
  const originalName = optional(n.originalName);
  const parent = optional(n.parent);
  const requestId = optional(n.requestId);
  return {
    type: 'record',
    kind: r.string(n.kind) as RecordKind,
    id: r.string('id'),
    updatedAt: r.stringOrNull(n.updatedAt),
    hash: r.string(n.hash),
    ...(createdAt.present ? { createdAt: createdAt.value } : {}),
    ...(deletedAt.present ? { deletedAt: deletedAt.value } : {}),
    ...(custodian.present ? { custodian: custodian.value } : {}),
    ...(originalName.present ? { originalName: originalName.value } : {}),
    ...(parent.present ? { parent: parent.value } : {}),
    ...(r.has(n.signals) ? { signals: r.string(n.signals) } : {}),
    ...(r.has(n.files) ? { files: files(r, n.files) } : {}),
    ...(r.has(n.row) ? { row: row(r, n.row, short) } : {}),
    ...(r.has('heldBy') ? { heldBy: r.string('heldBy') } : {}),
    ...(r.has('refs') ? { refs: strings(r, 'refs') } : {}),
    endpoint: r.string(n.endpoint),
    ...(r.has(n.query) ? { query: r.string(n.query) } : {}),
    ...(requestId.present ? { requestId: requestId.value } : {}),
    pass: r.number(n.pass),
    at: r.string('at'),
  };
}

/** An exception row as both forms write it (the same field names, only the tag differs). */
function exception(r: LineReader): JournalLine {
  const optional = <T>(name: string, read: () => T): { [k: string]: T } =>
    r.has(name) ? { [name]: read() } : {};
  const retryable = r.fields['retryable'];
  if (typeof retryable !== 'boolean') throw r.bad('retryable');
  return {
    type: 'exception',
    kind: r.string('kind') as ExceptionInput['kind'],
    id: r.string('id'),
    reason: r.string('reason') as ExceptionReason,
    retryable,
    detail: r.string('detail'),
    ...optional('parent', () => r.stringOrNull('parent')),
    ...optional('httpStatus', () => r.number('httpStatus')),
    ...optional('endpoint', () => r.stringOrNull('endpoint')),
    ...optional('requestId', () => r.stringOrNull('requestId')),
    pass: r.number('pass'),
    at: r.string('at'),
  };
}

function drift(r: LineReader): JournalLine {
  return {
    type: 'drift',
    kind: r.string('kind'),
    id: r.string('id'),
    change: r.string('change') as DriftChange,
    beforeSha256: r.stringOrNull('beforeSha256'),
    afterSha256: r.stringOrNull('afterSha256'),
    updatedAt: r.stringOrNull('updatedAt'),
    pass: r.number('pass'),
  };
}

/** `kind\tid` as the short form's exception-cleared line names an item. */
function splitKey(r: LineReader): { kind: string; id: string } {
  const key = r.string('key');
  const tab = key.indexOf('\t');
  if (tab < 0) throw r.bad('key');
  return { kind: key.slice(0, tab), id: key.slice(tab + 1) };
}

/** What the item index reads back from an item's line: who it is and what dedupe compares. */
export interface ItemLineFields {
  readonly type: 'record' | 'excluded';
  readonly kind: string;
  readonly id: string;
  readonly updatedAt: string | null;
  readonly hash: string;
  readonly signals?: string;
  readonly heldBy?: string;
}

/**
 * Those fields of a record or `excluded` line, either form, without building the rest (files,
 * row: replay on open checked the whole line already); null for a line of another type.
 */
export function itemLineFields(value: unknown, where: string): ItemLineFields | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ExportError('store_corrupt', `${where}: bad journal line`);
  }
  const r = new LineReader(value as Fields, where);
  const tag = r.fields['type'] ?? r.fields['t'];
  const type =
    tag === 'record' || tag === 'r' ? 'record' : tag === 'excluded' || tag === 'e' ? 'excluded' : null;
  if (type === null) return null;
  const n = tag === 'r' || tag === 'e' ? RECORD_FIELDS.short : RECORD_FIELDS.readable;
  const record = type === 'record';
  return {
    type,
    kind: r.string(n.kind),
    id: r.string('id'),
    updatedAt: r.stringOrNull(n.updatedAt),
    hash: r.string(n.hash),
    ...(record && r.has(n.signals) ? { signals: r.string(n.signals) } : {}),
    ...(record && r.has('heldBy') ? { heldBy: r.string('heldBy') } : {}),
  };
}

/** One parsed journal line as a `JournalLine`; `where` names it in an error. */
export function parseJournalLine(value: unknown, where: string): JournalLine {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ExportError('store_corrupt', `${where}: bad journal line`);
  }
  const r = new LineReader(value as Fields, where);
  const tag = r.fields['type'] ?? r.fields['t'];
  switch (tag) {
    case 'record':
      return record(r, false);
    case 'r':
      return record(r, true);
    case 'excluded':
    case 'e': {
      const short = tag === 'e';
      return {
        type: 'excluded',
        kind: r.string(short ? 'k' : 'kind') as RecordKind,
        id: r.string('id'),
        updatedAt: r.stringOrNull(short ? 'u' : 'updatedAt'),
        hash: r.string(short ? 'h' : 'hash'),
        pass: r.number(short ? 'p' : 'pass'),
      };
    }
    case 'exception':
    case 'x':
      return exception(r);
    case 'exception_cleared':
      return { type: 'exception_cleared', kind: r.string('kind'), id: r.string('id') };
    case 'xr':
      return { type: 'exception_cleared', ...splitKey(r) };
    case 'drift':
    case 'd':
      return drift(r);
    case 'checkpoint':
      return {
        type: 'checkpoint',
        walk: r.string('walk'),
        cursor: r.stringOrNull('cursor'),
        done: r.fields['done'] === true,
      };
    case 'c':
      return {
        type: 'checkpoint',
        walk: r.string('w'),
        cursor: r.stringOrNull('cur'),
        done: r.fields['done'] === true,
      };
    case 'meta':
      return { type: 'meta', name: r.string('name'), value: r.fields['value'] };
    case 'seen':
      return { type: 'seen', kind: r.string('kind') as RecordKind, id: r.string('id') };
    case 'removed':
      return { type: 'removed', kind: r.string('kind') as RecordKind, id: r.string('id') };
    case 'm':
      return { type: 'meta', name: r.string('key'), value: r.fields['value'] };
    default:
      throw new ExportError('store_corrupt', `${where}: unknown journal line`);
  }
}
