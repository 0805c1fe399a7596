/**
 * An archived session, `{"session":{…the listing's record…},"messages":[…]}` (sessions.ts;
 * compliance-api.md §3.16), as a Conversation. A local session's user owns it; a remote one may
 * be owned by an agent and started by another user, and each user message names its sender
 * (`sent_by_user_id`): every such user is a participant. Content the API could not give
 * (`provenance.type` content_unavailable, remote `content_unavailable`) is said so in the body.
 */
import { isRecord, rfc3339, str, type Conversation, type Person, type Turn } from './conversation-model.js';
import {
  baseFacts,
  factList,
  messageBase,
  ParticipantBook,
  readDocument,
  userField,
} from './parse-common.js';
import { renderBlocks } from './render-blocks.js';

export function parseSession(id: string, document: Buffer): Conversation {
  const { root: session, messages } = readDocument('session', id, document, 'session');
  const sessionId = str(session, 'id') ?? id;
  const local =
    session.type === 'compliance_local_session' || sessionId.startsWith('clls_') || id.startsWith('local/');
  const owner = userField('session', id, session, 'user');
  const starter = userField('session', id, session, 'started_by_user');
  const book = new ParticipantBook([owner, starter].filter((u): u is Record<string, unknown> => u !== null));
  const ownerPerson = owner === null ? null : book.user(owner);
  const starterPerson = starter === null ? null : book.user(starter);

  const turns: Turn[] = messages.map((value, index) => {
    const m = messageBase('session', id, value, index);
    const senderId = str(m.record, 'sent_by_user_id');
    let speaker: Person;
    if (m.role === 'user') {
      speaker =
        senderId !== null && senderId !== ''
          ? book.userById(senderId)
          : (ownerPerson ?? starterPerson ?? book.unknown());
    } else {
      speaker = m.role === 'assistant' ? book.claude : book.role(m.role);
    }
    const facts = baseFacts(m);
    const notes: string[] = [];
    const provenance = m.record.provenance;
    if (isRecord(provenance) && typeof provenance.type === 'string') {
      const reason = str(provenance, 'reason');
      facts.push(['Provenance', reason !== null ? `${provenance.type} (${reason})` : provenance.type]);
      if (provenance.type === 'content_unavailable') {
        notes.push(`[Content unavailable from the Compliance API${reason !== null ? `: ${reason}` : ''}.]`);
      }
    }
    if (m.record.content_unavailable === true) notes.push('[Content unavailable from the Compliance API.]');
    const rendered = renderBlocks(m.content);
    const parts = [...(rendered !== '' || m.content.length > 0 ? [rendered] : []), ...notes];
    return {
      id: m.id,
      speaker: speaker.id,
      role: m.role,
      timestamp: m.timestamp,
      rawTimestamp: m.rawTimestamp,
      body: parts.length > 0 ? parts.join('\n\n') : '[This message has no content.]',
      references: [],
      facts,
    };
  });

  const surface = str(session, 'product_surface');
  const label = local ? 'Claude local session' : 'Claude remote session';
  return {
    kind: 'session',
    id,
    title: `${sessionId}${surface !== null && surface !== '' ? ` (${surface})` : ''}`,
    label,
    participants: book.all,
    custodian: ownerPerson,
    custodianNote: ownerPerson === null ? 'the API gave no user for this session (user: null)' : null,
    createdAt: rfc3339(str(session, 'created_at')),
    deleted: false,
    facts: factList([
      ['Session id', sessionId],
      ['Product surface', surface],
      ['Status', session.status],
      ['Created', session.created_at],
      ['Updated', session.updated_at],
      ['Workspace', session.workspace_id],
      ['Agent', session.agent_id],
      ['Started by', starter === null ? null : (str(starter, 'email_address') ?? str(starter, 'id'))],
      ['Project', session.claude_project_id],
      ['Organization', session.organization_uuid],
    ]),
    turns,
  };
}
