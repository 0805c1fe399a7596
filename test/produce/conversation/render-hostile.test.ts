/**
 * Hostile API values (header injection, non-ASCII, names longer than a header line, a literal
 * encoded word, path-like file names and ids), byte-for-byte determinism, and the errors for a
 * malformed document or an attachment whose bytes are not the archive's.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExportError } from '../../../src/errors.js';
import { renderConversation } from '../../../src/produce/conversation/render.js';
import type { ConversationInput } from '../../../src/produce/conversation/types.js';
import {
  assistantMessage,
  attachment,
  attachmentMap,
  CHAT_ID,
  chatDocument,
  chatMeta,
  sha256,
  userMessage,
} from './documents.js';
import { rawHeaderLines, readRsmf, zipTimes } from './readers.js';

const GENERATOR = 'compliance-export 0.1.0';

function input(
  document: Buffer,
  attachments: ConversationInput['attachments'] = new Map(),
): ConversationInput {
  return { kind: 'chat', id: CHAT_ID, document, attachments, generator: GENERATOR };
}

const INJECTION = 'Q3\r\nBcc: victim@example.com\r\n\r\nInjected body';
const UNICODE = 'Données 東京 🙂 отчёт تقرير';
const LITERAL_WORD = '=?UTF-8?B?RkFLRQ==?=';
const oneLine = (s: string): string =>
  s
    .replace(/[\r\n]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();

describe('renderConversation: hostile values', () => {
  it.each([
    ['a CR/LF header injection', INJECTION],
    ['non-ASCII text', UNICODE],
    ['one 5,000-character word', 'x'.repeat(5000)],
    ['2,000 words', 'word '.repeat(2000).trim()],
    ['a literal RFC 2047 encoded word', LITERAL_WORD],
  ])('writes a chat name and user email holding %s as headers that decode back to it', async (_, hostile) => {
    const email = `${hostile}@example.com`;
    const out = await renderConversation(
      input(
        chatDocument(chatMeta({ name: hostile, user: { id: 'user_hostile', email_address: email } }), [
          userMessage(0),
          assistantMessage(1),
        ]),
      ),
    );
    const bytes = out.rsmf[0]!.bytes;
    const lines = rawHeaderLines(bytes);
    // Every header line within RFC 5322's 78 characters; continuation lines start with a space.
    for (const line of lines) expect(line.length, line.slice(0, 40)).toBeLessThanOrEqual(78);
    const names = lines.filter((l) => !/^[ \t]/.test(l)).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    expect(names).not.toContain('bcc');
    expect(new Set(names).size).toBe(names.length);
    expect(bytes.toString('latin1')).toMatch(/^[\x20-\x7e\r\n]*$/);

    const { mail, header, manifest } = await readRsmf(bytes);
    expect(mail.bcc).toBeUndefined();
    expect(mail.subject).toBe(`Claude chat: ${oneLine(hostile)}`);
    expect(header('X-RSMF-Custodian')).toBe(oneLine(email));
    expect(header('X-RSMF-Generator')).toBe(GENERATOR);
    // The manifest keeps the exact values.
    expect(manifest.conversations[0]!.display).toBe(hostile);
    expect(manifest.participants[0]!.display).toBe(email);
    // The transcript's header keeps the name on one line: no forged lines.
    expect(out.transcript.split('\n')).not.toContain('Bcc: victim@example.com');
  });

  it('folds a 2,000-word generator and participant list and keeps the parsed text intact', async () => {
    const generator = `compliance-export ${'very-long-generator-name '.repeat(100).trim()}`;
    const out = await renderConversation({
      ...input(
        chatDocument(chatMeta({ user: { id: 'user_x', email_address: 'a, "b" <c>' } }), [userMessage(0)]),
      ),
      generator,
    });
    const { header } = await readRsmf(out.rsmf[0]!.bytes);
    expect(header('X-RSMF-Generator')).toBe(generator);
    // A display name with a comma or quote is quoted in the comma-separated list.
    expect(header('X-RSMF-Participants')).toBe('"a, \\"b\\" <c>", Claude');
  });

  it('names attachments inside rsmf.zip safely, never over the manifest, keeping their names as display', async () => {
    const traversal = attachment(
      '../../etc/passwd',
      'file',
      '../../etc/passwd',
      Buffer.from('root:x:0:0'),
      'data/files/______etc_passwd~0123/passwd',
    );
    const shadow = attachment(
      'rsmf_manifest',
      'file',
      'json',
      Buffer.from('{"version":"evil"}'),
      'data/files/rsmf_manifest/json',
    );
    const unicode = attachment('claude_file_u', 'file', '東京\r\n.png', Buffer.from('\x89PNG\r\n\x1a\n'));
    const files = [traversal, shadow, unicode].map((a) => ({ id: a.id, filename: a.name }));
    const out = await renderConversation(
      input(chatDocument(chatMeta(), [userMessage(0, { files })]), attachmentMap(traversal, shadow, unicode)),
    );
    const { zip, manifest } = await readRsmf(out.rsmf[0]!.bytes);
    expect(manifest.version).toBe('2.0.0');
    expect(zip.size).toBe(4);
    const named = manifest.events[0]!.attachments!;
    expect(named.map((a) => a.display)).toEqual(['../../etc/passwd', 'json', '東京\r\n.png']);
    for (const [i, a] of named.entries()) {
      expect(a.id).not.toMatch(/[/\\]/);
      expect(a.id).not.toBe('rsmf_manifest.json');
      expect(sha256(zip.get(a.id)!)).toBe([traversal, shadow, unicode][i]!.sha256);
    }
  });
});

describe('renderConversation: determinism', () => {
  it('writes the same bytes and transcript for the same input, different ones for another', async () => {
    const file = attachment('claude_file_d', 'file', 'notes ü.txt', Buffer.from('deterministic'));
    const second = attachment('claude_file_e', 'file', 'e.txt', Buffer.from('second file'));
    const doc = chatDocument(chatMeta({ name: UNICODE }), [
      userMessage(0, {
        files: [
          { id: second.id, filename: second.name },
          { id: file.id, filename: file.name },
        ],
      }),
      assistantMessage(1),
    ]);
    const a = await renderConversation(input(doc, attachmentMap(file, second)), { maxEventsPerFile: 1 });
    const b = await renderConversation(input(Buffer.from(doc), attachmentMap(file, second)), {
      maxEventsPerFile: 1,
    });
    expect(a.rsmf).toHaveLength(2);
    expect(b.rsmf.map((f) => sha256(f.bytes))).toEqual(a.rsmf.map((f) => sha256(f.bytes)));
    expect(b.transcript).toBe(a.transcript);
    // Nothing depends on the order the attachments map was filled in.
    const reordered = new Map([...attachmentMap(file, second)].reverse());
    const c = await renderConversation(input(doc, reordered), { maxEventsPerFile: 1 });
    expect(c.rsmf.map((f) => sha256(f.bytes))).toEqual(a.rsmf.map((f) => sha256(f.bytes)));
    // No clock: every zip entry carries the fixed 1980-01-01 00:00 (DOS date 0x21, time 0).
    const { mail } = await readRsmf(a.rsmf[0]!.bytes);
    const times = await zipTimes(mail.attachments[0]!.content);
    expect([...times.values()]).toEqual(['33/0', '33/0', '33/0']);
    const other = await renderConversation(
      input(chatDocument(chatMeta({ name: 'other' }), [userMessage(0), assistantMessage(1)])),
      { maxEventsPerFile: 1 },
    );
    const boundary = (bytes: Buffer): string => /boundary="([^"]+)"/.exec(bytes.toString('latin1'))![1]!;
    expect(boundary(other.rsmf[0]!.bytes)).not.toBe(boundary(a.rsmf[0]!.bytes));
  });
});

describe('renderConversation: malformed input', () => {
  const valid = JSON.parse(chatDocument(chatMeta(), [userMessage(0)]).toString()) as {
    chat: Record<string, unknown>;
    messages: Record<string, unknown>[];
  };
  const withMessage = (m: Record<string, unknown>): string => JSON.stringify({ ...valid, messages: [m] });
  it.each([
    ['not JSON', '{"chat":{"id":'],
    ['not an object', '[1,2]'],
    ['no chat', JSON.stringify({ session: valid.chat, messages: [] })],
    ['a chat without an id', JSON.stringify({ chat: { name: 'x' }, messages: [] })],
    ['another chat id', JSON.stringify({ chat: { ...valid.chat, id: 'claude_chat_other' }, messages: [] })],
    ['messages not a list', JSON.stringify({ chat: valid.chat, messages: {} })],
    ['a user that is a string', JSON.stringify({ chat: { ...valid.chat, user: 'ada' }, messages: [] })],
    ['a message that is not an object', JSON.stringify({ chat: valid.chat, messages: ['hi'] })],
    ['a message without an id', withMessage({ ...valid.messages[0], id: undefined })],
    ['a message without a role', withMessage({ ...valid.messages[0], role: 7 })],
    ['content that is not a list', withMessage({ ...valid.messages[0], content: 'hello' })],
    ['files that is not a list', withMessage({ ...valid.messages[0], files: 'report.pdf' })],
    ['a file reference without an id', withMessage({ ...valid.messages[0], files: [{ filename: 'a' }] })],
    [
      'an artifact without a version id',
      withMessage({ ...valid.messages[0], artifacts: [{ id: 'claude_artifact_1' }] }),
    ],
  ])('refuses %s with invalid_response naming the chat', async (_, text) => {
    const error: unknown = await renderConversation(input(Buffer.from(text))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).code).toBe('invalid_response');
    expect((error as ExportError).message).toContain(JSON.stringify(CHAT_ID));
  });

  it('refuses an attachment whose bytes are not the ones the archive recorded (store_corrupt)', async () => {
    const good = attachment('claude_file_c', 'file', 'c.txt', Buffer.from('recorded bytes'));
    const tampered = { ...good, open: () => Readable.from([Buffer.from('other bytes!!!')]) };
    const doc = chatDocument(chatMeta(), [userMessage(0, { files: [{ id: good.id, filename: 'c.txt' }] })]);
    const error: unknown = await renderConversation(input(doc, new Map([[good.id, tampered]]))).catch(
      (e: unknown) => e,
    );
    expect((error as ExportError).code).toBe('store_corrupt');
    expect((error as ExportError).message).toContain(good.id);
    expect((error as ExportError).message).toContain(good.sha256);

    const failing = {
      ...good,
      open: () =>
        new Readable({
          read() {
            this.destroy(new Error('EIO: read failed'));
          },
        }),
    };
    const readError: unknown = await renderConversation(input(doc, new Map([[good.id, failing]]))).catch(
      (e: unknown) => e,
    );
    expect((readError as ExportError).code).toBe('archive_error');
    expect((readError as ExportError).message).toContain(good.id);
  });
});
