/**
 * One archived chat or session → its RSMF 2.0 file(s) and a plain-text transcript (the contract
 * is types.ts). A pure function of its input: no store, no network, no clock. A conversation over
 * `maxEventsPerFile` events (Relativity's guidance: 10,000) is split into parts
 * `<safe id>.partNN.rsmf`, each a complete RSMF with the same participants and conversation, the
 * events of its slice, the files those events reference, and the conversation id as the event
 * collection id that groups them.
 */
import { safeSegment } from '../../archive/safe-name.js';
import { oneLine, type Conversation } from './conversation-model.js';
import { parseChat } from './parse-chat.js';
import { parseSession } from './parse-session.js';
import {
  entryName,
  MANIFEST_NAME,
  readAttachment,
  resolveTurn,
  type ResolvedTurn,
} from './resolve-attachments.js';
import { manifestJson, RSMF_VERSION } from './rsmf-manifest.js';
import { rsmfMessage } from './rsmf-message.js';
import { transcriptText } from './transcript.js';
import type { ConversationAttachment, ConversationInput, ConversationOutput, RsmfFile } from './types.js';
import { zipPieces, type ZipEntry } from './zip-bytes.js';

/** Events per RSMF file before a conversation is split (Relativity's guidance). */
export const MAX_EVENTS_PER_FILE = 10_000;

export interface RenderOptions {
  /** Split threshold; default MAX_EVENTS_PER_FILE. Tests set a small one. */
  readonly maxEventsPerFile?: number;
}

export async function renderConversation(
  input: ConversationInput,
  options: RenderOptions = {},
): Promise<ConversationOutput> {
  const max = options.maxEventsPerFile ?? MAX_EVENTS_PER_FILE;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`maxEventsPerFile must be a positive integer, got ${max}`);
  }
  const conversation =
    input.kind === 'chat' ? parseChat(input.id, input.document) : parseSession(input.id, input.document);
  const turns = conversation.turns.map((t) => resolveTurn(t, input.attachments));
  const parts = Math.max(1, Math.ceil(turns.length / max));
  const rsmf: RsmfFile[] = [];
  for (let i = 0; i < parts; i += 1) {
    const slice = turns.slice(i * max, (i + 1) * max);
    rsmf.push(await renderPart(input, conversation, slice, { part: i + 1, parts, first: i * max + 1 }));
  }
  return { rsmf, transcript: transcriptText(conversation, turns), messageCount: turns.length };
}

async function renderPart(
  input: ConversationInput,
  conversation: Conversation,
  turns: readonly ResolvedTurn[],
  at: { readonly part: number; readonly parts: number; readonly first: number },
): Promise<RsmfFile> {
  const { part, parts } = at;
  const segment = safeSegment(input.id);
  const fileName = parts === 1 ? `${segment}.rsmf` : `${segment}.part${String(part).padStart(2, '0')}.rsmf`;
  const where = `${input.kind} ${JSON.stringify(input.id)} (${fileName})`;

  const held = new Map<string, ConversationAttachment>();
  let attachmentCount = 0;
  for (const r of turns) {
    attachmentCount += r.present.length;
    for (const a of r.present) held.set(a.id, a);
  }
  const files = [...held.values()]
    .map((a) => ({ a, name: entryName(a) }))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const manifest = manifestJson({
    conversation,
    turns,
    eventCollectionId: parts > 1 ? conversation.id : null,
  });
  // Each attachment is read when the zip writer reaches it and only its packed body is kept.
  const entries: ZipEntry[] = [
    { name: MANIFEST_NAME, read: () => Promise.resolve(Buffer.from(manifest, 'utf8')) },
    ...files.map((f) => ({ name: f.name, read: () => readAttachment(f.a, where) })),
  ];
  const zip = await zipPieces(entries, where);

  const times = turns.flatMap((r) => (r.turn.timestamp !== null ? [r.turn.timestamp] : []));
  const beginDate = extreme(times, -1);
  const endDate = extreme(times, 1);
  const summary = summaryText(conversation, turns, {
    ...at,
    beginDate,
    endDate,
    files: files.length,
    attachmentCount,
  });
  const bytes = rsmfMessage({
    conversation,
    part,
    parts,
    generator: input.generator,
    eventCount: turns.length,
    beginDate,
    endDate,
    attachmentCount,
    summary,
    zip,
  });
  return {
    fileName,
    bytes,
    eventCount: turns.length,
    beginDate,
    endDate,
    attachmentIds: files.map((f) => f.a.id).sort(),
  };
}

/** The text part of an .rsmf: what it holds, for someone who opens it without an RSMF viewer. */
function summaryText(
  c: Conversation,
  turns: readonly ResolvedTurn[],
  s: {
    readonly part: number;
    readonly parts: number;
    readonly first: number;
    readonly beginDate: string | null;
    readonly endDate: string | null;
    readonly files: number;
    readonly attachmentCount: number;
  },
): string {
  const missing = turns.reduce((n, r) => n + r.missing.length, 0);
  const lines = [
    `${c.label}: ${c.title}`,
    `Conversation id: ${c.id}`,
    ...(s.parts > 1
      ? [`Part ${s.part} of ${s.parts}: messages ${s.first} to ${s.first + turns.length - 1}`]
      : []),
    ...c.facts.map(([name, value]) => `${name}: ${value}`),
    `Custodian: ${c.custodian?.display ?? `none (${c.custodianNote ?? 'unknown'})`}`,
    `Participants: ${c.participants.map((p) => p.display).join('; ')}`,
    `Messages in this file: ${turns.length}`,
    `First and last message: ${s.beginDate ?? 'no valid time'} to ${s.endDate ?? 'no valid time'}`,
    `Files in rsmf.zip: ${s.files} (${s.attachmentCount} event attachments)`,
    ...(missing > 0 ? [`References not in the archive: ${missing} (named in their messages)`] : []),
  ];
  return [
    ...lines.map(oneLine),
    '',
    `The messages are in the attached rsmf.zip: ${MANIFEST_NAME} (RSMF ${RSMF_VERSION}) and the files they reference.`,
    '',
  ].join('\n');
}

/** The earliest (`sign` -1) or latest (1) instant of RFC 3339 strings, as given; null if none. */
function extreme(times: readonly string[], sign: -1 | 1): string | null {
  let best: string | null = null;
  let bestMs = 0;
  for (const t of times) {
    const ms = Date.parse(t);
    if (best === null || Math.sign(ms - bestMs) === sign) {
      best = t;
      bestMs = ms;
    }
  }
  return best;
}
