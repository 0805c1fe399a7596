/**
 * One chat (compliance-api.md §3.8-3.9, §4.3): fetched unless the store holds its listed state.
 * It becomes `data/chats/<id>.json` = `{"chat":…,"messages":[…]}` with the API's records
 * verbatim, streamed into a blob page by page (a long chat is never held whole). The chat record
 * is written last, after everything it references is stored or named as a gap, so a stored chat
 * means a finished chat and a resumed run skips it.
 */
import { isExportError } from '../../errors.js';
import type { ArtifactRef, Chat, ChatMessage, Page } from '../../api/index.js';
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
import type { BlobRef, ItemStatus, StoredRecord } from '../../store/index.js';

const STAGE = 'chats';
/** The listing fields that can change without `updated_at` moving (§3.8: a rename may not bump it). */
export const CHAT_SIGNALS = ['deleted_at', 'name', 'project_id', 'user'] as const;
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

/**
 * Fetch again a chat the store holds (a snapshot base's), whatever its listing says: something it
 * references is gone, and its messages may no longer show it. Its listing state is kept.
 */
export function refetchHeldChat(ctx: PassContext, record: StoredRecord): Promise<void> {
  return fetchChat(ctx, {
    id: record.id,
    updatedAt: record.updatedAt,
    createdAt: record.createdAt,
    deletedAt: record.deletedAt,
    name: record.originalName,
    custodian: record.custodian,
    signals: record.signals ?? listingSignals({ name: '' }, CHAT_SIGNALS),
  });
}

/** Where the chat record says it came from: the first messages page (the chat's metadata). */
interface ChatSource {
  endpoint: string;
  query: string;
  requestId: string | null;
}

/**
 * What a chat's messages pages showed while they streamed into the blob: the chat's metadata, the
 * first page, and each referenced file, generated file and artifact version. The first entry
 * naming an id is kept: it becomes the file's metadata.json (chat-attachments.ts).
 */
interface ChatScan {
  chat: Record<string, unknown> | null;
  first: ChatSource | null;
  readonly files: Map<string, MessageFileReference>;
  readonly generated: Map<string, MessageFileReference>;
  readonly artifacts: Map<string, ArtifactRef>;
}

/** Fetch a chat's messages and what they reference, then stage the chat. */
async function fetchChat(ctx: PassContext, listed: ChatTarget): Promise<void> {
  const held = ctx.store.status('chat', listed.id);
  const scan: ChatScan = {
    chat: null,
    first: null,
    files: new Map(),
    generated: new Map(),
    artifacts: new Map(),
  };
  const pages = ctx.client.chatMessagePages(
    listed.id,
    { tool_use_input_max_chars: -1, tool_result_max_chars: -1, limit: MESSAGE_PAGE },
    { signal: ctx.signal },
  );
  const blob = await storeChatDocument(ctx, listed.id, held, chatDocument(pages, scan));
  if (blob === null) return;
  const meta = (scan.chat ?? {}) as Partial<Chat>;
  if (deletedAfterCut(ctx, listed.id, held, meta, blob)) return;
  await fetchReferences(ctx, listed, scan);
  stageChat(ctx, listed, meta, blob, scan);
}

/** `{"chat":…,"messages":[…]}` page by page, noting in `scan` what the pages show. */
async function* chatDocument(
  pages: AsyncIterable<Page<ChatMessage>>,
  scan: ChatScan,
): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const page of pages) {
    if (page.index === 0) {
      const { has_more: _h, first_id: _f, last_id: _l, ...meta } = page.envelope;
      scan.chat = meta;
      scan.first = { endpoint: page.endpoint, query: page.query, requestId: page.requestId };
      yield Buffer.from(`{"chat":${JSON.stringify(meta)},"messages":[`);
    }
    for (let i = 0; i < page.items.length; i += 1) {
      const raw = page.rawItems[i]!;
      noteReferences(scan, page.items[i]!, raw);
      yield Buffer.from(`${n === 0 ? '' : ','}${raw}`);
      n += 1;
    }
  }
  yield Buffer.from(']}\n');
}

function noteReferences(scan: ChatScan, m: ChatMessage, raw: string): void {
  for (const f of messageReferences(raw, 'files', m.files)) {
    if (!scan.files.has(f.record.id)) scan.files.set(f.record.id, f);
  }
  for (const g of messageReferences(raw, 'generated_files', m.generated_files)) {
    if (!scan.generated.has(g.record.id)) scan.generated.set(g.record.id, g);
  }
  for (const a of m.artifacts ?? []) scan.artifacts.set(a.version_id, a);
}

