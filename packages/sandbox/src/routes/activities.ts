/** The Activity Feed (§3.7): newest first by default, cursors are activity ids. */
import { ACTIVITY_TYPES } from '../activity-types.js';
import { compareActivity } from '../generate-extras.js';
import { SCOPE } from '../keys.js';
import type { Activity } from '../model.js';
import { iso } from '../random.js';
import { json, type RequestContext, type Route } from '../http/context.js';
import { badRequest } from '../http/errors.js';
import { inRange, limitParam, rangeParams } from '../http/query.js';
import { taggedOrgId } from '../serialize.js';
import { V1, UUID_RE } from './common.js';

const typeCheck = (v: string): string | null =>
  ACTIVITY_TYPES.has(v) ? null : 'Input is not one of the permitted values.';

export function activityJson(a: Activity) {
  return {
    id: a.id,
    type: a.type,
    created_at: iso(a.createdAt),
    organization_id: a.orgUuid === null ? null : taggedOrgId(a.orgUuid),
    organization_uuid: a.orgUuid,
    actor: a.actor,
    ...a.fields,
  };
}

function listActivities(ctx: RequestContext) {
  const q = ctx.query;
  const world = ctx.state.world;
  if (q.list('activity_types[]').length > 0 && q.list('exclude_activity_types[]').length > 0) {
    throw badRequest("'activity_types[]' cannot be combined with 'exclude_activity_types[]'.");
  }
  if (q.has('after_id') && q.has('before_id'))
    throw badRequest("Only one of 'after_id' and 'before_id' may be set.");
  const include = new Set(q.list('activity_types[]'));
  const exclude = new Set(q.list('exclude_activity_types[]'));
  // user_ids[] is an alias of actor_ids[]; the two lists are merged.
  const actors = new Set([...q.list('actor_ids[]'), ...q.list('user_ids[]')]);
  const orgs = q.list('organization_ids[]');
  const range = q.range('created_at');
  const desc = q.str('order') !== 'asc';
  const limit = q.int('limit') ?? 100;
  const single = ctx.principal.orgUuid;
  // Events become queryable only after the indexing lag (§4.2; documented as 1 minute).
  const visibleUntil = ctx.now - (ctx.state.consistency.activityLagMs ?? 0);
  const matches = (a: Activity): boolean =>
    a.createdAt <= visibleUntil &&
    (single === null || a.orgUuid === null || a.orgUuid === single) &&
    (include.size === 0 || include.has(a.type)) &&
    !exclude.has(a.type) &&
    (actors.size === 0 || actors.has((a.actor.user_id as string | undefined) ?? '')) &&
    (orgs.length === 0 ||
      (a.orgUuid !== null && (orgs.includes(a.orgUuid) || orgs.includes(taggedOrgId(a.orgUuid))))) &&
    inRange(a.createdAt, range);

  const list = world.activities;
  const cursor = (param: 'after_id' | 'before_id'): Activity | null => {
    const raw = q.str(param);
    if (raw === undefined) return null;
    const a = /^activity_[0-9A-Za-z]{22}$/.test(raw) ? world.index.activityById.get(raw) : undefined;
    if (a === undefined) throw badRequest(`Invalid activity_id format: '${raw}'`);
    return a;
  };
  // Position in ascending storage order of the first row strictly after `a`.
  const upper = (a: Activity): number => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = list[mid];
      if (m !== undefined && compareActivity(m, a) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const after = cursor('after_id');
  const before = cursor('before_id');
  // Walk in result order (desc: backwards through storage), or against it for before_id.
  const forward = before === null ? !desc : desc;
  let i: number;
  if (after !== null) i = desc ? upper(after) - 2 : upper(after);
  else if (before !== null) i = desc ? upper(before) : upper(before) - 2;
  else i = desc ? list.length - 1 : 0;
  const page: Activity[] = [];
  let more = false;
  for (; i >= 0 && i < list.length; i += forward ? 1 : -1) {
    const a = list[i];
    if (a === undefined || !matches(a)) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(a);
  }
  if (before !== null) page.reverse();
  // Quirk (§7.3): a full page that says has_more false, or pages with no has_more, while more exist.
  const quirk = ctx.state.quirks.activityHasMore;
  const hasMore =
    quirk === 'absent' ? {} : { has_more: quirk === 'false_on_full' && page.length === limit ? false : more };
  return {
    data: page.map(activityJson),
    ...hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page[page.length - 1]?.id ?? null,
  };
}

export const activityRoutes: Route[] = [
  {
    method: 'GET',
    template: `${V1}/activities`,
    scope: SCOPE.activities,
    adminAllowed: true,
    params: {
      'activity_types[]': { kind: 'array', check: typeCheck },
      'exclude_activity_types[]': { kind: 'array', check: typeCheck },
      'actor_ids[]': {
        kind: 'array',
        check: (v) => (v.startsWith('user_') ? null : "Input should start with 'user_'"),
      },
      'user_ids[]': {
        kind: 'array',
        check: (v) => (v.startsWith('user_') ? null : "Input should start with 'user_'"),
      },
      'organization_ids[]': {
        kind: 'array',
        check: (v) =>
          v.startsWith('org_') || UUID_RE.test(v) ? null : 'Input should be an org_ ID or a UUID',
      },
      ...rangeParams('created_at'),
      after_id: { kind: 'string' },
      before_id: { kind: 'string' },
      ...limitParam(5000),
      order: { kind: 'enum', values: ['asc', 'desc'] },
    },
    handle: (ctx) => json(listActivities(ctx)),
  },
];
