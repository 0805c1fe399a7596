/**
 * What a document's row says, from its staged record and its kind's role (ITEM_KINDS): which
 * payload file is its native, which is the API record kept beside it, which are data sets of
 * their own, and who its custodian is.
 */
import type { CustodianNote, ItemKind, ItemRow } from '../archive/report-rows.js';
import type { DocumentKind } from '../collect/index.js';
import type { StagedFile, StoredRecord } from '../store/index.js';

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** A record's payload files by role. */
export interface RecordFiles {
  /** The native (a `content` kind's own file); null for a conversation (its RSMF is made here). */
  readonly native: StagedFile | null;
  /** The API record kept beside the native (`metadata.json`), or a conversation's archived JSON. */
  readonly record: StagedFile | null;
  /** Files that are data sets of their own (a project's attachments and collaborators lists). */
  readonly datasets: readonly { readonly file: StagedFile; readonly kind: ItemKind }[];
}

export function filesOf(record: StoredRecord, role: DocumentKind): RecordFiles {
  if (role.native === 'conversation') return { native: null, record: record.files[0] ?? null, datasets: [] };
  let native: StagedFile | null = null;
  let meta: StagedFile | null = null;
  const datasets: { file: StagedFile; kind: ItemKind }[] = [];
  for (const file of record.files) {
    const name = baseName(file.path);
    const datasetKind = role.datasetFiles?.[name];
    if (datasetKind !== undefined) datasets.push({ file, kind: datasetKind });
    else if (role.recordFile !== undefined && name === role.recordFile) meta = file;
    else native ??= file;
  }
  return { native, record: meta, datasets };
}

/** A document's custodian: its own, else its family root's; empty means the API gave `user: null`. */
export function custodianOf(
  record: Pick<StoredRecord, 'custodian'>,
  root: { readonly custodian: string } | null,
): { custodian: string; custodianNote: CustodianNote | null } {
  const custodian = record.custodian || root?.custodian || '';
  return { custodian, custodianNote: custodian === '' ? 'api_user_null' : null };
}

/** The row fields every document and data-set row takes from its record as they are. */
export function recordFields(
  r: StoredRecord,
): Pick<
  ItemRow,
  'kind' | 'id' | 'originalName' | 'createdAt' | 'updatedAt' | 'deletedAt' | 'sourceEndpoint' | 'requestId'
> {
  return {
    kind: r.kind,
    id: r.id,
    originalName: r.originalName,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    deletedAt: r.deletedAt,
    sourceEndpoint: r.endpoint,
    requestId: r.requestId,
  };
}

/** `data/<path>`: a payload path relative to the bag root, as the load file and items.csv give it. */
export const bagPath = (payloadPath: string): string => `data/${payloadPath}`;
