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
import type { ZipPieces } from './zip-bytes.js';

const CRLF = '\r\n';
const NO_ADDRESS = 'no-address@rsmf.invalid';
const BASE64_LINE = 76;
/** Bytes a full base64 line holds (76 characters). */
const LINE_BYTES = (BASE64_LINE / 4) * 3;
/** Bytes encoded at a time: whole lines, so every block but the last ends on a line end. */
const BLOCK_BYTES = LINE_BYTES * 1024;

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
  readonly zip: ZipPieces;
}

export function rsmfMessage(m: MessageParts): Buffer {
  const c = m.conversation;
  const text = Buffer.from(m.summary, 'utf8');
  const digest = createHash('sha256')
    .update(JSON.stringify([m.generator, c.id, m.part, m.parts]))
    .update(text);
  for (const chunk of m.zip.chunks) digest.update(chunk);
  const hash = digest.digest('hex');
  const boundary = `=_rsmf_${hash.slice(0, 40)}`;
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
    `Message-ID: <${hash.slice(0, 32)}.${m.part}@rsmf.invalid>${CRLF}`,
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
  const before = [
    headers,
    `${CRLF}--${boundary}${CRLF}`,
    `Content-Type: text/plain; charset=utf-8${CRLF}`,
    `Content-Transfer-Encoding: base64${CRLF}${CRLF}`,
    base64Lines(text),
    `--${boundary}${CRLF}`,
    `Content-Type: application/zip; name="rsmf.zip"${CRLF}`,
    `Content-Disposition: attachment; filename="rsmf.zip"${CRLF}`,
    `Content-Transfer-Encoding: base64${CRLF}${CRLF}`,
  ].join('');
  const after = `--${boundary}--${CRLF}`;
  // The message is written once into a buffer of its exact size: the zip's base64 never exists
  // as a string of its own (a conversation with large attachments would hold it several times).
  const out = Buffer.allocUnsafe(before.length + base64LinesLength(m.zip.size) + after.length);
  let at = out.write(before, 0, 'ascii');
  at = writeBase64Lines(m.zip.chunks, out, at);
  at += out.write(after, at, 'ascii');
  if (at !== out.length) throw new Error(`rsmf message: wrote ${at} of ${out.length} bytes`);
  return out;
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

/** `bytes` in base64, 76 characters a line, each line ending in CRLF (nothing for no bytes). */
function base64Lines(bytes: Buffer): string {
  const out = Buffer.allocUnsafe(base64LinesLength(bytes.length));
  writeBase64Lines([bytes], out, 0);
  return out.toString('ascii');
}

/** The length of `base64Lines` of `n` bytes. */
function base64LinesLength(n: number): number {
  const chars = Math.ceil(n / 3) * 4;
  return chars + Math.ceil(chars / BASE64_LINE) * CRLF.length;
}

/**
 * Writes the pieces' bytes, as one run of bytes, in base64 lines into `out` from `at`; returns
 * where it stopped. Blocks of whole lines are copied out of the pieces and encoded one at a time.
 */
function writeBase64Lines(pieces: readonly Buffer[], out: Buffer, at: number): number {
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  let filled = 0;
  const flush = (): void => {
    const text = block.toString('base64', 0, filled);
    for (let i = 0; i < text.length; i += BASE64_LINE) {
      at += out.write(text.slice(i, i + BASE64_LINE), at, 'ascii');
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    filled = 0;
  };
  for (const piece of pieces) {
    for (let from = 0; from < piece.length;) {
      const n = Math.min(piece.length - from, BLOCK_BYTES - filled);
      piece.copy(block, filled, from, from + n);
      filled += n;
      from += n;
      if (filled === BLOCK_BYTES) flush();
    }
  }
  if (filled > 0) flush();
  return at;
}
