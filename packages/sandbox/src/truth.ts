/**
 * Ground truth: what a complete export taken with the parent-wide `full` key must contain.
 * Served at `GET /_sandbox/truth[?as_of=<RFC 3339>]` (unauthenticated, never rate limited).
 *
 * Semantics:
 * - Items are those that exist at `as_of` (created at or before it, not hard-deleted by then).
 *   Without `as_of` the sandbox clock's current reading is used.
 * - Soft-deleted chats (§4.3) are listed with `deleted: true` and their message ids, but their
 *   files, generated files and artifact versions are gone (not listed anywhere).
 * - Every binary (`BlobTruth`) carries sha256, md5 (lowercase hex) and size of the bytes the
 *   download endpoint serves — for chat artifacts and project documents, the UTF-8 bytes of
 *   the `content` text.
 * - `files` are the ids served by `/apps/chats/files/{id}/content`: chat uploads, project files
 *   and generated files issued with a `claude_file_` id. `generated_files` are the
 *   `claude_gen_file_` ids served by `/apps/chats/generated-files/{id}/content`.
 * - Code artifacts list only versions still retained (~20 newest); `rotated_version_ids` are
 *   ones the API no longer serves (404). `updated_at: null` ones never match time filters.
 * - `changes_after`: every logged change (live mutations, DELETEs) that happened after `as_of`,
 *   in the order applied — what an export cut at `as_of` may legitimately differ on.
 */
import { artifactDigest, blobDigest, codeVersionDigest, projectDocDigest, type Digest } from './content.js';
import { messageId, messageTotal, messageTime } from './messages.js';
import { RETAINED_VERSIONS, type Change, type Profile, type World } from './model.js';
import { iso } from './random.js';
import { sessionMessages } from './session-messages.js';

export interface BlobTruth {
  id: string;
  sha256: string;
  md5: string;
  size: number;
}

export interface ChatTruth {
  id: string;
  organization_uuid: string;
  project_id: string | null;
  /** Soft-deleted in claude.ai: listed, messages without content. */
  deleted: boolean;
  message_ids: string[];
  file_ids: string[];
  generated_file_ids: string[];
  artifact_version_ids: string[];
}

/** One logged change (live mutation or DELETE); `at` is RFC 3339. */
export type TruthChange = Change;

export interface SandboxTruth {
  as_of: string;
  seed: number;
  profile: Profile;
  parent_organization_uuid: string;
  organizations: string[];
  /** Current members per org (users who left are absent). */
  users: { organization_uuid: string; user_ids: string[] }[];
  roles: { organization_uuid: string; role_ids: string[] }[];
  groups: { id: string; member_user_ids: string[] }[];
  chats: ChatTruth[];
  files: (BlobTruth & { filename: string; kind: 'upload' | 'project_file' | 'generated' })[];
  generated_files: (BlobTruth & { filename: string; claude_chat_id: string })[];
  chat_artifact_versions: (BlobTruth & { artifact_id: string; claude_chat_id: string })[];
  projects: {
    id: string;
    deleted: boolean;
    attachment_count: number;
    collaborator_count: number;
    document_ids: string[];
    file_ids: string[];
  }[];
  project_documents: (BlobTruth & { project_id: string })[];
  code_artifacts: {
    id: string;
    updated_at: string | null;
    versions: BlobTruth[];
    rotated_version_ids: string[];
  }[];
  activity_ids: string[];
  sessions: {
    local: { id: string; message_ids: string[] }[];
    remote: { id: string; message_ids: string[] }[];
  };
  counts: Record<string, number>;
  changes_after: TruthChange[];
}

const hashes = (id: string, d: Digest): BlobTruth => ({
  id,
  sha256: d.sha256Hex,
  md5: d.md5Hex,
  size: d.size,
});

