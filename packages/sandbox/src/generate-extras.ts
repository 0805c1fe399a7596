/** Code artifacts, sessions and the activity feed of a generated world. */
import type { Content } from './generate-content.js';
import type { Directory } from './generate-directory.js';
import type {
  Activity,
  Actor,
  CodeArtifact,
  CodeVersion,
  LocalSession,
  RemoteSession,
  User,
} from './model.js';
import { DAY, WORLD_END, WORLD_START, type ProfileSpec } from './profiles.js';
import { Rng, idFromUuid } from './random.js';

export function generateCodeArtifacts(seed: number, spec: ProfileSpec, dir: Directory): CodeArtifact[] {
  const rng = new Rng(seed, 'code-artifacts');
  const out: CodeArtifact[] = [];
  const current = dir.users.filter((u) => u.leftAt === null);
  // About one row in five of the identifier index is never shown (another parent's artifact, a
  // purged org's), which is how the real list yields short or empty pages with next_page set.
  const rows = Math.ceil(spec.codeArtifacts * 1.25);
  for (let a = 0, shown = 0; a < rows; a++) {
    const hidden = shown >= spec.codeArtifacts || (a % 5 === 3 && a > 0);
    if (!hidden) shown++;
    const owner = rng.chance(0.15) ? null : rng.pick(current);
    const org = owner === null ? rng.pick(dir.orgs).uuid : owner.orgUuid;
    // Two artifacts with more than 20 versions: the oldest are rotated out and 404.
    const versionCount = shown === 1 ? 25 : shown === 2 ? 23 : rng.int(1, 6);
    const createdAt = WORLD_START + rng.int(30, 500) * DAY;
    const versions: CodeVersion[] = [];
    let t = createdAt;
    for (let v = 0; v < versionCount; v++) {
      t += rng.int(1, 72) * 3_600_000;
      const id = `${Math.floor(t / 1000)}-${rng.u32().toString(16).padStart(8, '0').slice(0, 4)}`;
      versions.push({
        id,
        createdAt: v === 0 && rng.chance(0.2) ? null : t,
        name: rng.chance(0.2) ? id : `Site v${v + 1}`,
        size: rng.int(300, 30_000),
        mimeType: 'text/html',
        identityStored: rng.chance(0.7),
        files: 1,
      });
    }
    const last = versions[versions.length - 1];
    out.push({
      index: 0,
      id: `cart_${rng.base62(24)}`,
      orgUuid: org,
      ownerUserId: owner?.id ?? null,
      artifactType: 'website',
      readMode: rng.pick(['org', 'owner', 'public', 'users'] as const),
      createdAt,
      // Published before updated_at was recorded: null, never matches a time filter (§4.2).
      updatedAt: shown === 3 || shown === 5 ? null : Math.min(t, WORLD_END - DAY),
      indexedUpdatedAt: null,
      removedAt: null,
      versions,
      pinnedVersionId: versionCount > 2 && rng.chance(0.3) ? (versions[versionCount - 2]?.id ?? null) : null,
      hiddenRow: hidden,
    });
    if (last === undefined) throw new Error('code artifact without versions');
  }
  for (const a of out) a.indexedUpdatedAt = a.updatedAt;
  // One multi-file site and one Claude Doc (always multi-file): both need multi_file_format=zip.
  const shownRows = out.filter((a) => !a.hiddenRow);
  const site = shownRows[3];
  const doc = shownRows[5];
  if (site !== undefined)
    for (const v of site.versions)
      Object.assign(v, { files: 3, identityStored: false, mimeType: 'application/zip' });
  if (doc !== undefined) {
    doc.artifactType = 'claude_docs';
    for (const v of doc.versions)
      Object.assign(v, { files: 2, identityStored: false, mimeType: 'application/zip' });
  }
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  out.forEach((a, i) => (a.index = i));
  return out;
}

