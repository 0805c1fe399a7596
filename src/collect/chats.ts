/**
 * Chats stage (compliance-api.md §2.2, §3.8-3.9, §4.2, recipe §4.5 steps 2-3).
 *
 * Pass 1: custodian jobs walk per user (`user_ids[]` ≤ 10 a request, `order_by=created_at`, which
 * is the only order per-user queries allow); other jobs walk org-wide. Later passes list the same
 * scope again in full, with no time filter, and refetch every chat whose listing differs from what
 * is staged (`updated_at`, and the signals a listing shows without bumping it).
 *
 * Each chat becomes `data/chats/<id>.json` = `{"chat":…,"messages":[…]}` with the API's records
 * verbatim, streamed into a blob page by page (a long chat is never held whole). The chat record
 * is written last, after everything it references is stored or named as a gap, so a stored chat
 * means a finished chat and a resumed run skips it.
 */
import type { ArtifactRef, Chat, ChatListParams } from '../api/index.js';
import type { TimeRange } from '../api/types.js';
import { safeSegment } from '../archive/safe-name.js';
import type { TimeWindow } from '../spec/types.js';
import { inWindow } from '../spec/time-window.js';
import {
  fetchArtifactVersion,
  fetchFile,
  fetchGeneratedFile,
  messageReferences,
  type MessageFileReference,
} from './chat-attachments.js';
import {
  holdsListedState,
  includes,
  listingSignals,
  put,
  recordFailure,
  walkFailureGuard,
  type CollectContext,
} from './context.js';
import { forEachBounded } from './fan-out.js';
import { trackedItems, WalkCheckpoint, type WalkItem } from './walk-checkpoint.js';

const STAGE = 'chats';
const MAX_USER_IDS = 10;

function range(w: TimeWindow): TimeRange {
  return { ...w };
}

/**
 * The window widened by the overlap on both sides, for a listing filtered on the lagging
 * updated_at index: an entry indexed a little late still falls inside. The exact window is
 * applied locally (`wanted`).
 */
function widen(w: TimeWindow, overlapMs: number): TimeRange {
  const shift = (ts: string, by: number): string => new Date(Date.parse(ts) + by).toISOString();
  const out: TimeRange = {};
  if (w.gte !== undefined) out.gte = shift(w.gte, -overlapMs);
  if (w.gt !== undefined) out.gte = shift(w.gt, -overlapMs);
  if (w.lt !== undefined) out.lt = shift(w.lt, overlapMs);
  if (w.lte !== undefined) out.lt = shift(w.lte, overlapMs);
  return out;
}

interface ChatWalk {
  readonly key: string;
  readonly params: ChatListParams;
}

/** The listing fields that can change without `updated_at` moving (§3.8: a rename may not bump it). */
const CHAT_SIGNALS = ['deleted_at', 'name', 'project_id', 'user'] as const;

/**
 * The walks of one pass. Pass 1 may use a time filter that matches the spec's window (the
 * cheapest listing). Re-enumeration (pass 2+) never does: time filters read an eventually
 * consistent index (§4.2), and a chat whose new message is indexed late would drop out of any
 * window for good. It lists in full (1,000 chats a request, ~100 requests per 100k chats, small
 * next to the message fetches) and judges every chat by what its listing shows; the spec's
 * windows are applied locally (`wanted`).
 */
