/** Chat list with the §2.2 combination rules, chat messages, chat delete (§3.8, §3.9). */
import { SCOPE } from '../keys.js';
import type { Chat, World } from '../model.js';
import { iso } from '../random.js';
import { canSeeOrg, json, type RequestContext, type Route } from '../http/context.js';
import { badRequest, notFound, type ApiError } from '../http/errors.js';
import { decodeToken, encodeToken } from '../http/pagination.js';
import { inRange, limitParam, rangeParams, type TimeRange } from '../http/query.js';
import { apiActor, addActivity, hardDeleteChat, logChange } from '../mutate.js';
import { chatJson } from '../serialize.js';
import { compareChatKey, type ChatSortKey } from '../world.js';
import { V1, UUID_RE } from './common.js';
import { messagesReply, messageParams } from './chat-messages.js';

// The updated_at walk reads the lagging index value (§4.2), not the record's updated_at.
type OrderBy = ChatSortKey;

export function chatOr404(ctx: RequestContext): Chat {
  const id = ctx.params.claude_chat_id ?? '';
  const chat = ctx.state.world.index.chatById.get(id);
  if (
    chat === undefined ||
    !canSeeOrg(ctx, chat.orgUuid) ||
    (chat.removedAt !== null && chat.removedAt <= ctx.now)
  ) {
    throw notFound(`Chat conversation not found: '${id}'`);
  }
  return chat;
}

/** Chat-list cursor: base64 of {"k","t","id"} (§3.1); bound to its sort key. */
function chatCursor(c: Chat, key: OrderBy): string {
  return encodeToken({ k: key === 'createdAt' ? 'created_at' : 'updated_at', t: iso(c[key]), id: c.uuid });
}

function readChatCursor(raw: string, param: string, key: OrderBy): { t: number; uuid: string } {
  const fail = (): ApiError => badRequest(`Invalid pagination cursor for '${param}'`);
  const obj = decodeToken(raw, '', fail);
  const k = key === 'createdAt' ? 'created_at' : 'updated_at';
  if (obj.k !== k || typeof obj.t !== 'string' || typeof obj.id !== 'string' || !UUID_RE.test(obj.id))
    throw fail();
  const t = Date.parse(obj.t);
  if (Number.isNaN(t)) throw fail();
  return { t, uuid: obj.id };
}

const orgIdCheck = (v: string): string | null =>
  v.startsWith('org_') || UUID_RE.test(v)
    ? null
    : 'Input should be an organization UUID or an org_ tagged ID';

/** Enforce §2.2; the messages are ours (the docs leave them undocumented, §7.1 #7). */
function checkCombination(ctx: RequestContext, orderBy: OrderBy): void {
  const q = ctx.query;
  const perUser = q.list('user_ids[]').length > 0;
  if (q.has('after_id') && q.has('before_id'))
    throw badRequest("Only one of 'after_id' and 'before_id' may be set.");
  if (perUser) {
    if (orderBy === 'indexedUpdatedAt')
      throw badRequest("order_by: 'updated_at' is not supported together with 'user_ids[]'.");
    if (q.hasRange('updated_at')) {
      throw badRequest(
        "'updated_at' filters are no longer supported together with 'user_ids[]'. Use 'created_at' filters.",
      );
    }
    return;
  }
  if (q.list('project_ids[]').length > 0)
    throw badRequest("'project_ids[]' can only be used together with 'user_ids[]'.");
  if (q.has('before_id'))
    throw badRequest("'before_id' is not supported for organization-wide queries (without 'user_ids[]').");
  if (orderBy === 'createdAt' && q.hasRange('updated_at')) {
    throw badRequest("'updated_at' filters require order_by=updated_at for organization-wide queries.");
  }
  if (orderBy === 'indexedUpdatedAt' && q.hasRange('created_at')) {
    throw badRequest("'created_at' filters require order_by=created_at for organization-wide queries.");
  }
}

