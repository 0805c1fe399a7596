/**
 * Chats kind (compliance-api.md §2.2, §3.8-3.9, §4.2, recipe §4.5 steps 2-3): the walks, and
 * what `plan` counts and estimates; one chat's fetch is chat-fetch.ts.
 *
 * Pass 1: custodian jobs walk per user (`user_ids[]` ≤ 10 a request, `order_by=created_at`, which
 * is the only order per-user queries allow); other jobs walk org-wide. Later passes list the same
 * scope again in full, with no time filter, and refetch every chat whose listing differs from what
 * is staged (`updated_at`, and the signals a listing shows without bumping it).
 *
 */
import { collectListed } from './collect-listed.js';
import type { Chat, ChatListParams } from '../../api/index.js';
import type { TimeRange } from '../../api/types.js';
import type { TimeWindow } from '../../spec/types.js';
import { inWindow } from '../../spec/time-window.js';
import type { PassContext } from '../context.js';
import { CHAT_SIGNALS, collectChat, retryChat } from './chat-fetch.js';
import { listingSignals } from '../context.js';
import { fetchArtifactVersion, fetchFile, fetchGeneratedFile } from './chat-attachments.js';
import {
  custodianOf,
  type Estimator,
  type RelistedKind,
  type Listing,
  type ListingScope,
  type Surveyor,
} from './kind-module.js';

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

/** Chats a listing page holds (the documented maximum, §2). */
const CHAT_PAGE = 1000;

function chatListing(key: string, params: ChatListParams): Listing<Chat> {
  return {
    key,
    survey: 'chats',
    limit: CHAT_PAGE,
    pages: (client, options) => client.listChats({ ...params, limit: CHAT_PAGE }, options),
  };
}

/**
 * The walks of one pass. Pass 1 may use a time filter that matches the spec's window (the
 * cheapest listing). Re-enumeration (pass 2+) never does: time filters read an eventually
 * consistent index (§4.2), and a chat whose new message is indexed late would drop out of any
 * window for good. It lists in full (1,000 chats a request, ~100 requests per 100k chats, small
 * next to the message fetches) and judges every chat by what its listing shows; the spec's
 * windows are applied locally (`wanted`).
 */
function chatListings(ctx: ListingScope, pass: number): Listing<Chat>[] {
  const { created_at: created, updated_at: updated } = ctx.spec.scope;
  const relist = pass > 1;
  const orgs = ctx.scope.orgUuids === null ? {} : { organization_ids: ctx.scope.orgUuids };
  const ids = ctx.scope.custodianIds;
  if (ids !== null) {
    const walks: Listing<Chat>[] = [];
    for (let i = 0; i < ids.length; i += MAX_USER_IDS) {
      walks.push(
        chatListing(`chats:p${pass}:users:${i / MAX_USER_IDS}`, {
          user_ids: ids.slice(i, i + MAX_USER_IDS),
          ...orgs,
          // Per-user queries only allow created_at order (§2.2).
          order_by: 'created_at',
          ...(created !== undefined && !relist ? { created_at: range(created) } : {}),
        }),
      );
    }
    return walks;
  }
  // Org-wide: time filters must match the sort key (§2.2); the other window is applied locally.
  if (created === undefined && updated !== undefined && !relist) {
    return [
      chatListing('chats:p1:org', {
        ...orgs,
        order_by: 'updated_at',
        updated_at: widen(updated, ctx.spec.consistency.overlap_ms),
      }),
    ];
  }
  return [
    chatListing(`chats:p${pass}:org`, {
      ...orgs,
      order_by: 'created_at',
      ...(created !== undefined && !relist ? { created_at: range(created) } : {}),
    }),
  ];
}

function wanted(ctx: ListingScope, chat: Chat): boolean {
  if (!inWindow(chat.created_at, ctx.spec.scope.created_at)) return false;
  if (!inWindow(chat.updated_at, ctx.spec.scope.updated_at)) return false;
  const ids = ctx.scope.custodianIds;
  if (ids !== null && (chat.user === null || !ids.includes(chat.user.id))) return false;
  return true;
}