export function buildTruth(world: World, asOf: number): SandboxTruth {
  const t = asOf;
  const alive = (r: { removedAt: number | null }): boolean => r.removedAt === null || r.removedAt > t;
  const seed = world.seed;
  const orgs = world.orgs.filter((o) => alive(o) && o.createdAt <= t);
  const chats: ChatTruth[] = [];
  for (const c of world.chats) {
    if (!alive(c) || c.createdAt > t) continue;
    const deleted = c.deletedAt !== null && c.deletedAt <= t;
    const ids: string[] = [];
    for (let i = 0; i < messageTotal(c); i++) if (messageTime(c, i) <= t) ids.push(messageId(seed, c, i));
    const pick = (kind: string) =>
      deleted
        ? []
        : [
            ...new Set(
              c.attachments
                .filter((a) => a.kind === kind)
                .map((a) => (kind === 'artifact' ? world.artifactVersions[a.ref] : world.blobs[a.ref]))
                .filter((r) => r !== undefined && alive(r) && r.createdAt <= t)
                .map((r) => (r === undefined ? '' : 'versionId' in r ? r.versionId : r.id)),
            ),
          ];
    chats.push({
      id: c.id,
      organization_uuid: c.orgUuid,
      project_id: c.projectId,
      deleted,
      message_ids: ids,
      file_ids: pick('file'),
      generated_file_ids: pick('generated'),
      artifact_version_ids: pick('artifact'),
    });
  }
  const liveBlobs = world.blobs.filter((b) => alive(b) && b.createdAt <= t);
  const projects = world.projects.filter((p) => alive(p) && p.createdAt <= t);
  const docs = world.projectDocs.filter(
    (d) => alive(d) && d.createdAt <= t && projects.some((p) => p.id === d.projectId),
  );
  const truth: SandboxTruth = {
    as_of: iso(t),
    seed,
    profile: world.profile,
    parent_organization_uuid: world.parentUuid,
    organizations: orgs.map((o) => o.uuid),
    users: orgs.map((o) => ({
      organization_uuid: o.uuid,
      user_ids: world.users
        .filter((u) => u.orgUuid === o.uuid && (u.leftAt === null || u.leftAt > t))
        .map((u) => u.id),
    })),
    roles: orgs.map((o) => ({
      organization_uuid: o.uuid,
      role_ids: world.roles.filter((r) => r.orgUuid === o.uuid && alive(r)).map((r) => r.id),
    })),
    groups: world.groups.filter(alive).map((g) => ({
      id: g.id,
      member_user_ids: g.members
        .filter((m) => {
          const u = world.index.userById.get(m.userId);
          return u !== undefined && (u.leftAt === null || u.leftAt > t);
        })
        .map((m) => m.userId),
    })),
    chats,
    files: liveBlobs
      .filter((b) => b.id.startsWith('claude_file_'))
      .map((b) => ({ ...hashes(b.id, blobDigest(seed, b)), filename: b.filename, kind: b.kind })),
    generated_files: liveBlobs
      .filter((b) => b.id.startsWith('claude_gen_file_'))
      .map((b) => ({
        ...hashes(b.id, blobDigest(seed, b)),
        filename: b.filename,
        claude_chat_id: world.chats[b.uses[0]?.chat ?? -1]?.id ?? '',
      })),
    chat_artifact_versions: world.artifactVersions
      .filter((av) => alive(av) && av.createdAt <= t)
      .map((av) => ({
        ...hashes(av.versionId, artifactDigest(seed, av)),
        artifact_id: av.artifactId,
        claude_chat_id: world.chats[av.chat]?.id ?? '',
      })),
    projects: projects.map((p) => {
      const docIds = docs.filter((d) => d.projectId === p.id).map((d) => d.id);
      const fileIds = p.files
        .map((f) => world.blobs[f])
        .filter((b) => b !== undefined && alive(b))
        .map((b) => b?.id ?? '');
      return {
        id: p.id,
        deleted: p.deletedAt !== null && p.deletedAt <= t,
        attachment_count: docIds.length + fileIds.length,
        collaborator_count: p.collaborators.length,
        document_ids: docIds,
        file_ids: fileIds,
      };
    }),
    project_documents: docs.map((d) => ({
      ...hashes(d.id, projectDocDigest(seed, d)),
      project_id: d.projectId,
    })),
    code_artifacts: world.codeArtifacts
      .filter((a) => !a.hiddenRow && alive(a) && a.createdAt <= t)
      .map((a) => {
        // Retention as of T: the newest ~20 of the versions that existed then.
        const existed = a.versions.filter((v) => v.createdAt === null || v.createdAt <= t);
        const kept = existed.slice(-RETAINED_VERSIONS);
        return {
          id: a.id,
          updated_at: a.updatedAt === null ? null : iso(a.updatedAt),
          versions: kept.map((v) => hashes(v.id, codeVersionDigest(seed, a, v))),
          rotated_version_ids: existed.slice(0, existed.length - kept.length).map((v) => v.id),
        };
      }),
    activity_ids: world.activities.filter((a) => a.createdAt <= t).map((a) => a.id),
    sessions: {
      local: world.localSessions
        .filter((s) => s.removedAt === null && s.createdAt <= t)
        .map((s) => ({
          id: s.id,
          message_ids: sessionMessages(seed, s, 'local')
            .filter((m) => m.createdAt <= t)
            .map((m) => m.id),
        })),
      remote: world.remoteSessions
        .filter((s) => s.removedAt === null && s.status !== 'pending' && s.createdAt <= t)
        .map((s) => ({
          id: s.id,
          message_ids: sessionMessages(seed, s, 'remote')
            .filter((m) => m.createdAt <= t)
            .map((m) => m.id),
        })),
    },
    counts: {},
    changes_after: world.changes.filter((c) => Date.parse(c.at) > t),
  };
  truth.counts = {
    organizations: truth.organizations.length,
    users: truth.users.reduce((n, u) => n + u.user_ids.length, 0),
    chats: truth.chats.length,
    messages: truth.chats.reduce((n, c) => n + c.message_ids.length, 0),
    files: truth.files.length,
    generated_files: truth.generated_files.length,
    chat_artifact_versions: truth.chat_artifact_versions.length,
    projects: truth.projects.length,
    project_documents: truth.project_documents.length,
    code_artifacts: truth.code_artifacts.length,
    activities: truth.activity_ids.length,
    local_sessions: truth.sessions.local.length,
    remote_sessions: truth.sessions.remote.length,
  };
  return truth;
}
