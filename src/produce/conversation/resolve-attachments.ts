/**
 * A message's references against what the archive holds: each is either an attachment whose
 * bytes go into `rsmf.zip`, or named in the event's body as not in the archive (a gap, or a kind
 * out of scope). Also the name each file gets inside `rsmf.zip`, and reading its bytes back
 * checked against the hash the archive recorded.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path/posix';
import { safeName, safeSegment } from '../../archive/safe-name.js';
import { ExportError, isExportError } from '../../errors.js';
import type { Reference, Turn } from './conversation-model.js';
import type { ConversationAttachment } from './types.js';

export const MANIFEST_NAME = 'rsmf_manifest.json';

/** A turn with its references resolved and its final body (missing references named in it). */
export interface ResolvedTurn {
  readonly turn: Turn;
  /** Attachments the archive holds, once each, in the order the message names them. */
  readonly present: readonly ConversationAttachment[];
  readonly missing: readonly Reference[];
  readonly body: string;
}

const KIND_LABEL: Readonly<Record<Reference['kind'], string>> = {
  file: 'file',
  generated_file: 'generated file',
  chat_artifact: 'artifact version',
};

export function resolveTurn(
  turn: Turn,
  attachments: ReadonlyMap<string, ConversationAttachment>,
): ResolvedTurn {
  const present: ConversationAttachment[] = [];
  const missing: Reference[] = [];
  const seen = new Set<string>();
  for (const ref of turn.references) {
    if (seen.has(ref.id)) continue;
    seen.add(ref.id);
    const held = attachments.get(ref.id);
    if (held === undefined) missing.push(ref);
    else present.push(held);
  }
  const notes = missing.map((ref) => `[Not in the archive: ${referenceLabel(ref)}.]`);
  return { turn, present, missing, body: [turn.body, ...notes].join('\n\n') };
}

/** `file claude_file_… "name.pdf"`: how a missing reference is named for people. */
function referenceLabel(ref: Reference): string {
  return `${KIND_LABEL[ref.kind]} ${ref.id}${ref.name !== null && ref.name !== '' ? ` ${JSON.stringify(ref.name)}` : ''}`;
}

/**
 * The attachment's file name inside `rsmf.zip`: `<safe id>.<safe base name of its bag path>`,
 * e.g. `claude_file_abc.report.pdf`. A safe id never holds a `.`, so the part before the first
 * `.` gives the id back and distinct ids never share a name; the manifest's own name is kept
 * free. The original name stays the event attachment's `display`.
 */
export function entryName(attachment: ConversationAttachment): string {
  const segment = safeSegment(attachment.id);
  let base = safeName(basename(attachment.bagPath), attachment.kind);
  // An artifact's native is `<safe version id>.json`: no need to say the id twice.
  if (base.startsWith(`${segment}.`)) base = base.slice(segment.length + 1);
  const name = safeName(`${segment}.${base}`);
  return name.toLowerCase() === MANIFEST_NAME ? `${segment}._${base}` : name;
}

/** The display name of an attachment: its original name or title, else its name in the zip. */
export function displayName(attachment: ConversationAttachment): string {
  return attachment.name !== null && attachment.name !== '' ? attachment.name : entryName(attachment);
}

/** The attachment's bytes, refused unless they are the ones the archive recorded. */
export async function readAttachment(attachment: ConversationAttachment, where: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  try {
    for await (const chunk of attachment.open()) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      hash.update(bytes);
      chunks.push(bytes);
    }
  } catch (error) {
    if (isExportError(error)) throw error;
    throw new ExportError(
      'archive_error',
      `${where}: reading ${attachment.kind} ${attachment.id} (${attachment.bagPath}) failed: ${String(error)}`,
      { cause: error },
    );
  }
  const bytes = Buffer.concat(chunks);
  const sha256 = hash.digest('hex');
  if (sha256 !== attachment.sha256.toLowerCase() || bytes.length !== attachment.size) {
    throw new ExportError(
      'store_corrupt',
      `${where}: ${attachment.kind} ${attachment.id} (${attachment.bagPath}) read back as ${bytes.length} bytes, sha256 ${sha256}; the archive recorded ${attachment.size} bytes, sha256 ${attachment.sha256}`,
    );
  }
  return bytes;
}
