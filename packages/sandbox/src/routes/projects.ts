/** Projects, attachments, collaborators, project documents (§3.13, §3.14). */
import { blobDigest, projectDocDigest, projectDocText } from '../content.js';
import { SCOPE } from '../keys.js';
import type { Project, ProjectDoc } from '../model.js';
import { iso } from '../random.js';
import { canSeeOrg, json, type RequestContext, type Route } from '../http/context.js';
import { ApiError, badRequest, notFound } from '../http/errors.js';
import { decodeToken, encodeToken, pageAfter } from '../http/pagination.js';
import { inRange, limitParam, rangeParams } from '../http/query.js';
import { addActivity, apiActor, chatsInProject, hardDeleteProject, logChange } from '../mutate.js';
import { projectJson, taggedOrgId, userRef } from '../serialize.js';
import { V1, sortedBy, tokenPage, UUID_RE } from './common.js';

const alive = (rec: { removedAt: number | null }, now: number): boolean =>
  rec.removedAt === null || rec.removedAt > now;

function projectOr404(ctx: RequestContext, message = 'No project is found with the provided id.'): Project {
  const p = ctx.state.world.index.projectById.get(ctx.params.project_id ?? '');
  if (p === undefined || !alive(p, ctx.now) || !canSeeOrg(ctx, p.orgUuid)) throw notFound(message);
  return p;
}

function docOr404(
  ctx: RequestContext,
  message = 'No project document found with the provided id.',
): ProjectDoc {
  const world = ctx.state.world;
  const d = world.index.projectDocById.get(ctx.params.document_id ?? '');
  const p = d === undefined ? undefined : world.index.projectById.get(d.projectId);
  if (
    d === undefined ||
    p === undefined ||
    !alive(d, ctx.now) ||
    !alive(p, ctx.now) ||
    !canSeeOrg(ctx, p.orgUuid)
  ) {
    throw notFound(message);
  }
  return d;
}

/** Project-list `next_page`: `page_` + base64 of {"created_at","uuid"} (§3.1). */
function listProjects(ctx: RequestContext) {
  const q = ctx.query;
  const world = ctx.state.world;
  const users = new Set(q.list('user_ids[]'));
  const orgs = q.list('organization_ids[]');
  const created = q.range('created_at');
  const updated = q.range('updated_at');
  const rows = world.projects.filter(
    (p) =>
      alive(p, ctx.now) &&
      canSeeOrg(ctx, p.orgUuid) &&
      (users.size === 0 || users.has(p.userId)) &&
      (orgs.length === 0 || orgs.includes(p.orgUuid) || orgs.includes(taggedOrgId(p.orgUuid))) &&
      inRange(p.createdAt, created) &&
      inRange(p.updatedAt, updated),
  );
  const key = (p: Project) => [p.createdAt, p.uuid];
  const sorted = sortedBy(rows, key);
  let after: (string | number)[] | null = null;
  const raw = q.str('page');
  if (raw !== undefined) {
    const fail = (): ApiError => badRequest('Invalid page token.');
    const obj = decodeToken(raw, 'page_', fail);
    const t = typeof obj.created_at === 'string' ? Date.parse(obj.created_at) : NaN;
    if (Number.isNaN(t) || typeof obj.uuid !== 'string' || !UUID_RE.test(obj.uuid)) throw fail();
    after = [t, obj.uuid];
  }
  const { page, more } = pageAfter(sorted, key, after, q.int('limit') ?? 20);
  const last = page[page.length - 1];
  return {
    data: page.map((p) => projectJson(world, p, ctx.now)),
    has_more: more,
    next_page:
      more && last !== undefined
        ? encodeToken({ created_at: iso(last.createdAt), uuid: last.uuid }, 'page_')
        : null,
  };
}

const pageParams = { page: { kind: 'string' }, ...limitParam(100) } as const;

