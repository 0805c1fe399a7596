/** Model → wire JSON for the shapes of §3, plus the download reply builder. */
import type { Digest } from './content.js';
import type { Reply } from './http/context.js';
import type { Chat, Project, User, UserRef, World } from './model.js';
import { iso } from './random.js';

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** `org_` tagged id (deprecated field) for an org UUID. */
export function taggedOrgId(uuid: string): string {
  return `org_${uuid.replace(/-/g, '').slice(0, 24)}`;
}

/** The creator as of `now`; null once they left (§3.8, §3.13). */
export function userRef(world: World, userId: string | null, now: number): UserRef | null {
  if (userId === null) return null;
  const u: User | undefined = world.index.userById.get(userId);
  if (u === undefined || (u.leftAt !== null && u.leftAt <= now)) return null;
  return { id: u.id, email_address: u.email };
}

export function chatJson(world: World, c: Chat, now: number) {
  const deleted = c.deletedAt !== null && c.deletedAt <= now;
  return {
    id: c.id,
    // §4.3 newest: a chat the user deleted keeps its row but loses its name.
    name: deleted ? '' : c.name,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    deleted_at: deleted ? isoOrNull(c.deletedAt) : null,
    href: `https://claude.ai/chat/${c.uuid}`,
    model: c.model,
    organization_uuid: c.orgUuid,
    organization_id: taggedOrgId(c.orgUuid),
    project_id: c.projectId,
    user: userRef(world, c.userId, now),
  };
}

export function projectJson(world: World, p: Project, now: number) {
  return {
    id: p.id,
    name: p.name,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
    deleted_at: p.deletedAt !== null && p.deletedAt <= now ? iso(p.deletedAt) : null,
    is_private: p.isPrivate,
    organization_uuid: p.orgUuid,
    organization_id: taggedOrgId(p.orgUuid),
    user: userRef(world, p.userId, now),
  };
}

/** RFC 5987 `filename*` value, used for every name, ASCII included (§3.10). */
export function contentDisposition(filename: string): string {
  const encoded = Array.from(Buffer.from(filename, 'utf8'))
    .map((b) => {
      const ch = String.fromCharCode(b);
      return /[A-Za-z0-9!#$&+\-.^_`|~]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return `attachment; filename*=utf-8''${encoded}`;
}

export function download(
  chunks: Iterable<Uint8Array>,
  digest: Digest | null,
  contentType: string,
  filename: string,
  extra: Record<string, string> = {},
): Reply {
  return {
    kind: 'stream',
    headers: {
      'content-type': contentType,
      'content-disposition': contentDisposition(filename),
      ...(digest !== null ? { 'content-md5': digest.md5Base64 } : {}),
      ...extra,
    },
    chunks,
  };
}
