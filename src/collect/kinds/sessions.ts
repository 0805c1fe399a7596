/**
 * Sessions kind (compliance-api.md §3.16, §4.1-4.2, §5.5, §5.9), only when `sessions` is included:
 * local and remote session lists (page tokens, no `has_more`), each transcript stored as
 * `data/sessions/{local,remote}/<id>.json` = `{"session":…,"messages":[…]}` with the records
 * verbatim.
 *
 * Pass 1 may filter the lists on the spec's created_at window. Later passes, and a rerun's retry
 * of session gaps, list in full with no time filter and judge each session by its listing: one
 * whose `updated_at` differs from the staged one is fetched again. Remote sessions document
 * `updated_at`; local ones carry it in the newest API (the eighth field, §7.3) and it moves when a
 * session gains messages, which no created_at window shows (§4.2). A session listed without it is
 * not fetched again once stored. The `updated_at.*` list filters only a third party vouches for
 * are never sent: the spec's windows are applied here.
 *
 * Gaps a rerun may close: the local listing while local sessions are not available (404, §5.5),
 * a session whose retention overrides cannot be evaluated (503 that says not to retry, §5.9: skip
 * it, come back on a later run), a remote session still `pending` (its transcript answers 404).
 */
import { isExportError } from '../../errors.js';
import { safeSegment } from '../../archive/safe-name.js';
import { inWindow } from '../../spec/time-window.js';
import {
  classify,
  includes,
  isTemporarilyUnavailable,
  stageRecord,
  recordFailure,
  walkFailureGuard,
  type PassContext,
} from '../context.js';
import { forEachBounded } from '../fan-out.js';
import {
  custodianOf,
  type Estimator,
  type RelistedKind,
  type Listing,
  type ListingScope,
  type Surveyor,
} from './kind-module.js';
import { trackedItems, WalkCheckpoint, type WalkItem } from '../walk-checkpoint.js';

const STAGE = 'sessions';
/** Sessions a listing page holds; messages a transcript page holds. */
const SESSION_PAGE = 500;
const MESSAGE_PAGE = 1000;
const KINDS = ['local', 'remote'] as const;

type Kind = (typeof KINDS)[number];
interface SessionLike {
  id: string;
  organization_uuid?: string;
  created_at: string;
  updated_at?: string | null;
  status?: string;
  user?: { id: string; email_address: string | null } | null;
}

/** The gap id of a session listing (the one `walkFailureGuard` gives it too). */
const listingId = (kind: Kind): string => `listing:sessions:${kind}`;

async function collectSessions(ctx: PassContext): Promise<void> {
  for (const kind of KINDS) {
    // Pass 1 keeps the walk key of earlier versions, so their state resumes.
    const walk = ctx.pass === 1 ? `sessions:${kind}` : `sessions:${kind}:p${ctx.pass}`;
    await walkSessions(ctx, kind, walk, ctx.pass === 1, undefined, kind === KINDS.at(-1));
  }
  ctx.progress.stage(STAGE).listingDone();
}

/**
 * A rerun's retry of session gaps: list each kind with a gap again in full, fetching what is not
 * staged (a cleared pending session, one whose overrides can be evaluated now, the sessions of a
 * listing that was unavailable). A gap whose session a complete re-listing no longer shows is
 * final: it is gone.
 */
async function retrySessionGaps(
  ctx: PassContext,
  gaps: readonly { readonly id: string; readonly at: string }[],
): Promise<void> {
  if (!includes(ctx, 'sessions')) return;
  for (const kind of KINDS) {
    const mine = gaps.filter((g) => g.id === listingId(kind) || g.id.startsWith(`${kind}/`));
    if (mine.length === 0) continue;
    // Named after the newest gap: a retry cut short resumes; one that records gaps again is new next run.
    const stamp = mine.map((g) => g.at).sort()[mine.length - 1] ?? '';
    const walk = `sessions:${kind}:retry:${stamp}`;
    const fresh = ctx.store.checkpointOf(walk) === undefined;
    const listed = new Set<string>();
    if (!(await walkSessions(ctx, kind, walk, false, listed)) || !fresh) continue;
    for (const g of mine) {
      if (g.id === listingId(kind) || listed.has(g.id)) continue;
      if (ctx.store.exception('session', g.id)?.retryable !== true) continue;
      ctx.store.recordException(
        {
          kind: 'session',
          id: g.id,
          reason: 'not_found_after_listing',
          retryable: false,
          detail: 'no longer listed when its gap was retried',
          endpoint: `/v1/compliance/apps/sessions/${kind}`,
        },
        ctx.pass,
      );
    }
  }
}