export const projectRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/apps/projects`,
    scope: SCOPE.userData,
    params: {
      'user_ids[]': { kind: 'array' },
      'organization_ids[]': { kind: 'array' },
      ...rangeParams('created_at'),
      ...rangeParams('updated_at'),
      ...pageParams,
    },
    handle: (ctx) => json(listProjects(ctx)),
  },
  {
    method: 'GET',
    template: `${V1}/apps/projects/{project_id}`,
    scope: SCOPE.userData,
    handle: (ctx) => {
      const p = projectOr404(ctx);
      const world = ctx.state.world;
      const docs = p.docs.filter((d) => alive(world.projectDocs[d] ?? { removedAt: 0 }, ctx.now)).length;
      const files = p.files.filter((f) => alive(world.blobs[f] ?? { removedAt: 0 }, ctx.now)).length;
      return json({
        ...projectJson(world, p, ctx.now),
        description: p.description,
        instructions: p.instructions,
        chats_count: chatsInProject(world, p, ctx.now).length,
        attachments_count: docs + files,
      });
    },
  },
  {
    method: 'DELETE',
    template: `${V1}/apps/projects/{project_id}`,
    scope: SCOPE.delete,
    handle: (ctx) => {
      const p = projectOr404(ctx, 'No project found with provided id, or it has already been deleted.');
      if (chatsInProject(ctx.state.world, p, ctx.now).length > 0) {
        // 409 with the 2026-09 error type (§5.6).
        throw new ApiError(
          409,
          'invalid_request_error',
          `The "${p.id}" project cannot be deleted as it has chats attached to it. Delete or detach all chats, and try deleting the project again.`,
        );
      }
      hardDeleteProject(ctx.state.world, p, ctx.now);
      logChange(ctx.state.world, { kind: 'project', id: p.id, change: 'deleted' }, ctx.now);
      addActivity(ctx.state.world, {
        type: 'claude_project_deleted',
        createdAt: ctx.now,
        orgUuid: p.orgUuid,
        actor: apiActor(ctx.principal.key.id),
        fields: { claude_project_id: p.id },
      });
      return json({ id: p.id, type: 'claude_project_deleted' });
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/projects/{project_id}/attachments`,
    scope: SCOPE.userData,
    params: pageParams,
    handle: (ctx) => {
      const p = projectOr404(ctx);
      const world = ctx.state.world;
      type Row = { id: string; createdAt: number; json: () => unknown };
      const rows: Row[] = [];
      for (const f of p.files) {
        const b = world.blobs[f];
        if (b === undefined || !alive(b, ctx.now)) continue;
        rows.push({
          id: b.id,
          createdAt: b.createdAt,
          json: () => {
            const d = blobDigest(world.seed, b);
            return {
              type: 'project_file',
              id: b.id,
              filename: b.filename,
              created_at: iso(b.createdAt),
              mime_type: b.mimeType ?? 'application/octet-stream',
              size_bytes: d.size,
              md5: d.md5Hex,
            };
          },
        });
      }
      for (const i of p.docs) {
        const d = world.projectDocs[i];
        if (d === undefined || !alive(d, ctx.now)) continue;
        rows.push({
          id: d.id,
          createdAt: d.createdAt,
          json: () => ({
            type: 'project_doc',
            id: d.id,
            filename: d.filename,
            created_at: iso(d.createdAt),
            mime_type: 'text/plain',
            updated_at: null,
          }),
        });
      }
      const key = (r: Row) => [r.createdAt, r.id];
      return json(tokenPage(ctx, sortedBy(rows, key), key, (r) => r.json(), 20));
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/projects/{project_id}/collaborators`,
    scope: SCOPE.userData,
    params: pageParams,
    handle: (ctx) => {
      const p = projectOr404(ctx);
      const rows = p.collaborators.map((c, i) => ({ c, i }));
      const key = (r: (typeof rows)[number]) => [r.c.granted_at, r.i];
      return json(tokenPage(ctx, sortedBy(rows, key), key, (r) => r.c, 20));
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/projects/documents/{document_id}`,
    scope: SCOPE.userData,
    handle: (ctx) => {
      const d = docOr404(ctx);
      return json({
        id: d.id,
        filename: d.filename,
        content: projectDocText(ctx.state.world.seed, d),
        created_at: iso(d.createdAt),
        user: userRef(ctx.state.world, d.userId, ctx.now),
      });
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/projects/documents/{document_id}/metadata`,
    scope: SCOPE.userData,
    handle: (ctx) => {
      const d = docOr404(ctx);
      const dg = projectDocDigest(ctx.state.world.seed, d);
      return json({
        id: d.id,
        claude_project_id: d.projectId,
        filename: d.filename,
        created_at: iso(d.createdAt),
        mime_type: 'text/plain',
        size_bytes: dg.size,
        md5: dg.md5Hex,
        user: userRef(ctx.state.world, d.userId, ctx.now),
      });
    },
  },
  {
    method: 'DELETE',
    template: `${V1}/apps/projects/documents/{document_id}`,
    scope: SCOPE.delete,
    handle: (ctx) => {
      const d = docOr404(
        ctx,
        'No project document found with the provided id, or it has already been deleted.',
      );
      d.removedAt = ctx.now;
      logChange(ctx.state.world, { kind: 'project_document', id: d.id, change: 'deleted' }, ctx.now);
      addActivity(ctx.state.world, {
        type: 'claude_project_document_deleted',
        createdAt: ctx.now,
        orgUuid: ctx.state.world.index.projectById.get(d.projectId)?.orgUuid ?? null,
        actor: apiActor(ctx.principal.key.id),
        fields: { claude_project_document_id: d.id, claude_project_id: d.projectId, filename: null },
      });
      return json({ id: d.id, type: 'claude_project_document_deleted' });
    },
  },
];
