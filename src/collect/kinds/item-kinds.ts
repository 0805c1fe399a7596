/**
 * What each kind of staged item is to a recipient: a reviewable DOCUMENT (one load-file row, a
 * DOCID, a native and maybe extracted text) or a row of a DATA SET (directory records, activities,
 * settings: counted as records, one items.csv row per data-set file). The production stage
 * (src/produce/) reads nothing else to decide; the `Record<ItemKind, …>` type makes a new kind
 * without a row here a compile error, so adding a kind forces the decision.
 */
import type { ItemKind } from '../../archive/report-rows.js';

/** A document kind: how its native is chosen and which kinds its recorded parent may name. */
export interface DocumentKind {
  readonly role: 'document';
  /**
   * Order of kinds between family roots and within a family (families: a chat, project or code
   * artifact followed by its children; any document whose parent is not in the archive stands alone).
   */
  readonly rank: number;
  /**
   * `conversation`: the native is the RSMF rendered from the archived API document (chats,
   * sessions); `content`: the item's own payload file (see `recordFile`, `datasetFiles`).
   */
  readonly native: 'conversation' | 'content';
  /** Kinds a recorded parent id is looked up as, in this order (empty: always a family root). */
  readonly parents: readonly ItemKind[];
  /**
   * File name (in the item's folder) of the API's record kept beside the content (`metadata.json`):
   * not the native, listed as the row's record path.
   */
  readonly recordFile?: string;
  /** Files of the item that are data sets of their own (file name → data-set kind). */
  readonly datasetFiles?: Readonly<Record<string, ItemKind>>;
}

/** A data-set kind: records counted, rows of a JSONL aggregate or whole files (settings). */
export interface DatasetKind {
  readonly role: 'dataset';
  /** The JSONL aggregate (under `data/`) its records are rows of, or null when each is a file. */
  readonly aggregate: string | null;
}

export type ItemKindRole = DocumentKind | DatasetKind;

const doc = (
  rank: number,
  native: DocumentKind['native'],
  parents: readonly ItemKind[] = [],
  extra: Pick<DocumentKind, 'recordFile' | 'datasetFiles'> = {},
): DocumentKind => ({ role: 'document', rank, native, parents, ...extra });

const dataset = (aggregate: string | null): DatasetKind => ({ role: 'dataset', aggregate });

/** Every item kind's role. Ranks order families: chats, their orphans, projects, code artifacts, sessions. */
export const ITEM_KINDS: Readonly<Record<ItemKind, ItemKindRole>> = {
  chat: doc(0, 'conversation'),
  // A file is reached through a chat's messages or a project's attachments (whichever came first).
  file: doc(1, 'content', ['chat', 'project'], { recordFile: 'metadata.json' }),
  generated_file: doc(2, 'content', ['chat'], { recordFile: 'metadata.json' }),
  chat_artifact: doc(3, 'content', ['chat']),
  project: doc(4, 'content', [], {
    datasetFiles: {
      'attachments.jsonl': 'project_attachment',
      'collaborators.jsonl': 'project_collaborator',
    },
  }),
  project_document: doc(5, 'content', ['project'], { recordFile: 'metadata.json' }),
  code_artifact: doc(6, 'content'),
  code_artifact_version: doc(7, 'content', ['code_artifact']),
  session: doc(8, 'conversation'),
  organization: dataset('directory/organizations.jsonl'),
  user: dataset('directory/users.jsonl'),
  role: dataset('directory/roles.jsonl'),
  group: dataset('directory/groups.jsonl'),
  group_member: dataset('directory/group_members.jsonl'),
  setting: dataset(null),
  activity: dataset('activities/activities.jsonl'),
  // Lines of a project's attachments.jsonl / collaborators.jsonl (the project record's files).
  project_attachment: dataset(null),
  project_collaborator: dataset(null),
};