/**
 * One session listing. `filtered`: with the spec's created_at window (pass 1), else in full. The
 * local list takes created_at.gte and .lt only (§2.1 #24); `wanted` applies the rest.
 */
function sessionListing(ctx: ListingScope, kind: Kind, key: string, filtered: boolean): Listing<SessionLike> {
  const w = filtered ? ctx.spec.scope.created_at : undefined;
  const listing = { key, survey: `${kind}_sessions`, limit: SESSION_PAGE };
  if (kind === 'local') {
    const created = {
      ...(w?.gte !== undefined ? { gte: w.gte } : {}),
      ...(w?.lt !== undefined ? { lt: w.lt } : {}),
    };
    const params = {
      ...(Object.keys(created).length > 0 ? { created_at: created } : {}),
      limit: SESSION_PAGE,
    };
    return { ...listing, pages: (client, options) => client.listLocalSessions(params, options) };
  }
  const params = {
    ...(ctx.scope.orgUuids !== null ? { organization_ids: ctx.scope.orgUuids } : {}),
    ...(w !== undefined ? { created_at: { ...w } } : {}),
    limit: SESSION_PAGE,
  };
  return { ...listing, pages: (client, options) => client.listRemoteSessions(params, options) };
}

function wanted(ctx: PassContext, s: SessionLike): boolean {
  const ids = ctx.scope.custodianIds;
  if (ids !== null && (s.user == null || !ids.includes(s.user.id))) return false;
  // The local list has no organization filter.
  const orgs = ctx.scope.orgUuids;
  if (orgs !== null && s.organization_uuid !== undefined && !orgs.includes(s.organization_uuid)) return false;
  if (!inWindow(s.created_at, ctx.spec.scope.created_at)) return false;
  // A session listed without updated_at is never dropped by a window it cannot show.
  return typeof s.updated_at !== 'string' || inWindow(s.updated_at, ctx.spec.scope.updated_at);
}

/**
 * Walk one listing; true when it went through to its end (`listed` collects the ids it showed).
 * `last`: the pass's last session listing, whose end completes the stage's listed total.
 */
