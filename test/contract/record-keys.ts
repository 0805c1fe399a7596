/**
 * The keys of every Compliance API record type the client declares (src/api/types.ts), written out
 * once and checked by the compiler against those types (a wrong, missing or extra key does not
 * compile), plus the documented fields the client leaves to its index signature. The contract test
 * compares what the sandbox serves with these lists.
 */
import type * as Api from '../../src/api/types.js';

/** The keys a client type declares, without its `[field: string]: unknown` pass-through. */
export type Declared<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };
/** Each declared key, marked as the client type marks it; the compiler rejects a wrong or missing key. */
type Presence<T> = {
  [K in keyof T as string extends K ? never : K]-?: object extends Pick<T, K> ? 'optional' : 'required';
};
export type Item = Record<string, unknown>;

interface Shape {
  readonly keys: Readonly<Record<string, 'required' | 'optional'>>;
  /** Documented fields the sandbox serves that the client type leaves to its index signature. */
  readonly unmodelled?: readonly string[];
  /** Per-type fields beyond the declared ones are expected (the Activity Feed). */
  readonly open?: boolean;
}

const shape = <T>(keys: Presence<T>, more: Omit<Shape, 'keys'> = {}): Shape => ({
  keys,
  ...more,
});

const USER_REF = shape<Api.UserRef>({ id: 'required', email_address: 'required' });
const DIRECTORY = {
  Organization: shape<Api.Organization>({ uuid: 'required', name: 'required', created_at: 'required' }),
  User: shape<Api.User>({
    id: 'required',
    email: 'required',
    full_name: 'required',
    organization_role: 'required',
    created_at: 'required',
  }),
  Role: shape<Api.Role>({
    id: 'required',
    name: 'required',
    description: 'required',
    created_at: 'required',
    updated_at: 'required',
  }),
  Permission: shape<Api.Permission>({
    action: 'required',
    resource_id: 'required',
    resource_type: 'required',
  }),
  EffectiveSettings: shape<Api.EffectiveSettings>({
    type: 'optional',
    organization_id: 'required',
    settings: 'required',
    api_keys: 'required',
  }),
  Setting: shape<Api.EffectiveSettings['settings'][number]>({
    name: 'optional',
    type: 'optional',
    value: 'required',
  }),
  ApiKey: shape<Api.EffectiveSettings['api_keys'][number]>(
    { id: 'required', name: 'required', scopes: 'required', is_active: 'required', created_at: 'required' },
    { unmodelled: ['type', 'created_by_id', 'expires_at'] },
  ),
  Group: shape<Api.Group>({
    id: 'required',
    name: 'required',
    description: 'required',
    source_type: 'required',
    roles: 'required',
    created_at: 'required',
    updated_at: 'required',
  }),
  GroupMember: shape<Api.GroupMember>({
    user_id: 'required',
    email: 'required',
    created_at: 'required',
    updated_at: 'required',
  }),
  Activity: shape<Api.Activity>(
    {
      id: 'required',
      type: 'required',
      created_at: 'required',
      organization_id: 'optional',
      organization_uuid: 'optional',
      actor: 'optional',
    },
    { open: true },
  ),
};

const CHAT_KEYS: Presence<Api.Chat> = {
  id: 'required',
  name: 'required',
  created_at: 'required',
  updated_at: 'required',
  deleted_at: 'required',
  href: 'optional',
  model: 'optional',
  organization_uuid: 'required',
  organization_id: 'optional',
  project_id: 'required',
  user: 'required',
};
const FILE_META = {
  mime_type: 'required',
  size_bytes: 'required',
  md5: 'required',
} as const;
const CHATS = {
  Chat: shape<Api.Chat>(CHAT_KEYS),
  ChatMessage: shape<Api.ChatMessage>({
    id: 'required',
    role: 'required',
    created_at: 'required',
    content: 'required',
    files: 'required',
    generated_files: 'required',
    artifacts: 'required',
  }),
  FileRef: shape<Api.FileRef>({ id: 'required', filename: 'required', created_at: 'optional', ...FILE_META }),
  ArtifactRef: shape<Api.ArtifactRef>({
    id: 'required',
    version_id: 'required',
    title: 'required',
    artifact_type: 'required',
  }),
  FileMetadata: shape<Api.FileMetadata>({
    id: 'required',
    filename: 'required',
    created_at: 'required',
    ...FILE_META,
    message_ids: 'optional',
    claude_chat_ids: 'optional',
  }),
  GeneratedFileMetadata: shape<Api.GeneratedFileMetadata>({
    id: 'required',
    claude_chat_id: 'required',
    filename: 'required',
    created_at: 'required',
    ...FILE_META,
  }),
  ArtifactVersionMetadata: shape<Api.ArtifactVersionMetadata>({
    id: 'required',
    version_id: 'required',
    claude_chat_id: 'required',
    title: 'required',
    artifact_type: 'required',
    created_at: 'required',
    size_bytes: 'required',
    md5: 'required',
  }),
  ArtifactContent: shape<Api.ArtifactContent>({
    content: 'required',
    title: 'optional',
    artifact_type: 'optional',
  }),
};

