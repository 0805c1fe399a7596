/**
 * A conversation over the event threshold becomes `<id>.partNN.rsmf` files: each a complete RSMF
 * (valid manifest, same participants and conversation, the event collection id grouping them)
 * with its slice of events in order and only the files its events reference. Once with a small
 * injected threshold, once with the real 10,000.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_FILE, renderConversation } from '../../../src/produce/conversation/render.js';
import {
  attachment,
  attachmentMap,
  CHAT_ID,
  chatDocument,
  chatMeta,
  plainMessages,
  sha256,
} from './documents.js';
import { readRsmf } from './readers.js';

const GENERATOR = 'compliance-export 0.1.0';

describe('renderConversation: splitting at the event threshold', () => {
  it('splits 7 messages at 3 into part01..part03, in order, each with its own files', async () => {
    const messages = plainMessages(7);
    const early = attachment('claude_file_early', 'file', 'early.txt', Buffer.from('early bytes'));
    const late = attachment('claude_file_late', 'file', 'late.txt', Buffer.from('late bytes'));
    messages[0]!.files = [{ id: early.id, filename: 'early.txt' }];
    messages[6]!.files = [{ id: late.id, filename: 'late.txt' }];
    const out = await renderConversation(
      {
        kind: 'chat',
        id: CHAT_ID,
        document: chatDocument(chatMeta(), messages),
        attachments: attachmentMap(early, late),
        generator: GENERATOR,
      },
      { maxEventsPerFile: 3 },
    );
    expect(out.messageCount).toBe(7);
    expect(out.rsmf.map((f) => [f.fileName, f.eventCount, f.attachmentIds])).toEqual([
      [`${CHAT_ID}.part01.rsmf`, 3, [early.id]],
      [`${CHAT_ID}.part02.rsmf`, 3, []],
      [`${CHAT_ID}.part03.rsmf`, 1, [late.id]],
    ]);
    const read = await Promise.all(out.rsmf.map((f) => readRsmf(f.bytes)));
    expect(read.flatMap((r) => r.manifest.events.map((e) => e.id))).toEqual(messages.map((m) => m.id));
    for (const [i, r] of read.entries()) {
      expect(r.manifest.eventcollectionid).toBe(CHAT_ID);
      expect(r.header('X-RSMF-EventCollectionID')).toBe(CHAT_ID);
      expect(r.header('X-RSMF-EventCount')).toBe(String(out.rsmf[i]!.eventCount));
      expect(r.header('X-RSMF-BeginDate')).toBe(out.rsmf[i]!.beginDate);
      expect(r.header('X-RSMF-EndDate')).toBe(out.rsmf[i]!.endDate);
      expect(r.manifest.conversations.map((c) => c.id)).toEqual([CHAT_ID]);
      expect(r.manifest.participants.map((p) => p.id)).toEqual(['user_01ABCDEF', 'claude']);
      expect(r.mail.subject).toBe(`Claude chat: Quarterly revenue review (part ${i + 1} of 3)`);
    }
    expect(out.rsmf.map((f) => f.beginDate)).toEqual([0, 3, 6].map((i) => messages[i]!.created_at));
    expect(sha256(read[0]!.zip.get('claude_file_early.early.txt')!)).toBe(early.sha256);
    expect([...read[1]!.zip.keys()]).toEqual(['rsmf_manifest.json']);
    expect(sha256(read[2]!.zip.get('claude_file_late.late.txt')!)).toBe(late.sha256);
    // Message-IDs differ per part.
    expect(new Set(read.map((r) => r.mail.messageId)).size).toBe(3);
    // The transcript is of the whole conversation.
    expect(out.transcript).toContain('Messages: 7');
  });

  it('keeps exactly the threshold in one file, and one more in two', async () => {
    const atLimit = await renderConversation(
      {
        kind: 'chat',
        id: CHAT_ID,
        document: chatDocument(chatMeta(), plainMessages(3)),
        attachments: new Map(),
        generator: GENERATOR,
      },
      { maxEventsPerFile: 3 },
    );
    expect(atLimit.rsmf.map((f) => f.fileName)).toEqual([`${CHAT_ID}.rsmf`]);
    const { manifest, header } = await readRsmf(atLimit.rsmf[0]!.bytes);
    expect(manifest.eventcollectionid).toBeUndefined();
    expect(header('X-RSMF-EventCollectionID')).toBeUndefined();
  });

  it('writes one file with no events for a conversation with no messages', async () => {
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatDocument(chatMeta(), []),
      attachments: new Map(),
      generator: GENERATOR,
    });
    expect(out.rsmf.map((f) => [f.fileName, f.eventCount, f.beginDate, f.endDate])).toEqual([
      [`${CHAT_ID}.rsmf`, 0, null, null],
    ]);
    const { manifest, header, mail } = await readRsmf(out.rsmf[0]!.bytes);
    expect(manifest.events).toEqual([]);
    expect(header('X-RSMF-EventCount')).toBe('0');
    expect(header('X-RSMF-BeginDate')).toBeUndefined();
    // RFC 5322 wants a Date: with no message, the chat's creation.
    expect(mail.headers.get('date')).toEqual(new Date('2025-03-01T09:00:00Z'));
  });

  it('splits a real 10,001-message chat at 10,000 (the default)', async () => {
    expect(MAX_EVENTS_PER_FILE).toBe(10_000);
    const messages = plainMessages(10_001);
    const out = await renderConversation({
      kind: 'chat',
      id: CHAT_ID,
      document: chatDocument(chatMeta(), messages),
      attachments: new Map(),
      generator: GENERATOR,
    });
    expect(out.rsmf.map((f) => [f.fileName, f.eventCount])).toEqual([
      [`${CHAT_ID}.part01.rsmf`, 10_000],
      [`${CHAT_ID}.part02.rsmf`, 1],
    ]);
    const [first, second] = await Promise.all(out.rsmf.map((f) => readRsmf(f.bytes)));
    expect(first!.manifest.events).toHaveLength(10_000);
    expect(first!.manifest.events.at(-1)!.id).toBe(messages[9_999]!.id);
    expect(second!.manifest.events.map((e) => e.id)).toEqual([messages[10_000]!.id]);
    expect(second!.header('X-RSMF-EventCount')).toBe('1');
  });

  it('refuses a threshold that is not a positive integer', async () => {
    const input = {
      kind: 'chat' as const,
      id: CHAT_ID,
      document: chatDocument(chatMeta(), []),
      attachments: new Map(),
      generator: GENERATOR,
    };
    await expect(renderConversation(input, { maxEventsPerFile: 0 })).rejects.toThrow(RangeError);
    await expect(renderConversation(input, { maxEventsPerFile: 2.5 })).rejects.toThrow(RangeError);
  });
});
