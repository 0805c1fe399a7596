/** `GET /apps/chats/{id}/messages`: the chat plus its messages (§3.9). */
import { blobDigest } from '../content.js';
import type { RequestContext } from '../http/context.js';
import { badRequest, type ApiError } from '../http/errors.js';
import { decodeToken, encodeToken } from '../http/pagination.js';
import { inRange, rangeParams, type ParamSpecs } from '../http/query.js';
import { chatMessages, type ContentBlock, type Message } from '../messages.js';
import type { Blob, Chat, World } from '../model.js';
import { iso } from '../random.js';
import { chatJson } from '../serialize.js';

export const messageParams: ParamSpecs = {
  after_id: { kind: 'string' },
  before_id: { kind: 'string' },
  ...rangeParams('created_at'),
  ...rangeParams('updated_at'),
  limit: { kind: 'int', min: 1, max: 1000 },
  order: { kind: 'enum', values: ['asc', 'desc'] },
  tool_use_input_max_chars: { kind: 'int', min: -1, max: 2 ** 31 - 1 },
  tool_result_max_chars: { kind: 'int', min: -1, max: 2 ** 31 - 1 },
};

function cut(text: string, max: number): { text: string; truncated: boolean } {
  return max >= 0 && text.length > max
    ? { text: text.slice(0, max), truncated: true }
    : { text, truncated: false };
}

function capBlocks(blocks: ContentBlock[], useMax: number, resultMax: number): ContentBlock[] {
  return blocks.map((b) => {
    if (b.type === 'tool_use') {
      const c = cut(b.input, useMax);
      return { ...b, input: c.text, truncated: c.truncated };
    }
    if (b.type === 'tool_result') {
      let truncated = false;
      const content = b.content.map((item) => {
        const c = cut(item.text, resultMax);
        truncated ||= c.truncated;
        return { type: item.type, text: c.text };
      });
      return { ...b, content, truncated };
    }
    return b;
  });
}

function liveBlob(world: World, ref: number, now: number): Blob | null {
  const b = world.blobs[ref];
  return b !== undefined && (b.removedAt === null || b.removedAt > now) ? b : null;
}

export function messageJson(ctx: RequestContext, chat: Chat, m: Message, useMax: number, resultMax: number) {
  const world = ctx.state.world;
  const base = { id: m.id, role: m.role, created_at: iso(m.createdAt) };
  // §4.3 newest: a soft-deleted chat's messages keep their ids but lose content and attachments.
  if (chat.deletedAt !== null && chat.deletedAt <= ctx.now) {
    return { ...base, content: [], files: null, generated_files: null, artifacts: null };
  }
  const atts = chat.attachments.filter((a) => a.msg === m.index);
  const files = [];
  const generated = [];
  const artifacts = [];
  for (const a of atts) {
    if (a.kind === 'artifact') {
      const av = world.artifactVersions[a.ref];
      if (av !== undefined && (av.removedAt === null || av.removedAt > ctx.now)) {
        artifacts.push({
          id: av.artifactId,
          version_id: av.versionId,
          title: av.title,
          artifact_type: av.artifactType,
        });
      }
      continue;
    }
    const b = liveBlob(world, a.ref, ctx.now);
    if (b === null) continue;
    const d = blobDigest(world.seed, b);
    if (a.kind === 'file') {
      files.push({
        id: b.id,
        filename: b.filename,
        created_at: iso(b.createdAt),
        mime_type: b.mimeType,
        size_bytes: b.legacyRef ? null : d.size,
        md5: b.legacyRef ? null : d.md5Hex,
      });
    } else {
      generated.push({
        id: b.id,
        filename: b.filename,
        mime_type: b.mimeType,
        size_bytes: d.size,
        md5: d.md5Hex,
      });
    }
  }
  const user = m.role === 'user';
  return {
    ...base,
    content: capBlocks(m.content, useMax, resultMax),
    files: user || files.length > 0 ? files : null,
    generated_files: !user || generated.length > 0 ? generated : null,
    artifacts: !user || artifacts.length > 0 ? artifacts : null,
  };
}

function msgCursor(m: Message): string {
  return encodeToken({ msg_uuid: m.uuid });
}

export function messagesReply(ctx: RequestContext, chat: Chat): Record<string, unknown> {
  const q = ctx.query;
  if (q.has('after_id') && q.has('before_id'))
    throw badRequest("Only one of 'after_id' and 'before_id' may be set.");
  const desc = q.str('order') === 'desc';
  const created = q.range('created_at');
  const updated = q.range('updated_at');
  let list = chatMessages(ctx.state.world.seed, chat).filter(
    (m) => m.createdAt <= ctx.now && inRange(m.createdAt, created) && inRange(m.createdAt, updated),
  );
  if (desc) list = [...list].reverse();
  const limit = q.int('limit');
  const cursorIndex = (param: 'after_id' | 'before_id'): number => {
    const fail = (): ApiError => badRequest(`Invalid pagination cursor for '${param}'`);
    const obj = decodeToken(q.str(param) ?? '', '', fail);
    const i = list.findIndex((m) => m.uuid === obj.msg_uuid);
    if (typeof obj.msg_uuid !== 'string' || i < 0) throw fail();
    return i;
  };
  let page: Message[];
  let more: boolean;
  if (q.has('before_id')) {
    const end = cursorIndex('before_id');
    const start = limit === undefined ? 0 : Math.max(0, end - limit);
    page = list.slice(start, end);
    more = start > 0;
  } else {
    const start = q.has('after_id') ? cursorIndex('after_id') + 1 : 0;
    const end = limit === undefined ? list.length : Math.min(list.length, start + limit);
    page = list.slice(start, end);
    more = end < list.length;
  }
  const useMax = q.int('tool_use_input_max_chars') ?? 10_000;
  const resultMax = q.int('tool_result_max_chars') ?? 10_000;
  const first = page[0];
  const last = page[page.length - 1];
  return {
    ...chatJson(ctx.state.world, chat, ctx.now),
    chat_messages: page.map((m) => messageJson(ctx, chat, m, useMax, resultMax)),
    has_more: more,
    first_id: first === undefined ? null : msgCursor(first),
    last_id: last === undefined ? null : msgCursor(last),
  };
}
