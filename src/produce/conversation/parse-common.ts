/**
 * What the chat and session parsers share: reading the archived document's outer shape, the
 * participants (API users, Claude, and any role the API adds later), and a message's common
 * fields. Shape errors name the conversation and what was wrong; content oddities are rendered,
 * not refused (render-blocks.ts).
 */
import {
  isRecord,
  malformed,
  plainEmail,
  rfc3339,
  str,
  uniqueIds,
  type Person,
} from './conversation-model.js';

export interface RawDocument {
  readonly root: Record<string, unknown>;
  readonly messages: readonly unknown[];
}

/**
 * `{"<rootKey>":{…},"messages":[…]}` (chat-fetch.ts and sessions.ts write it so), with a root
 * object whose `id` is the conversation's: `id` itself, or its last path segment (a session is
 * archived as `local/<id>` or `remote/<id>`).
 */
export function readDocument(
  kind: 'chat' | 'session',
  id: string,
  document: Buffer,
  rootKey: string,
): RawDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document.toString('utf8'));
  } catch (error) {
    const e = malformed(kind, id, 'not valid JSON');
    e.cause = error;
    throw e;
  }
  if (!isRecord(parsed)) throw malformed(kind, id, 'not a JSON object');
  const root = parsed[rootKey];
  if (!isRecord(root)) throw malformed(kind, id, `"${rootKey}" is not an object`);
  const rootId = str(root, 'id');
  if (rootId === null || rootId === '') throw malformed(kind, id, `"${rootKey}.id" is not a string`);
  if (rootId !== id && !id.endsWith(`/${rootId}`)) {
    throw malformed(kind, id, `"${rootKey}.id" is ${JSON.stringify(rootId)}, another conversation`);
  }
  const messages = parsed.messages;
  if (!Array.isArray(messages)) throw malformed(kind, id, '"messages" is not a list');
  return { root, messages };
}

/** The speakers of one conversation, created as they are met, in a stable order. */
export class ParticipantBook {
  private readonly unique = uniqueIds();
  private readonly users = new Map<string, Person>();
  private readonly roles = new Map<string, Person>();
  private readonly order: Person[] = [];
  private unknownUser: Person | null = null;
  readonly claude: Person;

  /**
   * `users`: API users known up front (the owner first), created before Claude; with none, an
   * unknown user stands first in their place (the API gave `user: null`).
   */
  constructor(users: readonly Record<string, unknown>[]) {
    for (const u of users) this.user(u);
    if (users.length === 0) this.unknown();
    this.claude = this.add({
      id: this.unique('claude'),
      display: 'Claude',
      email: null,
      accountId: null,
      facts: [],
    });
  }

  get all(): readonly Person[] {
    return this.order;
  }

  /** An API user `{id, email_address}`; the same user id gives the same participant. */
  user(record: Record<string, unknown>): Person {
    const userId = str(record, 'id') ?? '';
    const known = this.users.get(userId);
    if (known !== undefined) return known;
    const rawEmail = str(record, 'email_address');
    const email = plainEmail(rawEmail);
    const person = this.add({
      id: this.unique(userId),
      display: rawEmail !== null && rawEmail !== '' ? rawEmail : userId,
      email,
      accountId: userId,
      facts:
        email === null && rawEmail !== null && rawEmail !== ''
          ? [['Email as the API gave it', rawEmail]]
          : [],
    });
    this.users.set(userId, person);
    return person;
  }

  /** A user known only by id (a remote session's `sent_by_user_id`). */
  userById(userId: string): Person {
    return this.users.get(userId) ?? this.user({ id: userId });
  }

  /** The human speaker when the API names none (`user: null`, §3.8). */
  unknown(): Person {
    this.unknownUser ??= this.add({
      id: this.unique('unknown-user'),
      display: 'Unknown user (the API gave no user)',
      email: null,
      accountId: null,
      facts: [],
    });
    return this.unknownUser;
  }

  /** A role other than user and assistant: its own participant, so nothing is misattributed. */
  role(role: string): Person {
    let person = this.roles.get(role);
    if (person === undefined) {
      person = this.add({
        id: this.unique(`role-${role}`),
        display: `${role} (a message role this tool does not know)`,
        email: null,
        accountId: null,
        facts: [],
      });
      this.roles.set(role, person);
    }
    return person;
  }

  private add(person: Person): Person {
    this.order.push(person);
    return person;
  }
}

/** A user field: an object with a string id, null, or absent; anything else is malformed. */
export function userField(
  kind: 'chat' | 'session',
  id: string,
  root: Record<string, unknown>,
  key: string,
): Record<string, unknown> | null {
  const value = root[key];
  if (value === null || value === undefined) return null;
  if (!isRecord(value) || typeof value.id !== 'string' || value.id === '') {
    throw malformed(kind, id, `"${key}" is not a user ({id, email_address}) or null`);
  }
  return value;
}

/** The fields every message has: an id, a role, a time, a list of content blocks. */
export interface MessageBase {
  readonly record: Record<string, unknown>;
  readonly id: string;
  readonly role: string;
  readonly timestamp: string | null;
  readonly rawTimestamp: string | null;
  readonly content: readonly unknown[];
}

export function messageBase(
  kind: 'chat' | 'session',
  id: string,
  value: unknown,
  index: number,
): MessageBase {
  if (!isRecord(value)) throw malformed(kind, id, `message ${index} is not an object`);
  const messageId = str(value, 'id');
  if (messageId === null || messageId === '') throw malformed(kind, id, `message ${index} has no string id`);
  const where = `message ${index} (${JSON.stringify(messageId)})`;
  const role = str(value, 'role');
  if (role === null) throw malformed(kind, id, `${where} has no string role`);
  const created = value.created_at;
  if (created !== null && created !== undefined && typeof created !== 'string') {
    throw malformed(kind, id, `${where}: created_at is not a string`);
  }
  const content = value.content ?? [];
  if (!Array.isArray(content)) throw malformed(kind, id, `${where}: content is not a list`);
  const rawTimestamp = typeof created === 'string' ? created : null;
  return {
    record: value,
    id: messageId,
    role,
    timestamp: rfc3339(rawTimestamp),
    rawTimestamp,
    content,
  };
}

/** Facts every event carries: its role, and a timestamp the manifest could not take. */
export function baseFacts(m: MessageBase): [string, string][] {
  const facts: [string, string][] = [['Role', m.role === '' ? '(empty)' : m.role]];
  if (m.timestamp === null) facts.push(['Timestamp as the API gave it', m.rawTimestamp ?? '(none)']);
  return facts;
}

/** Name/value facts, keeping only non-empty string values. */
export function factList(pairs: readonly (readonly [string, unknown])[]): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of pairs) if (typeof value === 'string' && value !== '') out.push([name, value]);
  return out;
}
