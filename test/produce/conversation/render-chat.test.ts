/**
 * A chat rendered to RSMF and read back by independent readers (mailparser, yauzl, ajv against
 * Relativity's schema): the X-RSMF headers, one rsmf.zip, one event per message in the API's
 * order, participants, attachments with their bytes, the deleted flag, every content block
 * readable, and the transcript.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderConversation } from '../../../src/produce/conversation/render.js';
import {
  assistantMessage,
  attachment,
  attachmentMap,
  CHAT_ID,
  chatDocument,
  chatMeta,
  sha256,
  USER,
  userMessage,
} from './documents.js';
import { readRsmf } from './readers.js';

const GENERATOR = 'compliance-export 0.1.0';

const report = attachment(
  'claude_file_011',
  'file',
  'Q3 report.pdf',
  Buffer.from('%PDF-1.7\nquarterly numbers'),
);
const chart = attachment(
  'claude_gen_file_022',
  'generated_file',
  'chart.png',
  Buffer.from('\x89PNG\r\n\x1a\nchart'),
);
const artifact = attachment(
  'claude_artifact_version_033',
  'chat_artifact',
  'Forecast memo',
  Buffer.from('{"metadata":{},"content":{"content":"# Memo"}}\n'),
  'data/chat_artifacts/claude_artifact_version_033.json',
);

function chatWithAttachments(): Buffer {
  return chatDocument(chatMeta(), [
    userMessage(0, {
      files: [
        {
          id: report.id,
          filename: 'Q3 report.pdf',
          created_at: '2025-03-01T09:00:00Z',
          mime_type: 'application/pdf',
          size_bytes: 26,
          md5: null,
        },
        {
          id: 'claude_file_gone',
          filename: 'lost.txt',
          created_at: '2025-03-01T09:00:00Z',
          mime_type: 'text/plain',
          size_bytes: 3,
          md5: null,
        },
      ],
    }),
    assistantMessage(1, {
      generated_files: [
        { id: chart.id, filename: 'chart.png', mime_type: 'image/png', size_bytes: 13, md5: null },
      ],
      artifacts: [
        {
          id: 'claude_artifact_033',
          version_id: artifact.id,
          title: 'Forecast memo',
          artifact_type: 'text/markdown',
        },
      ],
    }),
    userMessage(2),
    assistantMessage(3),
  ]);
}

describe('renderConversation: a chat', () => {
  it('writes one RSMF whose headers, rsmf.zip and manifest independent readers accept', async () => {
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatWithAttachments(),
      attachments: attachmentMap(report, chart, artifact),
      generator: GENERATOR,
    });
    expect(out.messageCount).toBe(4);
    expect(out.rsmf.map((f) => f.fileName)).toEqual([`${CHAT_ID}.rsmf`]);
    const file = out.rsmf[0]!;
    expect(file).toMatchObject({
      eventCount: 4,
      beginDate: '2025-03-01T09:00:00.000Z',
      endDate: '2025-03-01T09:03:00.000Z',
      attachmentIds: [artifact.id, report.id, chart.id].sort(),
    });
    // RFC 5322: CRLF line ends only, ASCII only.
    const text = file.bytes.toString('latin1');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(text).toMatch(/^[\x20-\x7e\r\n]*$/);

    const { header, mail, zip, manifest } = await readRsmf(file.bytes);
    expect(header('X-RSMF-Version')).toBe('2.0.0');
    expect(header('X-RSMF-Generator')).toBe(GENERATOR);
    expect(header('X-RSMF-BeginDate')).toBe('2025-03-01T09:00:00.000Z');
    expect(header('X-RSMF-EndDate')).toBe('2025-03-01T09:03:00.000Z');
    expect(header('X-RSMF-EventCount')).toBe('4');
    expect(header('X-RSMF-Custodian')).toBe(USER.email_address);
    expect(header('X-RSMF-Participants')).toBe(`${USER.email_address}, Claude`);
    expect(header('X-RSMF-AttachmentCount')).toBe('3');
    expect(header('X-RSMF-EventCollectionID')).toBeUndefined();
    expect(mail.from?.value[0]?.address).toBe(USER.email_address);
    expect(mail.subject).toBe('Claude chat: Quarterly revenue review');
    expect(mail.date?.toISOString()).toBe('2025-03-01T09:00:00.000Z');

    expect(manifest.version).toBe('2.0.0');
    expect(manifest.participants.map((p) => [p.id, p.email, p.account_id])).toEqual([
      [USER.id, USER.email_address, USER.id],
      ['claude', undefined, undefined],
    ]);
    expect(manifest.conversations).toHaveLength(1);
    expect(manifest.conversations[0]).toMatchObject({
      id: CHAT_ID,
      platform: 'Claude',
      participants: [USER.id, 'claude'],
      custodian: USER.id,
    });
    expect(manifest.events.map((e) => e.id)).toEqual([0, 1, 2, 3].map((i) => `claude_chat_msg_00000${i}`));
    expect(manifest.events.map((e) => [e.type, e.participant, e.conversation, e.direction])).toEqual([
      ['message', USER.id, CHAT_ID, 'outgoing'],
      ['message', 'claude', CHAT_ID, 'incoming'],
      ['message', USER.id, CHAT_ID, 'outgoing'],
      ['message', 'claude', CHAT_ID, 'incoming'],
    ]);
    expect(manifest.events.every((e) => e.deleted === undefined)).toBe(true);

    // Every attachment an event names is a file in rsmf.zip with the archive's bytes.
    const named = manifest.events.flatMap((e) => e.attachments ?? []);
    expect(named.map((a) => a.display)).toEqual(['Q3 report.pdf', 'chart.png', 'Forecast memo']);
    const byDisplay = new Map([report, chart, artifact].map((a) => [a.name, a]));
    for (const a of named) {
      const bytes = zip.get(a.id);
      expect(bytes, a.id).toBeDefined();
      expect(sha256(bytes!)).toBe(byDisplay.get(a.display!)!.sha256);
      expect(a.size).toBe(bytes!.length);
    }
    expect([...zip.keys()].sort()).toEqual(['rsmf_manifest.json', ...named.map((a) => a.id)].sort());

    // A reference the archive does not hold is named, never dropped.
    const first = manifest.events[0]!;
    expect(first.body).toContain('claude_file_gone');
    expect(first.custom).toContainEqual({ name: 'Not in the archive', value: 'file claude_file_gone' });
  });

  it('renders every content block readably, and unknown ones as a labelled fallback', async () => {
    const blocks = [
      { type: 'text', text: 'Visible answer.', thinking_redacted: true, truncated: false },
      {
        type: 'tool_use',
        id: 'toolu_cut',
        name: 'web_search',
        input: '{"query": "revenue by reg',
        integration_name: null,
        mcp_server_url: null,
        truncated: true,
      },
      {
        type: 'tool_result',
        tool_use_id: 'toolu_cut',
        name: 'web_search',
        is_error: true,
        content: [
          { type: 'text', text: 'upstream timeout' },
          { type: 'image', source: 'img_77' },
        ],
        integration_name: null,
        mcp_server_url: null,
        truncated: false,
      },
      { type: 'thinking_summary', summary: 'weighed three options' },
      'a bare string block',
    ];
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatDocument(chatMeta(), [userMessage(0), assistantMessage(1, { content: blocks })]),
      attachments: new Map(),
      generator: GENERATOR,
    });
    const { manifest } = await readRsmf(out.rsmf[0]!.bytes);
    const body = manifest.events[1]!.body!;
    for (const expected of [
      'Visible answer.',
      'Internal reasoning was removed',
      'Tool use: web_search, id toolu_cut',
      '{"query": "revenue by reg',
      'cut short',
      'Tool result (error): web_search, for toolu_cut',
      'upstream timeout',
      '"source": "img_77"',
      'thinking_summary',
      'weighed three options',
      'a bare string block',
    ]) {
      expect(body).toContain(expected);
    }
    expect(out.transcript).toContain('weighed three options');
  });

  it("marks a soft-deleted chat's events deleted and says why they are empty", async () => {
    const emptied = { content: [], files: null, generated_files: null, artifacts: null };
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatDocument(chatMeta({ name: '', deleted_at: '2025-03-02T08:00:00Z' }), [
        userMessage(0, emptied),
        assistantMessage(1, emptied),
      ]),
      attachments: new Map(),
      generator: GENERATOR,
    });
    const { manifest } = await readRsmf(out.rsmf[0]!.bytes);
    expect(manifest.events.map((e) => [e.id, e.deleted])).toEqual([
      ['claude_chat_msg_000000', true],
      ['claude_chat_msg_000001', true],
    ]);
    expect(manifest.events[0]!.body).toContain('deleted by its user');
    expect(out.transcript).toContain('Deleted by its user: yes');
    expect(out.transcript).toContain('Deleted: 2025-03-02T08:00:00Z');
  });

  it('keeps a chat whose user the API gave as null: an unknown speaker, no custodian', async () => {
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatDocument(chatMeta({ user: null }), [userMessage(0), assistantMessage(1)]),
      attachments: new Map(),
      generator: GENERATOR,
    });
    const { header, manifest } = await readRsmf(out.rsmf[0]!.bytes);
    expect(header('X-RSMF-Custodian')).toBeUndefined();
    expect(manifest.participants.map((p) => p.id)).toEqual(['unknown-user', 'claude']);
    expect(manifest.conversations[0]!.custodian).toBeUndefined();
    expect(manifest.events.map((e) => e.participant)).toEqual(['unknown-user', 'claude']);
    expect(out.transcript).toContain('user: null');
  });

  it('gives a role the API adds later its own participant, and keeps a bad timestamp as a fact', async () => {
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatDocument(chatMeta({ user: { id: 'claude', email_address: 'not an email' } }), [
        userMessage(0, { created_at: '2025-02-30T10:00:00Z' }),
        assistantMessage(1, { role: 'system' }),
      ]),
      attachments: new Map(),
      generator: GENERATOR,
    });
    const { manifest } = await readRsmf(out.rsmf[0]!.bytes);
    // A user whose id is "claude" does not merge with Claude.
    expect(manifest.participants.map((p) => p.id)).toEqual(['claude', 'claude~2', 'role-system']);
    expect(manifest.participants[0]!.email).toBeUndefined();
    expect(manifest.participants[0]!.custom).toEqual([
      { name: 'Email as the API gave it', value: 'not an email' },
    ]);
    expect(manifest.events.map((e) => e.participant)).toEqual(['claude', 'role-system']);
    expect(manifest.events[0]!.timestamp).toBeUndefined();
    expect(manifest.events[0]!.custom).toContainEqual({
      name: 'Timestamp as the API gave it',
      value: '2025-02-30T10:00:00Z',
    });
    expect(out.rsmf[0]!.beginDate).toBe(manifest.events[1]!.timestamp);
  });

  it('writes a transcript with the header and each message: time, speaker, text, attachments', async () => {
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatWithAttachments(),
      attachments: attachmentMap(report, chart, artifact),
      generator: GENERATOR,
    });
    const lines = out.transcript.split('\n');
    expect(lines[0]).toBe('Claude chat: Quarterly revenue review');
    expect(lines).toContain(`Chat id: ${CHAT_ID}`);
    expect(lines).toContain(`Custodian: ${USER.email_address} (${USER.id})`);
    expect(lines).toContain('Created: 2025-03-01T09:00:00Z');
    expect(lines).toContain('Deleted by its user: no');
    expect(lines).toContain('Messages: 4');
    expect(lines).toContain(`[2025-03-01T09:00:00.000Z] ${USER.email_address}:`);
    expect(lines).toContain('[2025-03-01T09:01:00.000Z] Claude:');
    expect(lines).toContain(`Attachments: Q3 report.pdf (file ${report.id})`);
    expect(lines).toContain(
      `Attachments: chart.png (generated_file ${chart.id}); Forecast memo (chat_artifact ${artifact.id})`,
    );
    expect(out.transcript).toContain('Question 2: please compare the budget table.');
    expect(out.transcript).toContain('[Not in the archive: file claude_file_gone "lost.txt".]');
    expect(out.transcript).not.toContain('\r');
  });

  it("carries attachments of any size byte for byte: around the base64 writer's block (57 KiB) and several MiB", async () => {
    // Sizes at and beside the writer's block of 58,368 bytes (1,024 lines of 57), 0 to 2 bytes of
    // base64 padding, and a random (stored, not deflated) attachment of 3 MiB.
    const sizes = [0, 1, 2, 58_367, 58_368, 58_369, 3 * 1024 * 1024 + 1];
    const list = sizes.map((n, i) =>
      attachment(
        `claude_file_09${i}`,
        'file',
        `blob${i}.bin`,
        i % 2 === 0 ? randomBytes(n) : Buffer.alloc(n, 'compressible '),
      ),
    );
    const document = chatDocument(chatMeta(), [
      userMessage(0, {
        files: list.map((a) => ({
          id: a.id,
          filename: a.name,
          created_at: '2025-03-01T09:00:00Z',
          mime_type: 'application/octet-stream',
          size_bytes: a.size,
          md5: null,
        })),
      }),
      assistantMessage(1),
    ]);
    const input = {
      kind: 'chat' as const,
      id: CHAT_ID,
      document,
      attachments: attachmentMap(...list),
      generator: GENERATOR,
    };
    const out = await renderConversation(input);
    const bytes = out.rsmf[0]!.bytes;
    // Every line of the message is at most 78 characters with its CRLF (base64 lines are 76).
    const lines = bytes.toString('latin1').split('\r\n');
    expect(lines.reduce((max, l) => Math.max(max, l.length), 0)).toBeLessThanOrEqual(76);
    const { zip, manifest } = await readRsmf(bytes);
    const named = manifest.events.flatMap((e) => e.attachments ?? []);
    expect(named.map((a) => a.display)).toEqual(list.map((a) => a.name));
    for (const [i, a] of named.entries()) {
      expect(zip.get(a.id)?.length, a.id).toBe(list[i]!.size);
      expect(sha256(zip.get(a.id)!), a.id).toBe(list[i]!.sha256);
    }
    // The same input gives the same bytes.
    expect(Buffer.compare((await renderConversation(input)).rsmf[0]!.bytes, bytes)).toBe(0);
  });
});
