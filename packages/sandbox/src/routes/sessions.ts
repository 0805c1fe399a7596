/**
 * Local and remote sessions with their transcripts (§3.16). Page tokens only: no `has_more`.
 * Transcript pages also stop early at a byte budget, so a short page never means the end.
 * Local sessions carry `updated_at` (the newest object's eighth field, read so by a peer SDK,
 * §7.3): the time of their newest message, so it moves when a session gains messages; the list
 * accepts `updated_at.{gt,gte,lt,lte}` on it.
 */
import { SCOPE } from '../keys.js';
import type { LocalSession, RemoteSession, SessionBase } from '../model.js';
import { iso } from '../random.js';
import { sessionMessages, sessionUpdatedAt, type SessionMessage } from '../session-messages.js';
import { canSeeOrg, json, type RequestContext, type Route } from '../http/context.js';
import { ApiError, badRequest, notFound } from '../http/errors.js';
import { decodeToken, encodeToken } from '../http/pagination.js';
import { RANGE_OPS, inRange, limitParam, rangeParams, type ParamSpecs } from '../http/query.js';
import { V1, sortedBy, tokenPage } from './common.js';

const PAGE_BYTE_BUDGET = 48 * 1024;
const SERVER_MAX_BYTES = 1024 * 1024;
const CURSOR_TTL_MS = 24 * 3_600_000;

function userJson(ctx: RequestContext, id: string, withEmail: boolean) {
  const u = ctx.state.world.index.userById.get(id);
  return { id, email_address: withEmail ? (u?.email ?? null) : null };
}

export function localJson(ctx: RequestContext, s: LocalSession, envelope = false) {
  return {
    type: 'compliance_local_session',
    id: s.id,
    organization_uuid: s.orgUuid,
    workspace_id: s.workspaceId,
    product_surface: s.productSurface,
    user: userJson(ctx, s.userId, !envelope),
    created_at: iso(s.createdAt),
    updated_at: iso(sessionUpdatedAt(s, ctx.now)),
  };
}

export function remoteJson(ctx: RequestContext, s: RemoteSession, envelope = false) {
  return {
    id: s.id,
    organization_uuid: s.orgUuid,
    user: s.userId === null ? null : userJson(ctx, s.userId, !envelope),
    agent_id: s.agentId,
    started_by_user: envelope || s.startedByUserId === null ? null : userJson(ctx, s.startedByUserId, true),
    status: s.status,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
    product_surface: s.productSurface,
    claude_project_id: envelope ? null : s.projectId,
  };
}

function cutBytes(text: string, max: number): { text: string; truncated: boolean } {
  const cap = max === -1 ? SERVER_MAX_BYTES : max;
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= cap) return { text, truncated: false };
  let end = cap;
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: buf.subarray(0, end).toString('utf8'), truncated: true };
}

function blocks(m: SessionMessage, useMax: number, resultMax: number) {
  return m.texts.map((t, i) => {
    if (t.kind === 'text') return { type: 'text', text: t.text, truncated: false };
    const c = cutBytes(t.text, t.kind === 'tool_use' ? useMax : resultMax);
    const id = `toolu_${m.id.slice(-20)}${i}`;
    return t.kind === 'tool_use'
      ? { type: 'tool_use', id, name: 'bash', input: c.text, truncated: c.truncated }
      : {
          type: 'tool_result',
          tool_use_id: id,
          name: 'bash',
          is_error: false,
          content: [{ type: 'text', text: c.text }],
          truncated: c.truncated,
        };
  });
}

const transcriptParams: ParamSpecs = {
  page: { kind: 'string' },
  ...limitParam(1000),
  order: { kind: 'enum', values: ['asc', 'desc'] },
  tool_use_input_max_bytes: { kind: 'int', min: -1, max: SERVER_MAX_BYTES },
  tool_result_max_bytes: { kind: 'int', min: -1, max: SERVER_MAX_BYTES },
};