/** First position in `order` whose key is > (t, uuid) (or ≥ when `inclusive`). */
function lowerBound(
  world: World,
  order: number[],
  key: OrderBy,
  t: number,
  uuid: string,
  inclusive: boolean,
): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = world.chats[order[mid] ?? 0];
    const cmp = c === undefined ? 0 : compareChatKey(c[key], c.uuid, t, uuid);
    if (cmp < 0 || (!inclusive && cmp === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function listChats(ctx: RequestContext) {
  const q = ctx.query;
  const world = ctx.state.world;
  const orderBy: OrderBy = q.str('order_by') === 'updated_at' ? 'indexedUpdatedAt' : 'createdAt';
  checkCombination(ctx, orderBy);
  const users = new Set(q.list('user_ids[]'));
  const orgs = q.list('organization_ids[]');
  const projects = new Set(q.list('project_ids[]'));
  const range: TimeRange = q.range(orderBy === 'createdAt' ? 'created_at' : 'updated_at');
  const limit = q.int('limit') ?? 100;
  const order = orderBy === 'createdAt' ? world.index.chatsByCreated : world.index.chatsByUpdated;
  const matches = (c: Chat): boolean =>
    (c.removedAt === null || c.removedAt > ctx.now) &&
    canSeeOrg(ctx, c.orgUuid) &&
    (users.size === 0 || users.has(c.userId)) &&
    (orgs.length === 0 ||
      orgs.some((o) => o === c.orgUuid || o === `org_${c.orgUuid.replace(/-/g, '').slice(0, 24)}`)) &&
    (projects.size === 0 || (c.projectId !== null && projects.has(c.projectId))) &&
    inRange(c[orderBy], range);

  // Narrow to the time window by binary search (filters always match the sort key here).
  let lo = 0;
  let hi = order.length;
  const from = range.gte ?? (range.gt !== undefined ? range.gt + 1 : undefined);
  const to = range.lte !== undefined ? range.lte + 1 : range.lt;
  if (from !== undefined) lo = lowerBound(world, order, orderBy, from, '', true);
  if (to !== undefined) hi = lowerBound(world, order, orderBy, to, '', true);

  const page: Chat[] = [];
  let more = false;
  const before = q.str('before_id');
  if (before !== undefined) {
    const cur = readChatCursor(before, 'before_id', orderBy);
    let i = Math.min(hi, lowerBound(world, order, orderBy, cur.t, cur.uuid, true)) - 1;
    for (; i >= lo; i--) {
      const c = world.chats[order[i] ?? -1];
      if (c === undefined || !matches(c)) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(c);
    }
    page.reverse();
  } else {
    const after = q.str('after_id');
    let i = lo;
    if (after !== undefined) {
      const cur = readChatCursor(after, 'after_id', orderBy);
      i = Math.max(lo, lowerBound(world, order, orderBy, cur.t, cur.uuid, false));
    }
    for (; i < hi; i++) {
      const c = world.chats[order[i] ?? -1];
      if (c === undefined || !matches(c)) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(c);
    }
  }
  const first = page[0];
  const last = page[page.length - 1];
  return {
    data: page.map((c) => chatJson(world, c, ctx.now)),
    has_more: more,
    first_id: first === undefined ? null : chatCursor(first, orderBy),
    last_id: last === undefined ? null : chatCursor(last, orderBy),
  };
}

export const chatRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/apps/chats`,
    scope: SCOPE.userData,
    params: {
      'user_ids[]': { kind: 'array', maxItems: 10 },
      'organization_ids[]': { kind: 'array', check: orgIdCheck },
      'project_ids[]': {
        kind: 'array',
        check: (v) => (v.startsWith('claude_proj_') ? null : "Input should start with 'claude_proj_'"),
      },
      ...rangeParams('created_at'),
      ...rangeParams('updated_at'),
      order_by: { kind: 'enum', values: ['created_at', 'updated_at'] },
      after_id: { kind: 'string' },
      before_id: { kind: 'string' },
      ...limitParam(1000),
    },
    handle: (ctx) => json(listChats(ctx)),
  },
  {
    method: 'GET',
    template: `${V1}/apps/chats/{claude_chat_id}/messages`,
    scope: SCOPE.userData,
    params: messageParams,
    handle: (ctx) => json(messagesReply(ctx, chatOr404(ctx))),
  },
  {
    method: 'DELETE',
    template: `${V1}/apps/chats/{claude_chat_id}`,
    scope: SCOPE.delete,
    handle: (ctx) => {
      const chat = chatOr404(ctx);
      hardDeleteChat(ctx.state.world, chat, ctx.now);
      logChange(ctx.state.world, { kind: 'chat', id: chat.id, change: 'deleted' }, ctx.now);
      addActivity(ctx.state.world, {
        type: 'claude_chat_deleted',
        createdAt: ctx.now,
        orgUuid: chat.orgUuid,
        actor: apiActor(ctx.principal.key.id),
        fields: { claude_chat_id: chat.id, claude_project_id: chat.projectId },
      });
      return json({ id: chat.id, type: 'claude_chat_deleted' });
    },
  },
];