/** Walk the chats of one pass; returns when every listed chat is stored or named as a gap. */
async function collectChats(ctx: PassContext): Promise<void> {
  await collectListed(ctx, STAGE, 'chat', chatListings(ctx, ctx.pass), async (chat, raw) => {
    if (wanted(ctx, chat)) await collectChat(ctx, chat, raw);
  });
}

/** Plan: the chats pass 1 lists that the run would collect, per organization and custodian. */
async function surveyChats(s: Surveyor): Promise<void> {
  const { spec, cut } = s.scope;
  for (const walk of chatListings(s.scope, 1)) {
    await s.walk(walk, (chat) => {
      if (
        !inWindow(chat.created_at, spec.scope.created_at) ||
        !inWindow(chat.updated_at, spec.scope.updated_at)
      )
        return;
      if (!s.isCustodian(chat.user?.id)) return;
      if (Date.parse(chat.created_at) > Date.parse(cut)) return;
      if (s.unchanged('chat', chat.id, chat.updated_at, listingSignals(chat, CHAT_SIGNALS))) return;
      s.tally('chats', chat.organization_uuid, custodianOf(chat.user));
    });
  }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Plan: listing pages, one messages call per chat, and what the messages reference. */
function estimateChats(e: Estimator): void {
  const chats = e.pages('chats');
  const n = e.count('chats');
  e.add('list.chats', chats.pages, `${plural(chats.pages, 'page')} over ${plural(chats.walks, 'walk')}`);
  e.add('chats.messages', n, `${plural(n, 'chat')} × 1 messages call`, true);
  e.assume('at most 1,000 messages per chat (one messages page each)');
  const hints = e.hints;
  if (e.include.has('files')) {
    if (hints !== null) {
      e.add(
        'files.chat',
        hints.chatFiles,
        `${plural(hints.chatFiles, 'uploaded file')} (activity feed) × 1 content download (md5/size come with the message)`,
        true,
      );
    } else e.lowerBound();
  }
  if (e.include.has('chat_artifacts')) {
    if (hints !== null) {
      e.add(
        'chat_artifacts.versions',
        hints.chatArtifacts * 2,
        `${plural(hints.chatArtifacts, 'artifact')} (activity feed) × 1 version × 2 (metadata, content)`,
        true,
      );
      e.assume('one version per chat artifact (later versions are not in the feed)');
    }
    e.lowerBound();
  }
  if (e.include.has('generated_files')) {
    e.add('generated_files', 0, 'not countable without reading messages; counted as 0', true);
    e.lowerBound();
  }
}

/**
 * Chats, and what only their messages reference: uploaded files, generated files and chat-artifact
 * versions (chat-attachments.ts). Those have no listing of their own (compliance-api.md §2.1), so
 * they are not kinds of their own: the chats kind fetches them, retries their gaps and estimates
 * them. (Project files go through the same fetch, reached from a project's attachments.)
 */
export const chats: RelistedKind = {
  name: 'chats',
  include: 'chats',
  serves: ['files', 'generated_files', 'chat_artifacts'],
  relisted: true,
  collect: collectChats,
  retry: {
    kinds: ['chat', 'file', 'generated_file', 'chat_artifact'],
    mode: 'each',
    run: async (ctx, gaps) => {
      for (const gap of gaps) {
        const parent = gap.parent ?? '';
        if (gap.kind === 'chat') await retryChat(ctx, gap.id);
        else if (gap.kind === 'file') await fetchFile(ctx, gap.id, { parent });
        else if (gap.kind === 'generated_file')
          await fetchGeneratedFile(ctx, { id: gap.id, filename: '' }, null, parent);
        else if (gap.kind === 'chat_artifact') await fetchArtifactVersion(ctx, gap.id, null, parent);
      }
    },
  },
  survey: surveyChats,
  estimate: estimateChats,
  // Listed in full again: at least the pages pass 1 listed.
  relistEstimate: (e) => Math.max(1, e.pages('chats').pages),
};
