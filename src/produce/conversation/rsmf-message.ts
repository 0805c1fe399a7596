/**
 * One `.rsmf` file: an RFC 5322 message (CRLF line ends) with the X-RSMF-* headers RSMF 2.0
 * defines, `multipart/mixed` holding a short plain-text summary and exactly one base64
 * attachment, `rsmf.zip`. No clock, no randomness: the MIME boundary and Message-ID come from a
 * hash of what the message carries, so the same conversation gives the same bytes.
 *
 * Addresses: a participant whose email is not a plain ASCII address (or who has none) is written
 * with the reserved, never-deliverable address `no-address@rsmf.invalid` (RFC 6761 `.invalid`),
 * so every mailbox parses; the real value is in the manifest.
 */
import { createHash } from 'node:crypto';
import type { Conversation, Person } from './conversation-model.js';
import { cleanHeaderText, mailboxField, unstructuredField } from './mime-header.js';
import { PLATFORM, RSMF_VERSION } from './rsmf-manifest.js';

const CRLF = '\r\n';
const NO_ADDRESS = 'no-address@rsmf.invalid';
const BASE64_LINE = 76;

export interface MessageParts {
  readonly conversation: Conversation;
  /** 1-based part number and the number of parts. */
  readonly part: number;
  readonly parts: number;
  readonly generator: string;
  readonly eventCount: number;
  readonly beginDate: string | null;
  readonly endDate: string | null;
  /** Event attachments in this file (RSMF: the sum over its events). */
  readonly attachmentCount: number;
  readonly summary: string;
  readonly zip: Buffer;
}

export function rsmfMessage(m: MessageParts): Buffer {
  const c = m.conversation;
  const text = Buffer.from(m.summary, 'utf8');
  const digest = createHash('sha256')
    .update(JSON.stringify([m.generator, c.id, m.part, m.parts]))
    .update(text)
    .update(m.zip)
    .digest('hex');
  const boundary = `=_rsmf_${digest.slice(0, 40)}`;
  const from = c.custodian ?? c.participants[0];
  const to = c.participants.filter((p) => p !== from);
  // RFC 5322 wants a Date: the first message's time, else the conversation's start.
  const date = m.beginDate ?? c.createdAt;
  const split = m.parts > 1 ? ` (part ${m.part} of ${m.parts})` : '';
  const headers = [
    from !== undefined ? mailboxField('From', from.display, address(from)) : '',
    to.length > 0 ? mailboxListField('To', to) : '',
    unstructuredField('Subject', `${c.label}: ${c.title}${split}`),
    date !== null ? `Date: ${rfc5322Date(date)}${CRLF}` : '',
    `Message-ID: <${digest.slice(0, 32)}.${m.part}@rsmf.invalid>${CRLF}`,
    `MIME-Version: 1.0${CRLF}`,
    `X-RSMF-Version: ${RSMF_VERSION}${CRLF}`,
    unstructuredField('X-RSMF-Generator', m.generator),
    `X-RSMF-Application: ${PLATFORM}${CRLF}`,
    m.beginDate !== null ? unstructuredField('X-RSMF-BeginDate', m.beginDate) : '',
    m.endDate !== null ? unstructuredField('X-RSMF-EndDate', m.endDate) : '',
    `X-RSMF-EventCount: ${m.eventCount}${CRLF}`,
    c.custodian !== null ? unstructuredField('X-RSMF-Custodian', c.custodian.display) : '',
    unstructuredField('X-RSMF-Participants', c.participants.map((p) => listItem(p.display)).join(', ')),
    `X-RSMF-AttachmentCount: ${m.attachmentCount}${CRLF}`,
    m.parts > 1 ? unstructuredField('X-RSMF-EventCollectionID', c.id) : '',
    `Content-Type: multipart/mixed;${CRLF} boundary="${boundary}"${CRLF}`,
  ].join('');
  const body = [
    `${CRLF}--${boundary}${CRLF}`,
    `Content-Type: text/plain; charset=utf-8${CRLF}`,
    `Content-Transfer-Encoding: base64${CRLF}${CRLF}`,
    base64Lines(text),
    `--${boundary}${CRLF}`,
    `Content-Type: application/zip; name="rsmf.zip"${CRLF}`,
    `Content-Disposition: attachment; filename="rsmf.zip"${CRLF}`,
    `Content-Transfer-Encoding: base64${CRLF}${CRLF}`,
    base64Lines(m.zip),
    `--${boundary}--${CRLF}`,
  ].join('');
  return Buffer.from(headers + body, 'ascii');
}

function address(p: Person): string {
  return p.email ?? NO_ADDRESS;
}

/** Several mailboxes, comma-separated, folded like one field. */
function mailboxListField(name: string, people: readonly Person[]): string {
  // Each mailbox is built as its own field, then the field names are dropped and the pieces joined.
  const pieces = people.map((p) => mailboxField(name, p.display, address(p)).slice(name.length + 1, -2));
  return `${name}:${pieces.join(`,${CRLF}`)}${CRLF}`;
}

/** A display name in the comma-separated participants list, quoted when it holds `,` or `"`. */
function listItem(display: string): string {
  const clean = cleanHeaderText(display);
  return /[",\\]/u.test(clean) ? `"${clean.replace(/["\\]/gu, '\\$&')}"` : clean;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** An RFC 3339 instant as an RFC 5322 date-time in UTC (`Mon, 01 Jan 2024 09:30:00 +0000`). */
function rfc5322Date(rfc3339: string): string {
  const d = new Date(rfc3339);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

function base64Lines(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += BASE64_LINE) lines.push(b64.slice(i, i + BASE64_LINE));
  return lines.map((l) => `${l}${CRLF}`).join('');
}