async function walkSessions(
  ctx: PassContext,
  kind: Kind,
  walk: string,
  filtered: boolean,
  listed?: Set<string>,
  last = false,
): Promise<boolean> {
  const counters = ctx.progress.stage(STAGE);
  const checkpoint = new WalkCheckpoint(ctx.store, walk);
  const resume = checkpoint.resume;
  if (resume.done) return true;
  let failed = false;
  const hopeless = walkFailureGuard(ctx, STAGE, 'session', `sessions:${kind}`);
  const guard = (error: unknown): boolean => {
    if (ctx.signal?.aborted !== true && isTemporarilyUnavailable(error)) {
      // Not available now (§5.5, §5.9): the listing is a gap a rerun lists again; the run goes on.
      const e = error;
      ctx.store.recordException(
        {
          kind: 'session',
          id: listingId(kind),
          ...classify(e),
          detail: `${e.message}; sessions this listing had not reached are not captured`,
          endpoint: e.target.path,
          requestId: e.requestId,
          ...(e.status !== null ? { httpStatus: e.status } : {}),
        },
        ctx.pass,
      );
      counters.gaps += 1;
      failed = true;
      return true;
    }
    failed = hopeless(error);
    return failed;
  };
  await forEachBounded(
    trackedItems(
      sessionListing(ctx, kind, walk, filtered).pages(ctx.client, {
        ...(resume.from !== undefined ? { resumeFrom: resume.from } : {}),
        signal: ctx.signal,
      }),
      checkpoint,
      guard,
      () => {
        if (last) counters.listingDone();
      },
    ),
    async (item: WalkItem<SessionLike>) => {
      counters.listed += 1;
      listed?.add(`${kind}/${item.item.id}`);
      if (wanted(ctx, item.item)) await collectSession(ctx, kind, item.item, item.raw);
      item.finish();
      counters.handled += 1;
    },
    { concurrency: ctx.concurrency, readAhead: ctx.readAhead, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
  if (failed) return false;
  // The listing went through to its end: a gap an earlier pass or run named for it is closed.
  if (ctx.store.exception('session', listingId(kind)) !== undefined) {
    ctx.store.clearException('session', listingId(kind));
  }
  return true;
}

/** Fetch one listed session unless the store holds this state of it already. */
async function collectSession(ctx: PassContext, kind: Kind, s: SessionLike, raw: string): Promise<void> {
  const counters = ctx.progress.stage(STAGE);
  const id = `${kind}/${s.id}`;
  // Failed earlier in this run (a retention override, a pending session): next run, not next pass.
  if (ctx.failed.has(`session\t${id}`)) return;
  const updatedAt = typeof s.updated_at === 'string' ? s.updated_at : s.created_at;
  const held = ctx.store.status('session', id);
  if (held.state !== 'absent' && held.updatedAt === updatedAt) {
    ctx.store.confirm('session', id);
    counters.skipped += 1;
    return;
  }
  if (held.state === 'absent' && Date.parse(s.created_at) > Date.parse(ctx.cut)) return;
  if (kind === 'remote' && s.status === 'pending') {
    // Not started: its transcript answers 404 until it does (§5.5). No request spent on it.
    if (held.state === 'absent') {
      ctx.store.recordException(
        {
          kind: 'session',
          id,
          reason: 'session_pending',
          retryable: true,
          detail: 'listed with status pending: its transcript answers 404 until the session starts',
          endpoint: '/v1/compliance/apps/sessions/remote',
        },
        ctx.pass,
      );
      ctx.failed.add(`session\t${id}`);
      counters.gaps += 1;
    }
    return;
  }
  await fetchSession(ctx, kind, s, raw, updatedAt);
}

async function fetchSession(
  ctx: PassContext,
  kind: Kind,
  s: SessionLike,
  raw: string,
  updatedAt: string,
): Promise<void> {
  const id = `${kind}/${s.id}`;
  const params = { limit: MESSAGE_PAGE, tool_use_input_max_bytes: -1, tool_result_max_bytes: -1 };
  const pages =
    kind === 'local'
      ? ctx.client.listLocalSessionMessages(s.id, params, { signal: ctx.signal })
      : ctx.client.listRemoteSessionMessages(s.id, params, { signal: ctx.signal });
  let source: { endpoint: string; query: string; requestId: string | null } | null = null;
  async function* document(): AsyncGenerator<Buffer> {
    yield Buffer.from(`{"session":${raw},"messages":[`);
    let n = 0;
    for await (const page of pages) {
      source ??= { endpoint: page.endpoint, query: page.query, requestId: page.requestId };
      for (const r of page.rawItems) {
        yield Buffer.from(`${n === 0 ? '' : ','}${r}`);
        n += 1;
      }
    }
    yield Buffer.from(']}\n');
  }
  let ref;
  try {
    ref = await ctx.store.blobs.putStream(document());
  } catch (error) {
    const held = ctx.store.status('session', id);
    const gone = isExportError(error) && error.code === 'not_found' && !isTemporarilyUnavailable(error);
    if (held.state === 'stored' && gone) {
      // Gone after we captured it (deleted, or aged out): keep what we have, and say so.
      ctx.store.recordDrift({
        kind: 'session',
        id,
        change: 'deleted_after_cut',
        beforeSha256: held.hash,
        afterSha256: null,
        updatedAt: null,
        pass: ctx.pass,
      });
      return;
    }
    recordFailure(ctx, STAGE, { kind: 'session', id }, error);
    return;
  }
  const src = (source ?? {
    endpoint: `/v1/compliance/apps/sessions/${kind}`,
    query: '',
    requestId: null,
  }) as { endpoint: string; query: string; requestId: string | null };
  stageRecord(
    ctx,
    {
      kind: 'session',
      id,
      updatedAt,
      createdAt: s.created_at,
      custodian: s.user?.email_address ?? s.user?.id ?? null,
      files: [{ path: `sessions/${kind}/${safeSegment(s.id)}.json`, ...ref }],
      source: src,
    },
    STAGE,
  );
}

/** Plan: the sessions pass 1 lists, of the custodians, that exist at the cut. */
async function surveySessions(s: Surveyor): Promise<void> {
  for (const kind of KINDS) {
    await s.walk(sessionListing(s.scope, kind, `sessions:${kind}`, true), (item) => {
      if (!s.isCustodian(item.user?.id) || Date.parse(item.created_at) > Date.parse(s.scope.cut)) return;
      s.tally(`${kind}_sessions`, item.organization_uuid ?? null, custodianOf(item.user));
    });
  }
}

function estimateSessions(e: Estimator): void {
  const pages = e.pages('local_sessions').pages + e.pages('remote_sessions').pages;
  const n = e.count('local_sessions') + e.count('remote_sessions');
  const plural = (k: number, one: string): string => `${k} ${k === 1 ? one : `${one}s`}`;
  e.add('list.sessions', pages, plural(pages, 'page'));
  e.add('sessions.messages', n, `${plural(n, 'session')} × 1 transcript page`, true);
}

/** Local and remote sessions with their transcripts. */
export const sessions: RelistedKind = {
  name: 'sessions',
  include: 'sessions',
  relisted: true,
  collect: collectSessions,
  retry: { kinds: ['session'], mode: 'all', run: retrySessionGaps },
  survey: surveySessions,
  estimate: estimateSessions,
};
