/**
 * STAND-IN, to be replaced by the real RSMF 2.0 renderer (written in parallel against the contract
 * in ./types.ts). It honours that contract so the production stage runs end to end: a pure
 * function of its input, one minimal RFC 5322 message per conversation carrying the RSMF headers
 * and the conversation's JSON, and a plain transcript. It does not build `rsmf.zip`, does not
 * split at 10,000 events and is not a valid RSMF file: nothing may depend on its bytes.
 */
import { safeSegment } from '../../archive/safe-name.js';
import { ExportError } from '../../errors.js';
import type { ConversationInput, ConversationOutput } from './types.js';

interface Message {
  readonly id?: unknown;
  readonly created_at?: unknown;
  readonly sender?: unknown;
  readonly role?: unknown;
  readonly text?: unknown;
  readonly content?: unknown;
}

function messagesOf(input: ConversationInput): Message[] {
  let doc: unknown;
  try {
    doc = JSON.parse(input.document.toString('utf8'));
  } catch (error) {
    throw new ExportError('invalid_response', `${input.kind} ${input.id}: archived document is not JSON`, {
      cause: error,
    });
  }
  const messages = (doc as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages))
    throw new ExportError(
      'invalid_response',
      `${input.kind} ${input.id}: archived document has no messages[]`,
    );
  return messages.filter((m): m is Message => typeof m === 'object' && m !== null);
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

export async function renderConversation(input: ConversationInput): Promise<ConversationOutput> {
  const messages = messagesOf(input);
  const times = messages.map((m) => m.created_at).filter((t): t is string => typeof t === 'string');
  const transcript = messages
    .map((m) => `[${text(m.created_at)}] ${text(m.sender ?? m.role)}: ${text(m.text ?? m.content)}\n`)
    .join('');
  const ids = [...input.attachments.keys()].sort();
  const headers = [
    'MIME-Version: 1.0',
    'X-RSMF-Version: 2.0.0',
    `X-RSMF-Generator: ${input.generator}`,
    `X-RSMF-EventCount: ${messages.length}`,
    `X-RSMF-AttachmentCount: ${ids.length}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ];
  const body = Buffer.from(transcript, 'utf8').toString('base64').replace(/.{76}/gu, '$&\r\n');
  return {
    rsmf: [
      {
        fileName: `${safeSegment(input.id)}.rsmf`,
        bytes: Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8'),
        eventCount: messages.length,
        beginDate: times[0] ?? null,
        endDate: times[times.length - 1] ?? null,
        attachmentIds: ids,
      },
    ],
    transcript,
    messageCount: messages.length,
  };
}
