/**
 * Record shapes of the Compliance API (compliance-api.md §3). Every type keeps an index signature
 * and every enum is open (`Known | (string & {})`): unknown fields and values pass through
 * untouched (forward compatibility, §3). The archive stores the raw record (Page.rawItems), not
 * these views of it.
 */
type Open<K extends string> = K | (string & {});
interface Extra {
  [field: string]: unknown;
}

export interface UserRef extends Extra {
  id: string;
  email_address: string | null;
}

export interface Organization extends Extra {
  uuid: string;
  name: string;
  created_at: string;
}

export interface User extends Extra {
  id: string;
  email: string;
  full_name: string;
  organization_role: Open<
    | 'admin'
    | 'billing'
    | 'claude_code_user'
    | 'developer'
    | 'managed'
    | 'membership_admin'
    | 'owner'
    | 'primary_owner'
    | 'user'
  >;
  created_at: string;
}

export interface Role extends Extra {
  id: string;
  name: string;
  description: string;
  created_at: string | null;
  updated_at: string | null;
}

export interface Permission extends Extra {
  action: string;
  resource_id: string;
  resource_type: string;
}

export interface Group extends Extra {
  id: string;
  name: string;
  description: string;
  source_type: Open<'direct' | 'scim'>;
  roles: string[] | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface GroupMember extends Extra {
  user_id: string;
  email: string;
  created_at: string | null;
  updated_at: string | null;
}

export interface EffectiveSettings extends Extra {
  type?: string;
  organization_id: string;
  settings: (Extra & { name?: string; type?: string; value: unknown })[];
  api_keys: (Extra & {
    id: string;
    name: string;
    scopes: string[];
    is_active: boolean;
    created_at: string;
  })[];
}

export interface Activity extends Extra {
  id: string;
  type: string;
  created_at: string;
  organization_id?: string | null;
  organization_uuid?: string | null;
  actor?: Extra & { type: string };
}

export interface Chat extends Extra {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  href?: string;
  model?: string | null;
  organization_uuid: string;
  organization_id?: string;
  project_id: string | null;
  user: UserRef | null;
}

export interface FileRef extends Extra {
  id: string;
  filename: string;
  created_at?: string;
  mime_type: string | null;
  size_bytes: number | null;
  md5: string | null;
}

export interface ArtifactRef extends Extra {
  id: string;
  version_id: string;
  title: string | null;
  artifact_type: string | null;
}

export interface ChatMessage extends Extra {
  id: string;
  role: Open<'user' | 'assistant'>;
  created_at: string;
  content: (Extra & { type: string })[];
  files: FileRef[] | null;
  generated_files: FileRef[] | null;
  artifacts: ArtifactRef[] | null;
}

export interface FileMetadata extends Extra {
  id: string;
  filename: string | null;
  created_at: string;
  mime_type: string | null;
  size_bytes: number | null;
  md5: string | null;
  message_ids?: string[];
  claude_chat_ids?: string[];
}

export interface GeneratedFileMetadata extends Extra {
  id: string;
  claude_chat_id: string;
  filename: string;
  created_at: string | null;
  mime_type: string | null;
  size_bytes: number | null;
  md5: string | null;
}

export interface ArtifactVersionMetadata extends Extra {
  id: string;
  version_id: string;
  claude_chat_id: string;
  title: string | null;
  artifact_type: string | null;
  created_at: string;
  size_bytes: number;
  md5: string;
}

/** `GET /apps/artifacts/{version_id}/content` (newest docs: a JSON object, §3.12). */
export interface ArtifactContent extends Extra {
  content: string;
  title?: string | null;
  artifact_type?: string | null;
}

export interface Project extends Extra {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  is_private: boolean;
  organization_uuid: string;
  organization_id?: string;
  user: UserRef | null;
}

export interface ProjectDetail extends Project {
  description: string;
  instructions: string;
  chats_count: number;
  attachments_count: number;
}

export interface ProjectAttachment extends Extra {
  type: Open<'project_file' | 'project_doc'>;
  id: string;
  filename: string;
  created_at: string;
  mime_type: string;
  size_bytes?: number | null;
  md5?: string | null;
  updated_at?: string | null;
}

export interface ProjectCollaborator extends Extra {
  type: Open<'user' | 'group' | 'organization' | 'organization_role'>;
  role: Open<'admin' | 'editor' | 'owner' | 'viewer'>;
  granted_at: string;
}

export interface ProjectDocument extends Extra {
  id: string;
  filename: string;
  content: string;
  created_at: string;
  user: UserRef | null;
}

export interface ProjectDocumentMetadata extends Extra {
  id: string;
  claude_project_id: string;
  filename: string;
  created_at: string;
  mime_type: string;
  size_bytes: number;
  md5: string;
  user: UserRef | null;
}

export interface CodeArtifact extends Extra {
  id: string;
  artifact_type: string;
  organization_uuid: string;
  owner_user_id: string | null;
  published_version_id: string | null;
  read_mode: Open<'org' | 'owner' | 'public' | 'users'>;
  updated_at: string | null;
  user: UserRef | null;
  versions: (Extra & { id: string; created_at: string | null; name: string })[];
}

export interface LocalSession extends Extra {
  type?: string;
  id: string;
  organization_uuid: string;
  workspace_id: string | null;
  product_surface: string | null;
  user: UserRef;
  created_at: string;
}

export interface SessionMessage extends Extra {
  id: string;
  role: Open<'user' | 'assistant'>;
  created_at: string;
  content: (Extra & { type: string })[];
}

export interface RemoteSession extends Extra {
  id: string;
  organization_uuid: string;
  user: UserRef | null;
  agent_id: string | null;
  started_by_user: UserRef | null;
  status: Open<'pending' | 'active' | 'paused' | 'archived' | 'failed'>;
  created_at: string;
  updated_at: string;
  product_surface: string | null;
  claude_project_id: string | null;
}

/** Time-range filter: serialized as `created_at.gte=...` etc. */
export type TimeRange = {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
};
