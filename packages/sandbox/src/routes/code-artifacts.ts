/**
 * Code Artifacts (§3.15). The list walks an identifier index that also holds rows the caller may
 * not see (other parents, purged orgs, deleted, filtered out); each page scans `limit` index rows
 * and returns the visible ones, so pages come back short or empty while `next_page` is set, and
 * a scan that ends exactly on the last row still hands out a token for an empty final page.
 */
import { codeVersionChunks, codeVersionDigest } from '../content.js';
import { SCOPE } from '../keys.js';
import { RETAINED_VERSIONS, type CodeArtifact, type CodeVersion } from '../model.js';
import { canSeeOrg, json, type RequestContext, type Route } from '../http/context.js';
import { ApiError, badRequest, notFound } from '../http/errors.js';
import { decodeToken, encodeToken } from '../http/pagination.js';
import { inRange, limitParam, rangeParams } from '../http/query.js';
import { logChange } from '../mutate.js';
import { download, isoOrNull, userRef } from '../serialize.js';
import { V1, UUID_RE } from './common.js';

const alive = (a: CodeArtifact, now: number): boolean => a.removedAt === null || a.removedAt > now;

export function retainedVersions(a: CodeArtifact): CodeVersion[] {
  return a.versions.slice(-RETAINED_VERSIONS);
}

function visible(ctx: RequestContext, a: CodeArtifact): boolean {
  return !a.hiddenRow && alive(a, ctx.now) && a.createdAt <= ctx.now && canSeeOrg(ctx, a.orgUuid);
}

function artifactOr404(ctx: RequestContext): CodeArtifact {
  const a = ctx.state.world.index.codeArtifactById.get(ctx.params.artifact_id ?? '');
  if (a === undefined || !visible(ctx, a)) throw notFound('Code artifact not found.');
  return a;
}

export function artifactJson(ctx: RequestContext, a: CodeArtifact) {
  const kept = retainedVersions(a);
  const latest = kept[kept.length - 1];
  return {
    id: a.id,
    artifact_type: a.artifactType,
    organization_uuid: a.orgUuid,
    owner_user_id: a.ownerUserId,
    published_version_id: a.pinnedVersionId ?? latest?.id ?? null,
    read_mode: a.readMode,
    updated_at: isoOrNull(a.updatedAt),
    user: userRef(ctx.state.world, a.ownerUserId, ctx.now),
    versions: [...kept]
      .reverse()
      .map((v) => ({ id: v.id, created_at: isoOrNull(v.createdAt), name: v.name })),
  };
}

function listArtifacts(ctx: RequestContext) {
  const q = ctx.query;
  const index = ctx.state.world.codeArtifacts;
  const orgs = q.list('organization_ids[]');
  const users = new Set(q.list('user_ids[]'));
  const range = q.range('updated_at');
  const filtered = q.hasRange('updated_at');
  const limit = q.int('limit') ?? 20;
  let start = 0;
  const raw = q.str('page');
  if (raw !== undefined) {
    const fail = (): ApiError => badRequest('Invalid page token.');
    const obj = decodeToken(raw, '', fail);
    if (typeof obj.after !== 'string' || !obj.after.startsWith('cart_')) throw fail();
    const after = obj.after;
    // First row with an id after the token: rows inserted behind it are never revisited.
    let lo = 0;
    let hi = index.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((index[mid]?.id ?? '') <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const end = Math.min(index.length, start + limit);
  const data = [];
  for (let i = start; i < end; i++) {
    const a = index[i];
    if (a === undefined || !visible(ctx, a)) continue;
    if (orgs.length > 0 && !orgs.includes(a.orgUuid)) continue;
    if (users.size > 0 && (a.ownerUserId === null || !users.has(a.ownerUserId))) continue;
    // Time filters read the lagging index; published before updated_at was recorded (null):
    // never matches any time filter (§4.2).
    if (filtered && (a.indexedUpdatedAt === null || !inRange(a.indexedUpdatedAt, range))) continue;
    data.push(artifactJson(ctx, a));
  }
  const scannedFull = end - start === limit;
  const lastScanned = index[end - 1];
  const next = scannedFull && lastScanned !== undefined ? encodeToken({ after: lastScanned.id }) : null;
  return { data, has_more: next !== null, next_page: next };
}

function versionDownload(ctx: RequestContext, a: CodeArtifact, v: CodeVersion) {
  const seed = ctx.state.world.seed;
  const digest = codeVersionDigest(seed, a, v);
  if (v.files > 1) {
    if (ctx.query.str('multi_file_format') !== 'zip') {
      throw new ApiError(
        422,
        'invalid_request_error',
        'This version has several files; request it with multi_file_format=zip.',
        {
          details: { error_code: 'multi_file_unavailable' },
        },
      );
    }
    // Never a Content-MD5 on a ZIP (§3.15).
    return download(codeVersionChunks(seed, a, v), null, 'application/zip', `${a.id}-${v.id}.zip`, {
      'cache-control': 'no-store, private',
    });
  }
  // Content-MD5 only for content stored as one uncompressed file (§3.15).
  return download(
    codeVersionChunks(seed, a, v),
    v.identityStored ? digest : null,
    v.mimeType,
    `${a.id}-${v.id}.txt`,
    {
      'cache-control': 'no-store, private',
    },
  );
}

const orgCheck = (v: string): string | null => (UUID_RE.test(v) ? null : 'Input should be a valid UUID');

export const codeArtifactRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/apps/code/artifacts`,
    scope: SCOPE.userData,
    params: {
      'organization_ids[]': { kind: 'array', maxItems: 500, check: orgCheck },
      'user_ids[]': { kind: 'array', maxItems: 200 },
      ...rangeParams('updated_at'),
      page: { kind: 'string' },
      ...limitParam(100),
    },
    handle: (ctx) => json(listArtifacts(ctx)),
  },
  {
    method: 'GET',
    template: `${V1}/apps/code/artifacts/{artifact_id}/versions/{version_id}`,
    scope: SCOPE.userData,
    params: { multi_file_format: { kind: 'enum', values: ['zip'] } },
    handle: (ctx) => {
      const a = artifactOr404(ctx);
      // A version rotated out of the retained ~20 answers 404 (§4.3).
      const v = retainedVersions(a).find((x) => x.id === ctx.params.version_id);
      if (v === undefined) throw notFound('Code artifact version not found.');
      return versionDownload(ctx, a, v);
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/code/artifacts/{artifact_id}/content`,
    scope: SCOPE.userData,
    params: { multi_file_format: { kind: 'enum', values: ['zip'] } },
    handle: (ctx) => {
      const a = artifactOr404(ctx);
      const kept = retainedVersions(a);
      const v = kept[kept.length - 1];
      if (v === undefined) throw notFound('Code artifact not found.');
      return versionDownload(ctx, a, v);
    },
  },
  {
    method: 'DELETE',
    template: `${V1}/apps/code/artifacts/{artifact_id}`,
    scope: SCOPE.delete,
    handle: (ctx) => {
      const a = artifactOr404(ctx);
      a.removedAt = ctx.now;
      logChange(ctx.state.world, { kind: 'code_artifact', id: a.id, change: 'deleted' }, ctx.now);
      return json({ id: a.id, type: 'code_artifact_deleted' });
    },
  },
];