/** Caps in bytes; 0 is rejected before the session is looked up. */
function transcriptCaps(ctx: RequestContext): [number, number] {
  const q = ctx.query;
  const useMax = q.int('tool_use_input_max_bytes') ?? 10_000;
  const resultMax = q.int('tool_result_max_bytes') ?? 10_000;
  if (useMax === 0 || resultMax === 0) {
    throw badRequest(
      `${useMax === 0 ? 'tool_use_input_max_bytes' : 'tool_result_max_bytes'}: Input should be -1 or greater than 0`,
    );
  }
  return [useMax, resultMax];
}

/** Transcript page; the token binds session, order and walk start (expires after 24 h for local). */
function transcript(ctx: RequestContext, s: SessionBase, kind: 'local' | 'remote') {
  const q = ctx.query;
  const [useMax, resultMax] = transcriptCaps(ctx);
  const order = q.str('order') === 'desc' ? 'desc' : 'asc';
  let list = sessionMessages(ctx.state.world.seed, s, kind).filter((m) => m.createdAt <= ctx.now);
  if (order === 'desc') list = list.reverse();
  let start = 0;
  let walkStart = ctx.now;
  const raw = q.str('page');
  if (raw !== undefined) {
    const fail = (): ApiError =>
      badRequest(
        kind === 'local'
          ? 'The page parameter is not a valid cursor for this request.'
          : 'Invalid page token.',
      );
    const obj = decodeToken(raw, 'page_', fail);
    if (obj.s !== s.id || obj.o !== order || typeof obj.i !== 'number' || typeof obj.t0 !== 'number')
      throw fail();
    if (kind === 'local' && ctx.now - obj.t0 > CURSOR_TTL_MS) {
      throw badRequest(
        'The page cursor has expired. Restart the walk without a page parameter; results will reflect the current retention boundary.',
      );
    }
    start = obj.i;
    walkStart = obj.t0;
  }
  const limit = q.int('limit') ?? 100;
  const data = [];
  let bytes = 0;
  let i = start;
  for (; i < list.length && data.length < limit; i++) {
    const m = list[i];
    if (m === undefined) break;
    const content = blocks(m, useMax, resultMax);
    const body =
      kind === 'local'
        ? {
            type: 'compliance_local_session_message',
            id: m.id,
            role: m.role,
            created_at: iso(m.createdAt),
            provenance: m.unavailable ? { type: 'content_unavailable', reason: 'not_captured' } : null,
            content: m.unavailable ? [] : content,
          }
        : {
            id: m.id,
            role: m.role,
            created_at: iso(m.createdAt),
            content: m.unavailable ? [] : content,
            sent_by_user_id: m.role === 'user' ? (s as RemoteSession).startedByUserId : null,
            content_unavailable: m.unavailable,
          };
    data.push(body);
    bytes += JSON.stringify(body).length;
    if (bytes > PAGE_BYTE_BUDGET) {
      i++;
      break;
    }
  }
  const next = i < list.length ? encodeToken({ s: s.id, o: order, i, t0: walkStart }, 'page_') : null;
  return {
    session:
      kind === 'local' ? localJson(ctx, s as LocalSession, true) : remoteJson(ctx, s as RemoteSession, true),
    data,
    next_page: next,
  };
}

/** Adversity knob: local sessions unavailable to the parent, every call, list included (§5.5). */
function checkLocalAvailable(ctx: RequestContext): void {
  if (ctx.state.faults?.localSessionsUnavailable === true)
    throw notFound('Local sessions are not available.');
}

function localOr404(ctx: RequestContext): LocalSession {
  checkLocalAvailable(ctx);
  const id = ctx.params.local_session_id ?? '';
  if (!/^clls_[0-9A-Za-z]+$/.test(id)) throw badRequest(`Invalid local session ID: '${id}'`);
  const s = ctx.state.world.index.localSessionById.get(id);
  if (s === undefined || s.removedAt !== null || !canSeeOrg(ctx, s.orgUuid))
    throw notFound('Local session not found.');
  // Adversity knob: a session whose retention overrides cannot be evaluated; it can persist, so
  // the server says not to retry (§5.9).
  if (ctx.state.faults?.retentionOverride.has(s.id) === true) {
    throw new ApiError(
      503,
      'overloaded_error',
      'The local-sessions index cannot currently evaluate retention overrides for this session. Try again later.',
      { headers: { 'x-should-retry': 'false' } },
    );
  }
  return s;
}

