/**
 * One chat (compliance-api.md §3.8-3.9, §4.3): fetched unless the store holds its listed state.
 * It becomes `data/chats/<id>.json` = `{"chat":…,"messages":[…]}` with the API's records
 * verbatim, streamed into a blob page by page (a long chat is never held whole). The chat record
 * is written last, after everything it references is stored or named as a gap, so a stored chat
 * means a finished chat and a resumed run skips it.
 */
import { isExportError } from '../../errors.js';
import type { ArtifactRef, Chat } from '../../api/index.js';
import { safeSegment } from '../../archive/safe-name.js';
import {
  holdsListedState,
  includes,
  listingSignals,
  recordFailure,
  stageRecord,
  type PassContext,
} from '../context.js';
import { forEachBounded } from '../fan-out.js';
import {
  fetchArtifactVersion,
  fetchFile,
  fetchGeneratedFile,
  messageReferences,
  type MessageFileReference,
} from './chat-attachments.js';
import { custodianOf } from './kind-module.js';

const STAGE = 'chats';
/** The listing fields that can change without `updated_at` moving (§3.8: a rename may not bump it). */
const CHAT_SIGNALS = ['deleted_at', 'name', 'project_id', 'user'] as const;
/** Messages a messages page holds (the documented maximum, §2). */
const MESSAGE_PAGE = 1000;

/** What fetching a chat takes from its listing; a retried gap has only the chat's id. */
interface ChatTarget {
  readonly id: string;
  readonly updatedAt: string | null;
  readonly createdAt: string | null;
  readonly deletedAt: string | null;
  readonly name: string | null;
  readonly custodian: string | null;
  readonly signals: string;
}

/** Fetch one listed chat unless the store already holds this state of it. */
export async function collectChat(ctx: PassContext, listed: Chat, rawListed: string): Promise<void> {
  const counters = ctx.progress.stage(STAGE);
  const held = ctx.store.status('chat', listed.id);
  const signals = listingSignals(listed, CHAT_SIGNALS);
  if (holdsListedState(ctx, 'chat', listed.id, listed.updated_at, signals)) {
    counters.skipped += 1;
    return;
  }
  const custodian = custodianOf(listed.user);
  // Created after the cut and never captured: left out, listed as drift, no content fetched.
  if (held.state !== 'stored' && Date.parse(listed.created_at) > Date.parse(ctx.cut)) {
    stageRecord(
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
  await fetchChat(ctx, {
    id: listed.id,
    updatedAt: listed.updated_at,
    createdAt: listed.created_at,
    deletedAt: listed.deleted_at ?? null,
    name: listed.name,
    custodian,
    signals,
  });
}

/**
 * A rerun's retry of a chat gap: judged by what the messages endpoint says now, not excluded by a
 * listing time. With no listing, its signals are an empty listing's, which the next pass's
 * listing never matches: that pass refetches it and records what the listing shows.
 */
export function retryChat(ctx: PassContext, id: string): Promise<void> {
  const signals = listingSignals({ name: '' }, CHAT_SIGNALS);
  const target = {
    id,
    updatedAt: null,
    createdAt: null,
    deletedAt: null,
    name: null,
    custodian: null,
    signals,
  };
  return fetchChat(ctx, target);
}

/** Fetch a chat's messages and what they reference, then stage the chat. */
async function fetchChat(ctx: PassContext, listed: ChatTarget): Promise<void> {
  const held = ctx.store.status('chat', listed.id);
  const { custodian, signals } = listed;
  // The first entry naming an id is kept: it becomes the file's metadata.json (chat-attachments.ts).
  const files = new Map<string, MessageFileReference>();
  const generated = new Map<string, MessageFileReference>();
  const artifacts = new Map<string, ArtifactRef>();
  let chat: Record<string, unknown> | null = null;
  let first: { endpoint: string; query: string; requestId: string | null } | null = null;
  const pages = ctx.client.chatMessagePages(
    listed.id,
    { tool_use_input_max_chars: -1, tool_result_max_chars: -1, limit: MESSAGE_PAGE },
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
    if (held.state === 'stored' && isExportError(error) && error.code === 'not_found') {
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
      ctx.changes.note();
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
    for (const a of artifacts.values())
      refs.push(() => fetchArtifactVersion(ctx, a.version_id, custodian, listed.id));
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
  stageRecord(
    ctx,
    {
      kind: 'chat',
      id: listed.id,
      updatedAt: meta.updated_at ?? listed.updatedAt,
      createdAt: meta.created_at ?? listed.createdAt,
      deletedAt: meta.deleted_at ?? listed.deletedAt,
      custodian: meta.user?.email_address ?? meta.user?.id ?? custodian,
      originalName: meta.name ?? listed.name,
      signals,
      files: [{ path: `chats/${safeSegment(listed.id)}.json`, ...blob }],
      source,
    },
    STAGE,
  );
}