export function generateSessions(
  seed: number,
  spec: ProfileSpec,
  dir: Directory,
  content: Content,
): { local: LocalSession[]; remote: RemoteSession[] } {
  const rng = new Rng(seed, 'sessions');
  const current = dir.users.filter((u) => u.leftAt === null);
  const local: LocalSession[] = [];
  for (let s = 0; s < spec.localSessions; s++) {
    const user = rng.pick(current);
    local.push({
      index: s,
      id: idFromUuid('clls_', rng.uuid()),
      orgUuid: user.orgUuid,
      userId: user.id,
      workspaceId: rng.chance(0.5) ? idFromUuid('wrkspc_', rng.uuid()) : null,
      productSurface: rng.pick(['cowork', 'claude_code', null]),
      createdAt: WORLD_END - rng.int(1, 200) * DAY - rng.int(0, DAY),
      messageCount: s === 0 ? 40 : rng.int(2, 15),
      appendedAt: [],
      removedAt: null,
    });
  }
  const remote: RemoteSession[] = [];
  for (let s = 0; s < spec.remoteSessions; s++) {
    const agentOwned = s % 4 === 3;
    const user = rng.pick(current);
    const createdAt = WORLD_END - rng.int(1, 200) * DAY - rng.int(0, DAY);
    const project = content.projects.find((p) => p.orgUuid === user.orgUuid);
    remote.push({
      index: s,
      id: idFromUuid('cse_', rng.uuid()),
      orgUuid: user.orgUuid,
      userId: agentOwned ? null : user.id,
      agentId: agentOwned ? idFromUuid('cagt_', rng.uuid()) : null,
      startedByUserId: user.id,
      status: rng.pick(['active', 'paused', 'archived', 'failed'] as const),
      createdAt,
      updatedAt: createdAt + rng.int(1, 48) * 3_600_000,
      productSurface: 'cowork_remote',
      projectId: rng.chance(0.3) ? (project?.id ?? null) : null,
      messageCount: s === 0 ? 30 : rng.int(2, 12),
      appendedAt: [],
      removedAt: null,
    });
  }
  // Sessions not started yet: listed with status `pending`, no transcript (404, §5.5). Drawn from
  // their own stream, so the sessions above stay the same whatever this count.
  const pending = new Rng(seed, 'sessions-pending');
  for (let s = 0; s < spec.pendingRemoteSessions; s++) {
    const user = pending.pick(current);
    const createdAt = WORLD_END - pending.int(1, 20) * 3_600_000;
    remote.push({
      index: remote.length,
      id: idFromUuid('cse_', pending.uuid()),
      orgUuid: user.orgUuid,
      userId: user.id,
      agentId: null,
      startedByUserId: user.id,
      status: 'pending',
      createdAt,
      updatedAt: createdAt,
      productSurface: 'cowork_remote',
      projectId: null,
      messageCount: 0,
      appendedAt: [],
      removedAt: null,
    });
  }
  return { local, remote };
}

function userActor(u: User, rng: Rng): Actor {
  return {
    type: 'user_actor',
    email_address: u.email,
    user_id: u.id,
    ip_address: `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Claude/1.0',
  };
}

/** Feed events consistent with the generated content (§3.7); filename/title null per newest docs. */
export function generateActivities(seed: number, dir: Directory, content: Content): Activity[] {
  const rng = new Rng(seed, 'activities');
  const users = new Map(dir.users.map((u) => [u.id, u]));
  const out: Activity[] = [];
  const add = (
    type: string,
    at: number,
    user: User | undefined,
    fields: Record<string, unknown>,
    org = true,
  ): void => {
    out.push({
      id: idFromUuid('activity_', rng.uuid()),
      type,
      createdAt: at,
      orgUuid: org && user !== undefined ? user.orgUuid : null,
      actor: user !== undefined ? userActor(user, rng) : { type: 'system_actor', service: 'retention' },
      fields,
    });
  };
  for (const u of dir.users) {
    add('sso_login_succeeded', u.joinedAt + 60_000, u, { auth_method: 'sso', mfa_method: null }, false);
    if (u.leftAt !== null) add('org_user_left', u.leftAt, u, { previous_role: u.role });
  }
  const projectById = new Map(content.projects.map((p) => [p.id, p]));
  for (const p of content.projects) {
    add('claude_project_created', p.createdAt, users.get(p.userId), { claude_project_id: p.id });
    if (p.deletedAt !== null)
      add('claude_project_deleted', p.deletedAt, users.get(p.userId), { claude_project_id: p.id });
  }
  for (const c of content.chats) {
    const u = users.get(c.userId);
    const moved = c.projectId !== null && c.updatedAt > c.lastMessageAt && c.deletedAt === null;
    add('claude_chat_created', c.createdAt, u, {
      claude_chat_id: c.id,
      claude_project_id: moved ? null : c.projectId,
    });
    if (moved) {
      add('claude_chat_updated', c.updatedAt, u, { claude_chat_id: c.id, claude_project_id: c.projectId });
    }
    if (c.deletedAt !== null)
      add('claude_chat_deleted', c.deletedAt, u, { claude_chat_id: c.id, claude_project_id: c.projectId });
  }
  for (const b of content.blobs) {
    if (b.kind === 'upload') {
      const chat = content.chats[b.uses[0]?.chat ?? -1];
      add('claude_file_uploaded', b.createdAt, users.get(chat?.userId ?? ''), {
        claude_file_id: b.id,
        filename: null,
        claude_chat_id: chat?.id ?? null,
        claude_project_id: null,
      });
    } else if (b.kind === 'project_file' && b.projectId !== null) {
      const p = projectById.get(b.projectId);
      add('claude_project_file_uploaded', b.createdAt, users.get(p?.userId ?? ''), {
        claude_file_id: b.id,
        claude_project_id: b.projectId,
        filename: null,
      });
    }
  }
  for (const d of content.projectDocs) {
    add('claude_project_document_uploaded', d.createdAt, users.get(d.userId), {
      claude_project_document_id: d.id,
      claude_project_id: d.projectId,
      filename: null,
    });
  }
  const seen = new Set<string>();
  for (const av of content.artifactVersions) {
    if (seen.has(av.artifactId)) continue;
    seen.add(av.artifactId);
    add('claude_artifact_created', av.createdAt, users.get(content.chats[av.chat]?.userId ?? ''), {
      claude_artifact_id: av.artifactId,
    });
  }
  out.sort(compareActivity);
  return out;
}

export function compareActivity(a: Activity, b: Activity): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
