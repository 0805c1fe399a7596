/**
 * Archived chat and session documents shaped like the sandbox's (packages/sandbox/src/messages.ts,
 * routes/chat-messages.ts, routes/sessions.ts) and exactly as chat-fetch.ts / sessions.ts write
 * them, plus attachments whose bytes stream afresh on each open.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ConversationAttachment } from '../../../src/produce/conversation/types.js';

export const CHAT_ID = 'claude_chat_01HZX5J3Q7K2M9N4P6R8S0T1V3';
export const USER = { id: 'user_01ABCDEF', email_address: 'ada.lovelace@example.com' };

export function chatMeta(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: CHAT_ID,
    name: 'Quarterly revenue review',
    created_at: '2025-03-01T09:00:00Z',
    updated_at: '2025-03-01T10:00:00Z',
    deleted_at: null,
    href: 'https://claude.ai/chat/0d1f2e3a-0000-4000-8000-000000000001',
    model: 'claude-opus-4-7',
    organization_uuid: '7c2b0e4a-0000-4000-8000-00000000000a',
    organization_id: 'org_7c2b0e4a000040008000',
    project_id: null,
    user: USER,
    ...overrides,
  };
}

const text = (t: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'text',
  text: t,
  thinking_redacted: false,
  truncated: false,
  ...extra,
});

export function userMessage(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `claude_chat_msg_${String(i).padStart(6, '0')}`,
    role: 'user',
    created_at: new Date(Date.UTC(2025, 2, 1, 9, 0, 0) + i * 60_000).toISOString(),
    content: [text(`Question ${i}: please compare the budget table.`)],
    files: [],
    generated_files: null,
    artifacts: null,
    ...overrides,
  };
}

/** An assistant turn with a tool call and its result before the answer, like the sandbox's. */
export function assistantMessage(
  i: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: `claude_chat_msg_${String(i).padStart(6, '0')}`,
    role: 'assistant',
    created_at: new Date(Date.UTC(2025, 2, 1, 9, 0, 0) + i * 60_000).toISOString(),
    content: [
      {
        type: 'tool_use',
        id: `toolu_${String(i).padStart(24, '0')}`,
        name: 'search_issues',
        input: JSON.stringify({ query: 'budget forecast', limit: 5 }),
        integration_name: 'Linear',
        mcp_server_url: 'https://mcp.linear.app/sse',
        truncated: false,
      },
      {
        type: 'tool_result',
        tool_use_id: `toolu_${String(i).padStart(24, '0')}`,
        name: 'search_issues',
        is_error: false,
        content: [{ type: 'text', text: `Result ${i}: three open issues.` }],
        integration_name: 'Linear',
        mcp_server_url: 'https://mcp.linear.app/sse',
        truncated: false,
      },
      text(`Answer ${i}: the forecast holds.`),
    ],
    files: null,
    generated_files: [],
    artifacts: [],
    ...overrides,
  };
}

/** `{"chat":…,"messages":[…]}` as chat-fetch.ts writes it (one line, then a newline). */
export function chatDocument(chat: Record<string, unknown>, messages: readonly unknown[]): Buffer {
  return Buffer.from(
    `{"chat":${JSON.stringify(chat)},"messages":[${messages.map((m) => JSON.stringify(m)).join(',')}]}\n`,
  );
}

/** Alternating user/assistant messages 0..n-1 (plain text only: cheap for the large cases). */
export function plainMessages(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i += 1) {
    out.push({
      id: `claude_chat_msg_${String(i).padStart(6, '0')}`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      created_at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
      content: [text(`message ${i}`)],
      files: null,
      generated_files: null,
      artifacts: null,
    });
  }
  return out;
}

export interface TestAttachment extends ConversationAttachment {
  readonly bytes: Buffer;
}

export function attachment(
  id: string,
  kind: ConversationAttachment['kind'],
  name: string | null,
  bytes: Buffer,
  bagPath = `data/${kind === 'chat_artifact' ? 'chat_artifacts' : kind === 'file' ? 'files' : 'generated_files'}/${id}/${name ?? 'file'}`,
): TestAttachment {
  return {
    id,
    kind,
    name,
    bagPath,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes,
    // Two chunks, so a reader that keeps only the first chunk is caught.
    open: () => Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]),
  };
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function attachmentMap(...list: TestAttachment[]): Map<string, TestAttachment> {
  return new Map(list.map((a) => [a.id, a]));
}