const PROJECT_KEYS: Presence<Api.Project> = {
  id: 'required',
  name: 'required',
  created_at: 'required',
  updated_at: 'required',
  deleted_at: 'required',
  is_private: 'required',
  organization_uuid: 'required',
  organization_id: 'optional',
  user: 'required',
};
const PROJECTS = {
  Project: shape<Api.Project>(PROJECT_KEYS),
  ProjectDetail: shape<Api.ProjectDetail>({
    ...PROJECT_KEYS,
    description: 'required',
    instructions: 'required',
    chats_count: 'required',
    attachments_count: 'required',
  }),
  ProjectAttachment: shape<Api.ProjectAttachment>({
    type: 'required',
    id: 'required',
    filename: 'required',
    created_at: 'required',
    mime_type: 'required',
    size_bytes: 'optional',
    md5: 'optional',
    updated_at: 'optional',
  }),
  // §3.11: one id field per collaborator type, read through the client's index signature (the
  // sandbox grants to users and groups only).
  ProjectCollaborator: shape<Api.ProjectCollaborator>(
    { type: 'required', role: 'required', granted_at: 'required' },
    { unmodelled: ['user_id', 'group_id'] },
  ),
  ProjectDocument: shape<Api.ProjectDocument>({
    id: 'required',
    filename: 'required',
    content: 'required',
    created_at: 'required',
    user: 'required',
  }),
  ProjectDocumentMetadata: shape<Api.ProjectDocumentMetadata>({
    id: 'required',
    claude_project_id: 'required',
    filename: 'required',
    created_at: 'required',
    mime_type: 'required',
    size_bytes: 'required',
    md5: 'required',
    user: 'required',
  }),
  CodeArtifact: shape<Api.CodeArtifact>({
    id: 'required',
    artifact_type: 'required',
    organization_uuid: 'required',
    owner_user_id: 'required',
    published_version_id: 'required',
    read_mode: 'required',
    updated_at: 'required',
    user: 'required',
    versions: 'required',
  }),
  CodeArtifactVersion: shape<Api.CodeArtifact['versions'][number]>({
    id: 'required',
    created_at: 'required',
    name: 'required',
  }),
};

const SESSIONS = {
  LocalSession: shape<Api.LocalSession>(
    {
      type: 'optional',
      id: 'required',
      organization_uuid: 'required',
      workspace_id: 'required',
      product_surface: 'required',
      user: 'required',
      created_at: 'required',
    },
    { unmodelled: ['updated_at'] },
  ),
  // §3.14 local messages carry type and provenance, remote ones sent_by_user_id and content_unavailable.
  SessionMessage: shape<Api.SessionMessage>(
    { id: 'required', role: 'required', created_at: 'required', content: 'required' },
    { unmodelled: ['type', 'provenance', 'sent_by_user_id', 'content_unavailable'] },
  ),
  RemoteSession: shape<Api.RemoteSession>({
    id: 'required',
    organization_uuid: 'required',
    user: 'required',
    agent_id: 'required',
    started_by_user: 'required',
    status: 'required',
    created_at: 'required',
    updated_at: 'required',
    product_surface: 'required',
    claude_project_id: 'required',
  }),
};

export const SHAPES: Record<string, Shape> = {
  UserRef: USER_REF,
  ...DIRECTORY,
  ...CHATS,
  ...PROJECTS,
  ...SESSIONS,
};

/**
 * `Type.key` for every key a served record has that the type does not allow (`+`), every required
 * key it lacks (`-`), and every allowed key no record of that type carried at all (`?`).
 */
export function keyDrift(name: string, shape: Shape, items: readonly Item[]): string[] {
  const allowed = new Set([...Object.keys(shape.keys), ...(shape.unmodelled ?? [])]);
  const seen = new Set<string>();
  const drift = new Set<string>();
  for (const item of items) {
    for (const key of Object.keys(item)) {
      seen.add(key);
      if (!allowed.has(key) && shape.open !== true) drift.add(`+${name}.${key}`);
    }
    for (const [key, presence] of Object.entries(shape.keys)) {
      if (presence === 'required' && !(key in item)) drift.add(`-${name}.${key}`);
    }
  }
  for (const key of allowed) if (!seen.has(key)) drift.add(`?${name}.${key}`);
  return [...drift].sort();
}
