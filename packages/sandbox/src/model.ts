/**
 * The sandbox's in-memory data model. Times are ms since the epoch. Every entity records when it
 * came into being and, where the API can show it, when it changed, was soft-deleted (`deletedAt`,
 * visible in the API) or hard-deleted (`removedAt`, gone from the API). Nothing is ever spliced
 * out of these arrays: a removal only stamps `removedAt`, so the mutation log and
 * `/_sandbox/truth?as_of=T` can answer "what existed at T" from the same records.
 *
 * Chat messages are NOT stored: they are regenerated on demand from (seed, chat index) by
 * `messages.ts`, which is what lets the `large` profile hold 1M messages in flat memory.
 */

export type Profile = 'small' | 'medium' | 'large';

export type UserRef = {
  id: string;
  email_address: string;
};

export interface Org {
  uuid: string;
  name: string;
  createdAt: number;
  removedAt: number | null;
}

export type OrgRole =
  | 'admin'
  | 'billing'
  | 'claude_code_user'
  | 'developer'
  | 'managed'
  | 'membership_admin'
  | 'owner'
  | 'primary_owner'
  | 'user';

export interface User {
  id: string;
  orgUuid: string;
  email: string;
  fullName: string;
  role: OrgRole;
  /** Account creation. */
  createdAt: number;
  /** Org join date (the users list sorts on it). */
  joinedAt: number;
  /** Left the org: dropped from the users list, `user: null` on their chats and projects. */
  leftAt: number | null;
}

export interface Permission {
  action: string;
  resource_id: string;
  resource_type: string;
}

export interface Role {
  id: string;
  orgUuid: string;
  name: string;
  description: string;
  createdAt: number | null;
  updatedAt: number | null;
  permissions: Permission[];
  removedAt: number | null;
}

export interface GroupMember {
  userId: string;
  createdAt: number | null;
  updatedAt: number | null;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  sourceType: 'direct' | 'scim';
  roleIds: string[] | null;
  createdAt: number | null;
  updatedAt: number | null;
  members: GroupMember[];
  removedAt: number | null;
}

/** Where a message carries an attachment: message index within the chat → what. */
export interface ChatAttachment {
  msg: number;
  kind: 'file' | 'generated' | 'artifact';
  /** Index into `world.blobs` (file, generated) or `world.artifactVersions` (artifact). */
  ref: number;
}

export interface Chat {
  index: number;
  uuid: string;
  id: string;
  orgUuid: string;
  userId: string;
  projectId: string | null;
  name: string;
  model: string | null;
  createdAt: number;
  updatedAt: number;
  /**
   * The value the eventually consistent updated_at index holds (§4.2): it catches up with
   * `updatedAt` after the configured lag. `order_by=updated_at` walks and filters use it.
   */
  indexedUpdatedAt: number;
  /** Soft delete by the user in claude.ai (§4.3 newest: content emptied, attachments gone). */
  deletedAt: number | null;
  /** Hard delete (Compliance API DELETE or retention). */
  removedAt: number | null;
  /** Messages generated with the world, spread evenly over [createdAt, lastMessageAt]. */
  messageCount: number;
  lastMessageAt: number;
  /** Times of messages added later (live mutations); they follow the generated ones. */
  appendedAt: number[];
  attachments: ChatAttachment[];
}

export type BlobKind = 'upload' | 'generated' | 'project_file';
export type BlobBody = 'text' | 'binary';

/** A downloadable file: chat upload, generated file, or project file. */
export interface Blob {
  index: number;
  uuid: string;
  id: string;
  kind: BlobKind;
  filename: string;
  mimeType: string | null;
  size: number;
  body: BlobBody;
  /** First bytes of a binary body (magic number), so format sniffing behaves. */
  magic: string;
  createdAt: number;
  removedAt: number | null;
  /** Chat uses (chat index, message index); several for a shared file. */
  uses: { chat: number; msg: number }[];
  projectId: string | null;
  /** Old upload: the message FileRef has `size_bytes`/`md5` null (§3.9). */
  legacyRef: boolean;
}

export interface ArtifactVersion {
  index: number;
  artifactId: string;
  versionId: string;
  chat: number;
  msg: number;
  title: string | null;
  artifactType: string | null;
  createdAt: number;
  /** Length of the generated text in characters. */
  chars: number;
  removedAt: number | null;
}

export type CollaboratorRole = 'admin' | 'editor' | 'owner' | 'viewer';
export type Collaborator =
  | { type: 'user'; user_id: string | null; role: CollaboratorRole; granted_at: string }
  | { type: 'group'; group_id: string; role: CollaboratorRole; granted_at: string }
  | { type: 'organization'; organization_uuid: string; role: CollaboratorRole; granted_at: string }
  | { type: 'organization_role'; organization_role: string; role: CollaboratorRole; granted_at: string };

export interface Project {
  index: number;
  uuid: string;
  id: string;
  orgUuid: string;
  userId: string;
  name: string;
  description: string;
  instructions: string;
  isPrivate: boolean;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  removedAt: number | null;
  /** Indices into `world.projectDocs`. */
  docs: number[];
  /** Indices into `world.blobs` (kind project_file). */
  files: number[];
  collaborators: Collaborator[];
}

