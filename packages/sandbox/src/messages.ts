/**
 * Chat messages, regenerated on demand from (seed, chat uuid, message index). Only the count, the
 * time span and the attachment plan live on the Chat record; ids, times and content are pure
 * functions of those, so a 1M-message world costs nothing until a chat is read.
 */
import { prose } from './content.js';
import type { Chat } from './model.js';
import { Rng, idFromUuid } from './random.js';

export type ContentBlock =
  | { type: 'text'; text: string; thinking_redacted: boolean; truncated: boolean }
  | {
      type: 'tool_use';
      id: string | null;
      name: string;
      input: string;
      integration_name: string | null;
      mcp_server_url: string | null;
      truncated: boolean;
    }
  | {
      type: 'tool_result';
      tool_use_id: string | null;
      name: string;
      is_error: boolean;
      content: { type: 'text'; text: string }[];
      integration_name: string | null;
      mcp_server_url: string | null;
      truncated: boolean;
    };

export interface Message {
  index: number;
  uuid: string;
  id: string;
  role: 'user' | 'assistant';
  createdAt: number;
  content: ContentBlock[];
}

export function messageTotal(chat: Chat): number {
  return chat.messageCount + chat.appendedAt.length;
}

/** created_at of message `i`; strictly increasing (generation keeps ≥1 s between messages). */
export function messageTime(chat: Chat, i: number): number {
  if (i >= chat.messageCount) return chat.appendedAt[i - chat.messageCount] ?? chat.lastMessageAt;
  if (chat.messageCount <= 1) return chat.createdAt;
  return chat.createdAt + Math.floor(((chat.lastMessageAt - chat.createdAt) * i) / (chat.messageCount - 1));
}

export function messageUuid(seed: number, chat: Chat, i: number): string {
  return new Rng(seed, 'msg', chat.uuid, i).uuid();
}

export function messageId(seed: number, chat: Chat, i: number): string {
  return idFromUuid('claude_chat_msg_', messageUuid(seed, chat, i));
}

const TOOLS = [
  { name: 'web_search', integration: null, mcp: null },
  { name: 'repl', integration: null, mcp: null },
  { name: 'search_issues', integration: 'Linear', mcp: 'https://mcp.linear.app/sse' },
  { name: 'read_doc', integration: 'Google Drive', mcp: 'https://drive.example.com/mcp' },
] as const;

function generateContent(seed: number, chat: Chat, i: number, role: 'user' | 'assistant'): ContentBlock[] {
  const rng = new Rng(seed, 'msg-content', chat.uuid, i);
  const text = (n: number, redacted = false): ContentBlock => ({
    type: 'text',
    text: prose(rng, n),
    thinking_redacted: redacted,
    truncated: false,
  });
  if (role === 'user') return [text(rng.int(20, 400))];
  const blocks: ContentBlock[] = [];
  if (rng.chance(0.35)) {
    const tool = rng.pick(TOOLS);
    const toolId = rng.chance(0.95) ? `toolu_${rng.base62(24)}` : null;
    // Some inputs and results exceed the 10000-char default cap so truncation is exercised (§3.9).
    const big = rng.chance(0.15);
    const input = JSON.stringify({
      query: prose(rng, 40),
      payload: big ? prose(rng, 12_000) : prose(rng, 80),
    });
    blocks.push({
      type: 'tool_use',
      id: toolId,
      name: tool.name,
      input,
      integration_name: tool.integration,
      mcp_server_url: tool.mcp,
      truncated: false,
    });
    blocks.push({
      type: 'tool_result',
      tool_use_id: toolId,
      name: tool.name,
      is_error: rng.chance(0.1),
      content: [{ type: 'text', text: prose(rng, big ? 11_000 : rng.int(30, 600)) }],
      integration_name: tool.integration,
      mcp_server_url: tool.mcp,
      truncated: false,
    });
  }
  blocks.push(text(rng.int(40, 900), rng.chance(0.1)));
  return blocks;
}

/** Bounded LRU (Map keeps insertion order), so reading every chat of `large` stays flat. */
const CACHE_CHATS = 512;
const cache = new Map<Chat, { total: number; messages: Message[] }>();

/** All messages of a chat in created_at order (content included). */
export function chatMessages(seed: number, chat: Chat): Message[] {
  const total = messageTotal(chat);
  const hit = cache.get(chat);
  if (hit !== undefined && hit.total === total) {
    cache.delete(chat);
    cache.set(chat, hit);
    return hit.messages;
  }
  const messages: Message[] = [];
  for (let i = 0; i < total; i++) {
    const uuid = messageUuid(seed, chat, i);
    const role = i % 2 === 0 ? 'user' : 'assistant';
    messages.push({
      index: i,
      uuid,
      id: idFromUuid('claude_chat_msg_', uuid),
      role,
      createdAt: messageTime(chat, i),
      content: generateContent(seed, chat, i, role),
    });
  }
  cache.delete(chat);
  cache.set(chat, { total, messages });
  if (cache.size > CACHE_CHATS) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  return messages;
}
