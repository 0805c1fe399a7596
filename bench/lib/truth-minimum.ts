/**
 * The fewest requests a complete export of `/_sandbox/truth` needs, with the basis of each line.
 * Definition (the denominator of `request_efficiency`):
 * - every listing walked once at its endpoint's maximum page size (compliance-api.md §2.1), at
 *   least one page even when empty: organizations 1000, users/roles/permissions/groups/members
 *   1000, activities 5000, chats 1000, messages 1000, projects/attachments/collaborators 100,
 *   code artifacts 100, local/remote sessions 500, session messages 1000;
 * - one messages call per chat (more only past 1000 messages), one settings call per org, one
 *   detail call per project;
 * - one download per distinct binary: chat and project files, generated files, code-artifact
 *   versions. Their listing or message reference already carries name, size and md5, and the
 *   download's `Content-MD5` checks the bytes, so no metadata call is needed;
 * - chat-artifact versions and project documents: content + metadata, because their md5/size
 *   exist only in the metadata (§3.12, §3.14) and a download cannot be checked without them.
 * Not counted: preflight scope probes, retries, 429s, quiescence passes (the tool's own costs).
 */
import type { SandboxTruth } from '@compliance-export/sandbox';

export interface MinimumLine {
  readonly part: string;
  readonly requests: number;
  readonly basis: string;
}

export interface Minimum {
  readonly total: number;
  readonly lines: readonly MinimumLine[];
  /** The same with a metadata call per file and generated file (what a tool storing it pays). */
  readonly withFileMetadata: number;
}

const pages = (items: number, max: number): number => Math.max(1, Math.ceil(items / max));

export function minimumRequests(truth: SandboxTruth, include: readonly string[]): Minimum {
  const on = new Set(include);
  const lines: MinimumLine[] = [];
  const add = (part: string, requests: number, basis: string): void => {
    lines.push({ part, requests, basis });
  };
  const orgs = truth.organizations.length;
  add('organizations', pages(orgs, 1000), `${orgs} orgs / 1000 a page`);
  if (on.has('directory')) {
    const users = truth.users.reduce((n, u) => n + pages(u.user_ids.length, 1000), 0);
    add('users', users, 'per org, 1000 a page');
    const roles = truth.roles.reduce((n, r) => n + r.role_ids.length, 0);
    add(
      'roles',
      truth.roles.reduce((n, r) => n + pages(r.role_ids.length, 1000), 0),
      'per org, 1000 a page',
    );
    add('role_permissions', roles, `${roles} roles × 1 page`);
    add('settings', orgs, `${orgs} orgs × 1`);
    add('groups', pages(truth.groups.length, 1000), `${truth.groups.length} groups / 1000 a page`);
    add(
      'group_members',
      truth.groups.reduce((n, g) => n + pages(g.member_user_ids.length, 1000), 0),
      `${truth.groups.length} groups × 1 page`,
    );
  }
  if (on.has('activities')) {
    add('activities', pages(truth.activity_ids.length, 5000), `${truth.activity_ids.length} / 5000 a page`);
  }
  const fileIds = new Set<string>();
  const genIds = new Set<string>();
  if (on.has('chats')) {
    add('chats', pages(truth.chats.length, 1000), `${truth.chats.length} chats / 1000 a page`);
    add(
      'chat_messages',
      truth.chats.reduce((n, c) => n + pages(c.message_ids.length, 1000), 0),
      `${truth.chats.length} chats × 1 call (1000 messages a page)`,
    );
    for (const c of truth.chats) {
      if (on.has('files')) c.file_ids.forEach((id) => fileIds.add(id));
      for (const id of c.generated_file_ids) {
        // `claude_file_` generated files are served by the files endpoints (§3.9).
        if (id.startsWith('claude_file_')) {
          if (on.has('generated_files') || on.has('files')) fileIds.add(id);
        } else if (on.has('generated_files')) genIds.add(id);
      }
    }
    if (on.has('chat_artifacts')) {
      const versions = new Set(truth.chats.flatMap((c) => c.artifact_version_ids)).size;
      add('chat_artifact_versions', versions * 2, `${versions} versions × 2 (content, metadata: md5/size)`);
    }
  }
  if (on.has('projects')) {
    const p = truth.projects;
    add('projects', pages(p.length, 100), `${p.length} projects / 100 a page`);
    add('project_detail', p.length, `${p.length} × 1`);
    add(
      'project_attachments',
      p.reduce((n, x) => n + pages(x.attachment_count, 100), 0),
      '100 a page',
    );
    add(
      'project_collaborators',
      p.reduce((n, x) => n + pages(x.collaborator_count, 100), 0),
      '100 a page',
    );
    const docs = p.reduce((n, x) => n + x.document_ids.length, 0);
    add('project_documents', docs * 2, `${docs} documents × 2 (content, metadata: md5/size)`);
    if (on.has('files')) p.forEach((x) => x.file_ids.forEach((id) => fileIds.add(id)));
  }
  add('file_downloads', fileIds.size, `${fileIds.size} distinct chat/project files × 1`);
  add('generated_file_downloads', genIds.size, `${genIds.size} distinct generated files × 1`);
  if (on.has('code_artifacts')) {
    const a = truth.code_artifacts;
    add('code_artifacts', pages(a.length, 100), `${a.length} artifacts / 100 a page`);
    const v = a.reduce((n, x) => n + x.versions.length, 0);
    add('code_artifact_versions', v, `${v} retained versions × 1`);
  }
  if (on.has('sessions')) {
    const { local, remote } = truth.sessions;
    add('sessions_local', pages(local.length, 500), `${local.length} / 500 a page`);
    add('sessions_remote', pages(remote.length, 500), `${remote.length} / 500 a page`);
    add(
      'session_messages',
      [...local, ...remote].reduce((n, s) => n + pages(s.message_ids.length, 1000), 0),
      `${local.length + remote.length} sessions × 1 call (1000 a page)`,
    );
  }
  const total = lines.reduce((n, l) => n + l.requests, 0);
  return { total, lines, withFileMetadata: total + fileIds.size + genIds.size };
}
