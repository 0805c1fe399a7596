/**
 * Activities kind (compliance-api.md §3.7, §4.2): the feed in the spec's window, bounded above by
 * the as-of cut (itself now − indexing lag, so late-indexed events are not lost to a bound that
 * is too recent), oldest first, one JSON line per activity in `data/activities/activities.jsonl`.
 * The feed is at-least-once: rows are deduped by id in the store, and each quiescence pass
 * re-queries the window to pick up events that were indexed late.
 */
import type { Activity, ActivityListParams } from '../../api/index.js';
import { stageRecord, walkFailureGuard, type PassContext } from '../context.js';
import { trackedItems, WalkCheckpoint } from '../walk-checkpoint.js';
import type { Estimator, RelistedKind, Listing, ListingScope, Surveyor } from './kind-module.js';

const STAGE = 'activities';
const ACTIVITIES_AGGREGATE = 'activities/activities.jsonl';
/**
 * Activities a page: 1,000, the other listings' page size, not the documented maximum of 5,000
 * (§2 endpoint table). A page is parsed whole and each activity kept byte for byte: a page of
 * 5,000 (~2.4 MB of JSON on the sandbox's large profile) took the exporter's heap from ~25 to
 * ~100 MB for a moment, the highest point of the whole collect; pages of 1,000 peak near 50 MB
 * (bench/RESULTS.md, "Scale"). The cost is four more requests per 5,000 activities: 122 more of
 * 164,815 on a 100,000-chat organization.
 */
const ACTIVITY_PAGE = 1000;

/** The feed's parameters for the spec's window, bounded above by the cut. */
export function activityParams(ctx: ListingScope): ActivityListParams {
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
    limit: ACTIVITY_PAGE,
  };
}

/** A walk of the feed with these parameters (`survey` names it in the plan). */
export function activityListing(key: string, survey: string, params: ActivityListParams): Listing<Activity> {
  return {
    key,
    survey,
    limit: params.limit ?? ACTIVITY_PAGE,
    pages: (client, options) => client.listActivities(params, options),
  };
}

/** The one walk of a pass: the whole window again each time (late-indexed events). */
function activityListings(ctx: ListingScope, pass: number): Listing<Activity> {
  return activityListing(`activities:p${pass}`, 'activities', activityParams(ctx));
}

async function collectActivities(ctx: PassContext): Promise<void> {
  const counters = ctx.progress.stage(STAGE);
  const walk = activityListings(ctx, ctx.pass);
  const checkpoint = new WalkCheckpoint(ctx.store, walk.key);
  const resume = checkpoint.resume;
  if (resume.done) {
    counters.listingDone();
    return;
  }
  const pages = walk.pages(ctx.client, {
    ...(resume.from !== undefined ? { resumeFrom: resume.from } : {}),
    signal: ctx.signal,
  });
  const guard = walkFailureGuard(ctx, STAGE, 'activity', walk.key);
  for await (const w of trackedItems(pages, checkpoint, guard, () => counters.listingDone())) {
    counters.listed += 1;
    stageRecord(
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
    counters.handled += 1;
  }
}

/** Who an activity names as its actor: email, else user id. */
function actorOf(a: Activity): string | null {
  const actor = a.actor as Record<string, unknown> | undefined;
  const email = actor?.['email_address'];
  if (typeof email === 'string') return email;
  const id = actor?.['user_id'];
  return typeof id === 'string' ? id : null;
}

async function surveyActivities(s: Surveyor): Promise<void> {
  await s.walk(activityListings(s.scope, 1), (a) => {
    s.tally('activities', a.organization_uuid ?? null, actorOf(a));
    s.noteActivity(a);
  });
}

function estimateActivities(e: Estimator): void {
  const acts = e.pages('activities');
  const n = e.count('activities');
  const page = ACTIVITY_PAGE.toLocaleString('en');
  e.add('list.activities', acts.pages, `${n} ${n === 1 ? 'activity' : 'activities'} in pages of ${page}`);
}

/** The activity feed: one JSONL aggregate. */
export const activities: RelistedKind = {
  name: 'activities',
  include: 'activities',
  aggregates: [ACTIVITIES_AGGREGATE],
  relisted: true,
  collect: collectActivities,
  survey: surveyActivities,
  estimate: estimateActivities,
  relistEstimate: (e) => e.pages('activities').pages,
};