/**
 * Stream the chat document into a blob; null when it failed. A failure is a named gap, except a
 * chat hard-deleted after we captured it: we keep what we have, and say so.
 */
async function storeChatDocument(
  ctx: PassContext,
  id: string,
  held: ItemStatus,
  document: AsyncIterable<Buffer>,
): Promise<BlobRef | null> {
  try {
    return await ctx.store.blobs.putStream(document);
  } catch (error) {
    if (held.state === 'stored' && isExportError(error) && error.code === 'not_found') {
      ctx.store.recordDrift({
        kind: 'chat',
        id,
        change: 'deleted_after_cut',
        beforeSha256: held.hash,
        afterSha256: null,
        updatedAt: null,
        pass: ctx.pass,
      });
      return null;
    }
    recordFailure(ctx, STAGE, { kind: 'chat', id }, error);
    return null;
  }
}

/**
 * Soft-deleted after the cut (§4.3: content emptied, files gone): the state at the cut is the
 * evidence, so the captured version stays in the archive and the deletion is listed as drift.
 * True when that is the case (nothing more to fetch or stage).
 */
function deletedAfterCut(
  ctx: PassContext,
  id: string,
  held: ItemStatus,
  meta: Partial<Chat>,
  blob: BlobRef,
): boolean {
  const deletedAt = meta.deleted_at;
  const deleted =
    held.state === 'stored' && typeof deletedAt === 'string' && Date.parse(deletedAt) > Date.parse(ctx.cut);
  if (!deleted) return false;
  if (ctx.store.driftOf('chat', id)?.change !== 'deleted_after_cut') {
    ctx.store.recordDrift({
      kind: 'chat',
      id,
      change: 'deleted_after_cut',
      beforeSha256: held.hash,
      afterSha256: blob.sha256,
      updatedAt: deletedAt,
      pass: ctx.pass,
    });
    ctx.changes.note();
  }
  return true;
}

/** Files, then generated files, then artifact versions the messages reference (those included). */
async function fetchReferences(ctx: PassContext, listed: ChatTarget, scan: ChatScan): Promise<void> {
  const { custodian } = listed;
  const refs: (() => Promise<void>)[] = [];
  if (includes(ctx, 'files')) {
    for (const f of scan.files.values()) {
      refs.push(() =>
        fetchFile(ctx, f.record.id, { filename: f.record.filename, custodian, parent: listed.id, ref: f }),
      );
    }
  }
  if (includes(ctx, 'generated_files')) {
    for (const g of scan.generated.values()) {
      refs.push(() => fetchGeneratedFile(ctx, g.record, custodian, listed.id, g));
    }
  }
  if (includes(ctx, 'chat_artifacts')) {
    for (const a of scan.artifacts.values())
      refs.push(() => fetchArtifactVersion(ctx, a.version_id, custodian, listed.id));
  }
  await forEachBounded(refs, (run) => run(), {
    concurrency: Math.max(2, Math.floor(ctx.concurrency / 2)),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

/** What the chat's messages reference, `<kind>:<id>`, sorted (RecordInput.refs). */
function referencesOf(scan: ChatScan): string[] {
  return [
    ...[...scan.files.keys()].map((id) => `file:${id}`),
    ...[...scan.generated.keys()].map((id) => `generated_file:${id}`),
    ...[...scan.artifacts.keys()].map((id) => `chat_artifact:${id}`),
  ].sort();
}

/** The chat record, written last: the messages' metadata wins over the listing's. */
function stageChat(
  ctx: PassContext,
  listed: ChatTarget,
  meta: Partial<Chat>,
  blob: BlobRef,
  scan: ChatScan,
): void {
  const source = scan.first ?? {
    endpoint: `/v1/compliance/apps/chats/${listed.id}/messages`,
    query: '',
    requestId: null,
  };
  stageRecord(
    ctx,
    {
      kind: 'chat',
      id: listed.id,
      updatedAt: meta.updated_at ?? listed.updatedAt,
      createdAt: meta.created_at ?? listed.createdAt,
      deletedAt: meta.deleted_at ?? listed.deletedAt,
      custodian: meta.user?.email_address ?? meta.user?.id ?? listed.custodian,
      originalName: meta.name ?? listed.name,
      signals: listed.signals,
      refs: referencesOf(scan),
      files: [{ path: `chats/${safeSegment(listed.id)}.json`, ...blob }],
      source,
    },
    STAGE,
  );
}
