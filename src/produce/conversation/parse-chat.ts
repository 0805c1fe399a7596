/**
 * An archived chat, `{"chat":{…},"messages":[…]}` (chat-fetch.ts; compliance-api.md §3.8-3.9),
 * as a Conversation: the chat's user and Claude as participants, one turn per message in the
 * API's order, its files, generated files and artifact versions as references.
 */
import {
  isRecord,
  malformed,
  rfc3339,
  str,
  type Conversation,
  type Reference,
  type Turn,
} from './conversation-model.js';
import {
  baseFacts,
  factList,
  messageBase,
  ParticipantBook,
  readDocument,
  userField,
} from './parse-common.js';
import { renderBlocks } from './render-blocks.js';

export function parseChat(id: string, document: Buffer): Conversation {
  const { root: chat, messages } = readDocument('chat', id, document, 'chat');
  const user = userField('chat', id, chat, 'user');
  const book = new ParticipantBook(user === null ? [] : [user]);
  const human = user === null ? book.unknown() : book.user(user);
  const deletedAt = chat.deleted_at;
  const deleted = deletedAt !== null && deletedAt !== undefined;
  const name = str(chat, 'name') ?? '';

  const turns: Turn[] = messages.map((value, index) => {
    const m = messageBase('chat', id, value, index);
    const speaker = m.role === 'user' ? human : m.role === 'assistant' ? book.claude : book.role(m.role);
    let body = renderBlocks(m.content);
    if (m.content.length === 0) {
      // §3.9 newest: a soft-deleted chat's messages keep their ids but lose their content.
      body = deleted
        ? '[No content: the chat was deleted by its user in claude.ai, and the Compliance API returns no content for it.]'
        : '[This message has no content.]';
    }
    return {
      id: m.id,
      speaker: speaker.id,
      role: m.role,
      timestamp: m.timestamp,
      rawTimestamp: m.rawTimestamp,
      body,
      references: references(id, m.record, m.id),
      facts: baseFacts(m),
    };
  });

  return {
    kind: 'chat',
    id,
    title:
      name !== '' ? name : deleted ? '(name removed: the chat was deleted by its user)' : '(untitled chat)',
    label: 'Claude chat',
    participants: book.all,
    custodian: user === null ? null : human,
    custodianNote: user === null ? 'the API gave no user for this chat (user: null)' : null,
    createdAt: rfc3339(str(chat, 'created_at')),
    deleted,
    facts: factList([
      ['Chat id', id],
      ['Name', name],
      ['Created', chat.created_at],
      ['Updated', chat.updated_at],
      ['Deleted', deleted ? (typeof deletedAt === 'string' ? deletedAt : JSON.stringify(deletedAt)) : null],
      ['Model', chat.model],
      ['Project', chat.project_id],
      ['Organization', chat.organization_uuid],
      ['Link', chat.href],
    ]),
    turns,
  };
}

/** The message's files, generated files and artifact versions (§3.9), in that order. */
function references(id: string, m: Record<string, unknown>, messageId: string): Reference[] {
  const refs: Reference[] = [];
  const lists = [
    ['files', 'file', 'id', 'filename'],
    ['generated_files', 'generated_file', 'id', 'filename'],
    // An artifact is kept per version: the attachments map is keyed by its version id (§3.12).
    ['artifacts', 'chat_artifact', 'version_id', 'title'],
  ] as const;
  for (const [key, kind, idKey, nameKey] of lists) {
    const list = m[key];
    if (list === null || list === undefined) continue;
    if (!Array.isArray(list))
      throw malformed('chat', id, `message ${JSON.stringify(messageId)}: ${key} is not a list`);
    for (const entry of list) {
      const refId = isRecord(entry) ? str(entry, idKey) : null;
      if (refId === null || refId === '' || !isRecord(entry)) {
        throw malformed(
          'chat',
          id,
          `message ${JSON.stringify(messageId)}: an entry of ${key} has no string ${idKey}`,
        );
      }
      refs.push({ id: refId, kind, name: str(entry, nameKey) });
    }
  }
  return refs;
}