export function chatWalks(ctx: CollectContext, pass: number): ChatWalk[] {
  const { created_at: created, updated_at: updated } = ctx.spec.scope;
  const relist = pass > 1;
  const orgs = ctx.scope.orgUuids === null ? {} : { organization_ids: ctx.scope.orgUuids };
  const ids = ctx.scope.custodianIds;
  if (ids !== null) {
    const walks: ChatWalk[] = [];
    for (let i = 0; i < ids.length; i += MAX_USER_IDS) {
      walks.push({
        key: `chats:p${pass}:users:${i / MAX_USER_IDS}`,
        params: {
          user_ids: ids.slice(i, i + MAX_USER_IDS),
          ...orgs,
          // Per-user queries only allow created_at order (§2.2).
          order_by: 'created_at',
          ...(created !== undefined && !relist ? { created_at: range(created) } : {}),
          limit: 1000,
        },
      });
    }
    return walks;
  }
  // Org-wide: time filters must match the sort key (§2.2); the other window is applied locally.
  if (created === undefined && updated !== undefined && !relist) {
    return [
      {
        key: 'chats:p1:org',
        params: {
          ...orgs,
          order_by: 'updated_at',
          updated_at: widen(updated, ctx.spec.consistency.overlap_ms),
          limit: 1000,
        },
      },
    ];
  }
  return [
    {
      key: `chats:p${pass}:org`,
      params: {
        ...orgs,
        order_by: 'created_at',
        ...(created !== undefined && !relist ? { created_at: range(created) } : {}),
        limit: 1000,
      },
    },
  ];
}

function wanted(ctx: CollectContext, chat: Chat): boolean {
  if (!inWindow(chat.created_at, ctx.spec.scope.created_at)) return false;
  if (!inWindow(chat.updated_at, ctx.spec.scope.updated_at)) return false;
  const ids = ctx.scope.custodianIds;
  if (ids !== null && (chat.user === null || !ids.includes(chat.user.id))) return false;
  return true;
}

