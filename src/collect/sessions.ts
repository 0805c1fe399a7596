/**
 * Sessions stage (compliance-api.md §3.16, §4.1-4.2), only when `sessions` is included: local and
 * remote session lists (page tokens, no `has_more`), each transcript stored as
 * `data/sessions/{local,remote}/<id>.json` = `{"session":…,"messages":[…]}` with the records
 * verbatim. Sessions have no `updated_at`: a stored session is not fetched again in this export.
 */
import type { Page } from '../api/index.js';
import { safeSegment } from '../archive/safe-name.js';
import { includes, isStored, put, recordFailure, walkFailureGuard, type CollectContext } from './context.js';
import { forEachBounded } from './fan-out.js';
import { trackedItems, WalkCheckpoint, type WalkItem } from './walk-checkpoint.js';

const STAGE = 'sessions';

type Kind = 'local' | 'remote';
interface SessionLike {
  id: string;
  created_at: string;
  user?: { id: string; email_address: string | null } | null;
}

export async function collectSessions(ctx: CollectContext): Promise<void> {
  if (!includes(ctx, 'sessions')) return;
  const w = ctx.spec.scope.created_at;
  const local = ctx.client.listLocalSessions.bind(ctx.client);
  const remote = ctx.client.listRemoteSessions.bind(ctx.client);
  await walkSessions(ctx, 'local', (from) =>
    local(
      {
        ...(w?.gte !== undefined
          ? { created_at: { gte: w.gte, ...(w.lt !== undefined ? { lt: w.lt } : {}) } }
          : {}),
        limit: 500,
      },
      { ...(from !== undefined ? { resumeFrom: from } : {}), signal: ctx.signal },
    ),
  );
  await walkSessions(ctx, 'remote', (from) =>
    remote(
      {
        ...(ctx.scope.orgUuids !== null ? { organization_ids: ctx.scope.orgUuids } : {}),
        ...(w !== undefined ? { created_at: { ...w } } : {}),
        limit: 500,
      },
      { ...(from !== undefined ? { resumeFrom: from } : {}), signal: ctx.signal },
    ),
  );
}

async function walkSessions(
  ctx: CollectContext,
  kind: Kind,
  list: (from: string | undefined) => AsyncIterable<Page<SessionLike>>,
): Promise<void> {
  const counters = ctx.progress.stage(STAGE);
  const checkpoint = new WalkCheckpoint(ctx.store, `sessions:${kind}`);
  const resume = checkpoint.resume;
  if (resume.done) return;
  const ids = ctx.scope.custodianIds;
  await forEachBounded(
    trackedItems(list(resume.from), checkpoint, walkFailureGuard(ctx, STAGE, 'session', `sessions:${kind}`)),
    async (item: WalkItem<SessionLike>) => {
      counters.listed += 1;
      const s = item.item;
      const skip =
        (ids !== null && (s.user == null || !ids.includes(s.user.id))) ||
        Date.parse(s.created_at) > Date.parse(ctx.cut) ||
        isStored(ctx, 'session', `${kind}/${s.id}`);
      if (!skip) await fetchSession(ctx, kind, s, item.raw);
      item.finish();
    },
    { concurrency: ctx.concurrency, readAhead: ctx.readAhead, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
}

async function fetchSession(ctx: CollectContext, kind: Kind, s: SessionLike, raw: string): Promise<void> {
  const id = `${kind}/${s.id}`;
  const params = { limit: 1000, tool_use_input_max_bytes: -1, tool_result_max_bytes: -1 };
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
  try {
    const ref = await ctx.store.blobs.putStream(document());
    const src = (source ?? {
      endpoint: `/v1/compliance/apps/sessions/${kind}`,
      query: '',
      requestId: null,
    }) as {
      endpoint: string;
      query: string;
      requestId: string | null;
    };
    put(
      ctx,
      {
        kind: 'session',
        id,
        updatedAt: s.created_at,
        createdAt: s.created_at,
        custodian: s.user?.email_address ?? s.user?.id ?? null,
        files: [{ path: `sessions/${kind}/${safeSegment(s.id)}.json`, ...ref }],
        source: src,
      },
      STAGE,
    );
  } catch (error) {
    recordFailure(ctx, STAGE, { kind: 'session', id }, error);
  }
}