export interface ProjectDoc {
  index: number;
  uuid: string;
  id: string;
  projectId: string;
  filename: string;
  userId: string;
  createdAt: number;
  chars: number;
  removedAt: number | null;
}

export interface CodeVersion {
  id: string;
  createdAt: number | null;
  name: string;
  size: number;
  mimeType: string;
  /** Stored uncompressed as one file: the download carries Content-MD5 (§3.15). */
  identityStored: boolean;
  /** Files in the version; more than one → 422 unless `multi_file_format=zip` (§3.15 newest). */
  files: number;
}

export interface CodeArtifact {
  index: number;
  id: string;
  orgUuid: string;
  ownerUserId: string | null;
  artifactType: string;
  readMode: 'org' | 'owner' | 'public' | 'users';
  createdAt: number;
  /** null: published before the field was recorded; never matches `updated_at.*` (§4.2). */
  updatedAt: number | null;
  /** What the lagging updated_at index holds; time filters read this. */
  indexedUpdatedAt: number | null;
  removedAt: number | null;
  /** Every version ever published, oldest first; only the newest RETAINED_VERSIONS are served. */
  versions: CodeVersion[];
  /** Pinned version, or null for "the latest". */
  pinnedVersionId: string | null;
  /** Row that exists in the identifier index but is never shown (other parent, purged org). */
  hiddenRow: boolean;
}

export interface SessionBase {
  index: number;
  id: string;
  orgUuid: string;
  createdAt: number;
  /** Messages generated with the world, 45 s apart from `createdAt`. */
  messageCount: number;
  /** Times of messages added later (live mutations); they follow the generated ones. */
  appendedAt: number[];
  removedAt: number | null;
}

export interface LocalSession extends SessionBase {
  userId: string;
  workspaceId: string | null;
  productSurface: string | null;
}

export interface RemoteSession extends SessionBase {
  userId: string | null;
  agentId: string | null;
  startedByUserId: string | null;
  status: 'pending' | 'active' | 'paused' | 'archived' | 'failed';
  updatedAt: number;
  productSurface: string | null;
  projectId: string | null;
}

/** An Activity Feed actor (§3.7): `type` names its kind, the other fields depend on it. */
export type Actor = { type: string; [field: string]: unknown };

export interface Activity {
  id: string;
  type: string;
  createdAt: number;
  orgUuid: string | null;
  actor: Actor;
  fields: Record<string, unknown>;
}

export interface ApiKeyRecord {
  /** Settings-list id (`apikey_…`). */
  id: string;
  name: string;
  secret: string;
  kind: 'compliance' | 'admin' | 'claude_api';
  scopes: string[];
  isActive: boolean;
  /** Past its expiry (Admin keys only, §5.3): 401 `API key has expired.` */
  expired?: boolean;
  /** null: parent-wide; otherwise the only org the key reaches. */
  orgUuid: string | null;
  createdAt: number;
  createdById: string | null;
}

export interface World {
  seed: number;
  profile: Profile;
  parentUuid: string;
  orgs: Org[];
  users: User[];
  roles: Role[];
  groups: Group[];
  chats: Chat[];
  blobs: Blob[];
  artifactVersions: ArtifactVersion[];
  projects: Project[];
  projectDocs: ProjectDoc[];
  /** Sorted by id (the list endpoint's order). */
  codeArtifacts: CodeArtifact[];
  localSessions: LocalSession[];
  remoteSessions: RemoteSession[];
  /** Sorted ascending by (createdAt, id). */
  activities: Activity[];
  apiKeys: ApiKeyRecord[];
  index: WorldIndex;
  /** Mutation log (live changes and DELETEs), in the order applied. */
  changes: Change[];
  /** updated_at index catch-ups not yet due. */
  pendingIndex: { kind: 'chat' | 'code_artifact'; ref: string; dueAt: number }[];
}

export interface Change {
  kind:
    | 'chat'
    | 'message'
    | 'file'
    | 'project'
    | 'project_document'
    | 'code_artifact'
    | 'code_artifact_version'
    | 'session';
  id: string;
  change: 'created' | 'updated' | 'soft_deleted' | 'deleted';
  /** RFC 3339. */
  at: string;
  /** For messages and code-artifact versions: the chat / artifact they belong to. */
  parent_id?: string;
}

export interface WorldIndex {
  chatById: Map<string, Chat>;
  chatByUuid: Map<string, Chat>;
  blobById: Map<string, Blob>;
  artifactVersionById: Map<string, ArtifactVersion>;
  projectById: Map<string, Project>;
  projectDocById: Map<string, ProjectDoc>;
  codeArtifactById: Map<string, CodeArtifact>;
  userById: Map<string, User>;
  roleById: Map<string, Role>;
  groupById: Map<string, Group>;
  localSessionById: Map<string, LocalSession>;
  remoteSessionById: Map<string, RemoteSession>;
  activityById: Map<string, Activity>;
  /** Chat indices sorted by (createdAt, uuid) and by (updatedAt, uuid). */
  chatsByCreated: number[];
  chatsByUpdated: number[];
}

/** About 20 most recent code-artifact versions are retained (§3.15). */
export const RETAINED_VERSIONS = 20;