/** Walk the chats of one pass; returns when every listed chat is stored or named as a gap. */
export async function collectChats(ctx: CollectContext): Promise<void> {
  if (!includes(ctx, 'chats')) return;
  const counters = ctx.progress.stage(STAGE);
  for (const walk of chatWalks(ctx, ctx.pass)) {
    const checkpoint = new WalkCheckpoint(ctx.store, walk.key);
    const resume = checkpoint.resume;
    if (resume.done) continue;
    const pages = ctx.client.listChats(walk.params, {
      ...(resume.from !== undefined ? { resumeFrom: resume.from } : {}),
      signal: ctx.signal,
    });
    await forEachBounded(
      trackedItems(pages, checkpoint, walkFailureGuard(ctx, STAGE, 'chat', walk.key)),
      async (w: WalkItem<Chat>) => {
        counters.listed += 1;
        // Not in a `finally`: a fatal error (Ctrl-C, key revoked) must not advance the checkpoint.
        if (wanted(ctx, w.item)) await collectChat(ctx, w.item, w.raw);
        w.finish();
      },
      {
        concurrency: ctx.concurrency,
        readAhead: ctx.readAhead,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    );
  }
}

/** Fetch one listed chat unless the store already holds this state of it. */
export async function collectChat(ctx: CollectContext, listed: Chat, rawListed: string): Promise<void> {
  const counters = ctx.progress.stage(STAGE);
  const held = ctx.store.status('chat', listed.id);
  const signals = listingSignals(listed, CHAT_SIGNALS);
  if (holdsListedState(ctx, 'chat', listed.id, listed.updated_at, signals)) {
    counters.skipped += 1;
    return;
  }
  const custodian = listed.user?.email_address ?? listed.user?.id ?? null;
  // Created after the cut and never captured: left out, listed as drift, no content fetched.
  if (held.state !== 'stored' && Date.parse(listed.created_at) > Date.parse(ctx.cut)) {
    put(
      ctx,
      {
        kind: 'chat',
        id: listed.id,
        updatedAt: listed.updated_at,
        createdAt: listed.created_at,
        custodian,
        row: { aggregate: '-', json: rawListed },
        source: { endpoint: '/v1/compliance/apps/chats' },
      },
      STAGE,
    );
    return;
  }
  // The first entry naming an id is kept: it becomes the file's metadata.json (chat-attachments.ts).
  const files = new Map<string, MessageFileReference>();
  const generated = new Map<string, MessageFileReference>();
  const artifacts = new Map<string, ArtifactRef>();
  let chat: Record<string, unknown> | null = null;
  let first: { endpoint: string; query: string; requestId: string | null } | null = null;
  const pages = ctx.client.chatMessagePages(
    listed.id,
    { tool_use_input_max_chars: -1, tool_result_max_chars: -1, limit: 1000 },
    { signal: ctx.signal },
  );
  async function* document(): AsyncGenerator<Buffer> {
    let n = 0;
    for await (const page of pages) {
      if (page.index === 0) {
        const { has_more: _h, first_id: _f, last_id: _l, ...meta } = page.envelope;
        chat = meta;
        first = { endpoint: page.endpoint, query: page.query, requestId: page.requestId };
        yield Buffer.from(`{"chat":${JSON.stringify(meta)},"messages":[`);
      }
      for (let i = 0; i < page.items.length; i += 1) {
        const m = page.items[i]!;
        const raw = page.rawItems[i]!;
        for (const f of messageReferences(raw, 'files', m.files)) {
          if (!files.has(f.record.id)) files.set(f.record.id, f);
        }
        for (const g of messageReferences(raw, 'generated_files', m.generated_files)) {
          if (!generated.has(g.record.id)) generated.set(g.record.id, g);
        }
        for (const a of m.artifacts ?? []) artifacts.set(a.version_id, a);
        yield Buffer.from(`${n === 0 ? '' : ','}${raw}`);
        n += 1;
      }
    }
    yield Buffer.from(']}\n');
  }
  let blob;
  try {
    blob = await ctx.store.blobs.putStream(document());
  } catch (error) {
    if (held.state === 'stored' && (error as { code?: string }).code === 'not_found') {
      // Hard-deleted after we captured it: keep what we have, and say so.
      ctx.store.recordDrift({
        kind: 'chat',
        id: listed.id,
        change: 'deleted_after_cut',
        beforeSha256: held.hash,
        afterSha256: null,
        updatedAt: null,
        pass: ctx.pass,
      });
      return;
    }
    recordFailure(ctx, STAGE, { kind: 'chat', id: listed.id }, error);
    return;
  }
  const meta = (chat ?? {}) as Partial<Chat>;
  // Soft-deleted after the cut (§4.3: content emptied, files gone): the state at the cut is the
  // evidence, so the captured version stays in the archive and the deletion is listed as drift.
  if (
    held.state === 'stored' &&
    typeof meta.deleted_at === 'string' &&
    Date.parse(meta.deleted_at) > Date.parse(ctx.cut)
  ) {
    if (ctx.store.driftOf('chat', listed.id)?.change !== 'deleted_after_cut') {
      ctx.store.recordDrift({
        kind: 'chat',
        id: listed.id,
        change: 'deleted_after_cut',
        beforeSha256: held.hash,
        afterSha256: blob.sha256,
        updatedAt: meta.deleted_at,
        pass: ctx.pass,
      });
      ctx.changed += 1;
    }
    return;
  }
  const refs: (() => Promise<void>)[] = [];
  if (includes(ctx, 'files')) {
    for (const f of files.values()) {
      refs.push(() =>
        fetchFile(ctx, f.record.id, { filename: f.record.filename, custodian, parent: listed.id, ref: f }),
      );
    }
  }
  if (includes(ctx, 'generated_files')) {
    for (const g of generated.values()) {
      refs.push(() => fetchGeneratedFile(ctx, g.record, custodian, listed.id, g));
    }
  }
  if (includes(ctx, 'chat_artifacts')) {
    for (const a of artifacts.values()) refs.push(() => fetchArtifactVersion(ctx, a, custodian, listed.id));
  }
  await forEachBounded(refs, (run) => run(), {
    concurrency: Math.max(2, Math.floor(ctx.concurrency / 2)),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const source = (first ?? {
    endpoint: `/v1/compliance/apps/chats/${listed.id}/messages`,
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
      kind: 'chat',
      id: listed.id,
      updatedAt: meta.updated_at ?? listed.updated_at,
      createdAt: meta.created_at ?? listed.created_at,
      deletedAt: meta.deleted_at ?? listed.deleted_at,
      custodian: meta.user?.email_address ?? meta.user?.id ?? custodian,
      originalName: meta.name ?? listed.name,
      signals,
      files: [{ path: `chats/${safeSegment(listed.id)}.json`, ...blob }],
      source,
    },
    STAGE,
  );
}
