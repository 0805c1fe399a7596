/**
 * The neutral model both document parsers produce (a chat, §3.8-3.9; a session, §3.16) and every
 * renderer reads (manifest, container, transcript). Values here are still the API's (untrusted)
 * strings; each renderer encodes them for its own format.
 */
import { ExportError } from '../../errors.js';

/** A speaker: an RSMF participant. */
export interface Person {
  /** Unique within the conversation; the RSMF participant id. */
  readonly id: string;
  readonly display: string;
  /** An address RFC 5322 and the manifest schema accept, else null (the raw value is in `facts`). */
  readonly email: string | null;
  /** The API's user id, when the person is an API user. */
  readonly accountId: string | null;
  /** Extra facts shown as custom properties (name, value), values non-empty. */
  readonly facts: readonly (readonly [string, string])[];
}

/** A file, generated file or artifact version a message refers to. */
export interface Reference {
  /** The id the attachments map is keyed by (for an artifact: its version id). */
  readonly id: string;
  readonly kind: 'file' | 'generated_file' | 'chat_artifact';
  /** The name or title the message gave (untrusted), if any. */
  readonly name: string | null;
}

/** One API message: one RSMF `message` event. */
export interface Turn {
  readonly id: string;
  /** Participant id of the speaker. */
  readonly speaker: string;
  /** The API's role, as given. */
  readonly role: string;
  /** RFC 3339 timestamp, or null when the API's value is not one (then `rawTimestamp` holds it). */
  readonly timestamp: string | null;
  readonly rawTimestamp: string | null;
  /** The readable text: content blocks rendered, then notes (deletion, unavailable content). */
  readonly body: string;
  readonly references: readonly Reference[];
  /** Extra facts shown as custom event properties. */
  readonly facts: readonly (readonly [string, string])[];
}

export interface Conversation {
  readonly kind: 'chat' | 'session';
  /** The conversation id (the RSMF conversation id and event collection id). */
  readonly id: string;
  /** A human title: the chat's name, or a description of the session. */
  readonly title: string;
  /** What kind of conversation, for people: "Claude chat", "Claude local session". */
  readonly label: string;
  readonly participants: readonly Person[];
  /** The participant the data was collected from, or null (the API gave no user). */
  readonly custodian: Person | null;
  /** Why there is no custodian, for people; null when there is one. */
  readonly custodianNote: string | null;
  /** When the conversation began (RFC 3339), if the API said so validly: the Date of an empty one. */
  readonly createdAt: string | null;
  /** Soft-deleted by its user (a chat's `deleted_at`): every event carries `deleted: true`. */
  readonly deleted: boolean;
  /** Conversation facts (created, updated, deleted, model, …) in a fixed order, values non-empty. */
  readonly facts: readonly (readonly [string, string])[];
  readonly turns: readonly Turn[];
}

/** The error for a document that is not what the archive should hold, naming the conversation. */
export function malformed(kind: 'chat' | 'session', id: string, cause: string): ExportError {
  return new ExportError(
    'invalid_response',
    `${kind} ${JSON.stringify(id)}: the archived document is malformed: ${cause}`,
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field's value, or null when absent, null or not a string. */
export function str(record: Record<string, unknown>, key: string): string | null {
  const v = record[key];
  return typeof v === 'string' ? v : null;
}

// RFC 3339 date-time (§5.6), the form the manifest schema's `date-time` format requires.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/u;

/** The value itself when it is a real RFC 3339 date-time (month lengths, ranges), else null. */
export function rfc3339(value: string | null): string | null {
  if (value === null) return null;
  const m = RFC3339.exec(value);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  if (hour > 23 || minute > 59 || second > 60) return null;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  return Number.isNaN(Date.parse(value)) ? null : value;
}

// A plain ASCII addr-spec (dot-atom@domain): what an RFC 5322 header can carry without SMTPUTF8
// and what validators of the schema's `idn-email` accept. Anything else stays a custom fact.
const LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const EMAIL = new RegExp(`^${LOCAL}@${LABEL}(?:\\.${LABEL})+$`, 'u');

export function plainEmail(value: string | null): string | null {
  return value !== null && value.length <= 254 && EMAIL.test(value) ? value : null;
}

// Line breaks of every kind (CR, LF, NEL, LS, PS) and the other C0 controls.
// eslint-disable-next-line no-control-regex
const BREAKS = /[\u0000-\u001f\u007f\u0085\u2028\u2029]+/gu;

/**
 * A value on one line, for the headers of the transcript and the summary: an untrusted name with
 * a line break could otherwise forge a line such as `Custodian: …`. The exact value stays in the
 * manifest.
 */
export function oneLine(value: string): string {
  return value.replace(BREAKS, ' ');
}

/** Gives each wanted participant id a unique one: the first keeps it, later ones get a suffix. */
export function uniqueIds(): (wanted: string) => string {
  const taken = new Set<string>();
  return (wanted) => {
    let id = wanted === '' ? 'participant' : wanted;
    for (let n = 2; taken.has(id); n += 1) id = `${wanted}~${n}`;
    taken.add(id);
    return id;
  };
}
