/**
 * Activities stage (compliance-api.md §3.7, §4.2): the feed in the spec's window, bounded above by
 * the as-of cut (itself now − indexing lag, so late-indexed events are not lost to a bound that
 * is too recent), oldest first, one JSON line per activity in `data/activities/activities.jsonl`.
 * The feed is at-least-once: rows are deduped by id in the store, and each quiescence pass
 * re-queries the window to pick up events that were indexed late.
 */
import type { ActivityListParams } from '../api/index.js';
import { includes, put, walkFailureGuard, type CollectContext } from './context.js';
import { trackedItems, WalkCheckpoint } from './walk-checkpoint.js';

const STAGE = 'activities';
export const ACTIVITIES_AGGREGATE = 'activities/activities.jsonl';

export function activityParams(ctx: CollectContext): ActivityListParams {
  const w = ctx.spec.scope.created_at ?? {};
  const range: Record<string, string> = {};
  if (w.gte !== undefined) range.gte = w.gte;
  if (w.gt !== undefined) range.gt = w.gt;
  const upper = w.lt ?? w.lte;
  if (upper !== undefined && Date.parse(upper) <= Date.parse(ctx.cut)) {
    if (w.lt !== undefined) range.lt = w.lt;
    else range.lte = upper;
  } else range.lte = ctx.cut;
  const s = ctx.spec.scope;
  return {
    ...(ctx.scope.orgUuids !== null ? { organization_ids: ctx.scope.orgUuids } : {}),
    ...(ctx.scope.custodianIds !== null ? { actor_ids: ctx.scope.custodianIds } : {}),
    ...(s.activity_types !== undefined ? { activity_types: s.activity_types } : {}),
    ...(s.exclude_activity_types !== undefined ? { exclude_activity_types: s.exclude_activity_types } : {}),
    created_at: range,
    order: 'asc',
    // The documented maximum (§2 endpoint table): a fifth of the pages of 1,000.
    limit: 5000,
  };
}

export async function collectActivities(ctx: CollectContext): Promise<void> {
  if (!includes(ctx, 'activities')) return;
  const counters = ctx.progress.stage(STAGE);
  const checkpoint = new WalkCheckpoint(ctx.store, `activities:p${ctx.pass}`);
  const resume = checkpoint.resume;
  if (resume.done) return;
  const pages = ctx.client.listActivities(activityParams(ctx), {
    ...(resume.from !== undefined ? { resumeFrom: resume.from } : {}),
    signal: ctx.signal,
  });
  const key = `activities:p${ctx.pass}`;
  for await (const w of trackedItems(pages, checkpoint, walkFailureGuard(ctx, STAGE, 'activity', key))) {
    counters.listed += 1;
    put(
      ctx,
      {
        kind: 'activity',
        id: w.item.id,
        updatedAt: w.item.created_at,
        createdAt: w.item.created_at,
        custodian: (w.item.actor?.['email_address'] as string | undefined) ?? null,
        row: { aggregate: ACTIVITIES_AGGREGATE, json: w.raw },
        source: { endpoint: w.page.endpoint, query: w.page.query, requestId: w.page.requestId },
      },
      STAGE,
    );
    w.finish();
  }
}
