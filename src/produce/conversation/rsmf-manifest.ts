/**
 * `rsmf_manifest.json` (RSMF 2.0.0: `version`, `participants`, `conversations`, `events`) for one
 * file of a conversation: every participant, the one conversation, and one `message` event per
 * API message of this part, in the API's order. Fields are written in a fixed order and only
 * when they have a value the schema accepts (custom values non-empty, timestamps RFC 3339,
 * emails plain addresses); what does not fit a field is a custom property instead.
 */
import type { Conversation, Person } from './conversation-model.js';
import { displayName, entryName, type ResolvedTurn } from './resolve-attachments.js';

export const RSMF_VERSION = '2.0.0';
export const PLATFORM = 'Claude';

type Custom = { name: string; value: string }[];

export interface ManifestPart {
  readonly conversation: Conversation;
  readonly turns: readonly ResolvedTurn[];
  /** Set when the conversation is split into several files: groups them (RSMF 2.0). */
  readonly eventCollectionId: string | null;
}

/** The manifest as JSON text (two-space indented, UTF-8 when written). */
export function manifestJson(part: ManifestPart): string {
  const c = part.conversation;
  const manifest = {
    version: RSMF_VERSION,
    ...(part.eventCollectionId !== null ? { eventcollectionid: part.eventCollectionId } : {}),
    participants: c.participants.map(participantJson),
    conversations: [
      {
        id: c.id,
        display: c.title,
        platform: PLATFORM,
        type: 'direct',
        participants: c.participants.map((p) => p.id),
        ...(c.custodian !== null ? { custodian: c.custodian.id } : {}),
        custom: custom([
          ['Kind', c.label],
          ...c.facts,
          ...(c.custodianNote !== null ? ([['Custodian', `none: ${c.custodianNote}`]] as const) : []),
        ]),
      },
    ],
    events: part.turns.map((t) => eventJson(c, t)),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function participantJson(p: Person): Record<string, unknown> {
  return {
    id: p.id,
    display: p.display,
    ...(p.email !== null ? { email: p.email } : {}),
    ...(p.accountId !== null && p.accountId !== '' ? { account_id: p.accountId } : {}),
    ...(p.facts.length > 0 ? { custom: custom(p.facts) } : {}),
  };
}

function eventJson(c: Conversation, r: ResolvedTurn): Record<string, unknown> {
  const t = r.turn;
  const facts = [
    ...t.facts,
    ...r.missing.map((ref) => ['Not in the archive', `${ref.kind} ${ref.id}`] as const),
  ];
  return {
    id: t.id,
    type: 'message',
    participant: t.speaker,
    conversation: c.id,
    ...(t.timestamp !== null ? { timestamp: t.timestamp } : {}),
    body: r.body,
    ...(c.deleted ? { deleted: true } : {}),
    // Relative to the custodian: what they sent is outgoing, what they received incoming.
    ...(c.custodian !== null ? { direction: t.speaker === c.custodian.id ? 'outgoing' : 'incoming' } : {}),
    ...(r.present.length > 0
      ? {
          attachments: r.present.map((a) => ({ id: entryName(a), display: displayName(a), size: a.size })),
        }
      : {}),
    ...(facts.length > 0 ? { custom: custom(facts) } : {}),
  };
}

function custom(pairs: readonly (readonly [string, string])[]): Custom {
  return pairs.filter(([, value]) => value !== '').map(([name, value]) => ({ name, value }));
}