function remoteOr404(ctx: RequestContext): RemoteSession {
  const id = ctx.params.claude_remote_session_id ?? '';
  if (!/^cse_[0-9A-Za-z]+$/.test(id)) throw badRequest(`Invalid remote session ID: '${id}'`);
  const s = ctx.state.world.index.remoteSessionById.get(id);
  // Missing, deleted, unreadable or still pending: one 404 (§5.5).
  if (s === undefined || s.removedAt !== null || s.status === 'pending' || !canSeeOrg(ctx, s.orgUuid)) {
    throw notFound('Remote session not found.');
  }
  return s;
}

export const sessionRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/apps/sessions/local`,
    scope: SCOPE.userData,
    params: {
      ...rangeParams('created_at', ['gte', 'lt'], true),
      ...rangeParams('updated_at', RANGE_OPS, true),
      page: { kind: 'string' },
      ...limitParam(500),
    },
    handle: (ctx) => {
      checkLocalAvailable(ctx);
      const r = ctx.query.range('created_at');
      if (r.gte !== undefined && r.lt !== undefined && r.lt <= r.gte) {
        throw badRequest('created_at.lt must be strictly after created_at.gte.');
      }
      // Several updated_at operators are AND-ed, as on the other endpoints (§4.2).
      const u = ctx.query.range('updated_at');
      const rows = ctx.state.world.localSessions.filter(
        (s) =>
          s.removedAt === null &&
          canSeeOrg(ctx, s.orgUuid) &&
          s.createdAt <= ctx.now &&
          inRange(s.createdAt, r) &&
          inRange(sessionUpdatedAt(s, ctx.now), u),
      );
      const key = (s: LocalSession) => [s.createdAt, s.id];
      return json(
        tokenPage(ctx, sortedBy(rows, key).reverse(), key, (s) => localJson(ctx, s), 100, {
          prefix: 'page_',
          message: 'The page parameter is not a valid cursor for this request.',
          desc: true,
          hasMore: false,
        }),
      );
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/sessions/local/{local_session_id}`,
    scope: SCOPE.userData,
    handle: (ctx) => json(localJson(ctx, localOr404(ctx))),
  },
  {
    method: 'GET',
    template: `${V1}/apps/sessions/local/{local_session_id}/messages`,
    scope: SCOPE.userData,
    params: transcriptParams,
    handle: (ctx) => {
      transcriptCaps(ctx);
      return json(transcript(ctx, localOr404(ctx), 'local'));
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/sessions/remote`,
    scope: SCOPE.userData,
    params: {
      'organization_ids[]': { kind: 'array', maxItems: 500 },
      'user_ids[]': { kind: 'array', maxItems: 10 },
      ...rangeParams('created_at'),
      page: { kind: 'string' },
      ...limitParam(500),
    },
    handle: (ctx) => {
      const q = ctx.query;
      const r = q.range('created_at');
      const orgs = q.list('organization_ids[]');
      const users = new Set(q.list('user_ids[]'));
      const rows = ctx.state.world.remoteSessions.filter(
        (s) =>
          s.removedAt === null &&
          canSeeOrg(ctx, s.orgUuid) &&
          s.createdAt <= ctx.now &&
          inRange(s.createdAt, r) &&
          (orgs.length === 0 || orgs.includes(s.orgUuid)) &&
          // user_ids[] excludes agent-owned sessions.
          (users.size === 0 || (s.userId !== null && users.has(s.userId))),
      );
      const key = (s: RemoteSession) => [s.createdAt, s.id];
      return json(
        tokenPage(ctx, sortedBy(rows, key).reverse(), key, (s) => remoteJson(ctx, s), 100, {
          desc: true,
          hasMore: false,
        }),
      );
    },
  },
  {
    method: 'GET',
    template: `${V1}/apps/sessions/remote/{claude_remote_session_id}/messages`,
    scope: SCOPE.userData,
    params: transcriptParams,
    handle: (ctx) => {
      transcriptCaps(ctx);
      return json(transcript(ctx, remoteOr404(ctx), 'remote'));
    },
  },
];
