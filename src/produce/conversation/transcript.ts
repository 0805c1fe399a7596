/**
 * The plain UTF-8 transcript of a whole conversation (for `data/review/text/`, full-text search):
 * a header with what the conversation is, then each message with its time, speaker, text and
 * attachments by name. Control characters other than tab and newline would garble a reader's
 * view: they become U+FFFD, and every line break is a single LF.
 */
import { oneLine, type Conversation, type Person } from './conversation-model.js';
import { displayName, type ResolvedTurn } from './resolve-attachments.js';

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/gu;
const RULE = '='.repeat(72);

export function transcriptText(c: Conversation, turns: readonly ResolvedTurn[]): string {
  const people = new Map(c.participants.map((p) => [p.id, p]));
  const lines: string[] = [
    oneLine(`${c.label}: ${c.title}`),
    ...c.facts.map(([name, value]) => oneLine(`${name}: ${value}`)),
    oneLine(
      `Custodian: ${c.custodian !== null ? personLabel(c.custodian) : `none (${c.custodianNote ?? 'unknown'})`}`,
    ),
    oneLine(`Participants: ${c.participants.map(personLabel).join('; ')}`),
    `Deleted by its user: ${c.deleted ? 'yes' : 'no'}`,
    `Messages: ${turns.length}`,
    RULE,
  ];
  for (const r of turns) {
    const t = r.turn;
    const when = t.timestamp ?? `${t.rawTimestamp ?? 'no time'} (not a valid timestamp)`;
    const speaker = people.get(t.speaker);
    lines.push('', oneLine(`[${when}] ${speaker !== undefined ? speaker.display : t.speaker}:`), r.body);
    // Missing references are named in the body already (resolve-attachments.ts).
    if (r.present.length > 0) {
      const names = r.present.map((a) => `${displayName(a)} (${a.kind} ${a.id})`).join('; ');
      lines.push(oneLine(`Attachments: ${names}`));
    }
  }
  return `${clean(lines.join('\n'))}\n`;
}

function personLabel(p: Person): string {
  return p.accountId !== null && p.accountId !== p.display ? `${p.display} (${p.accountId})` : p.display;
}

function clean(text: string): string {
  return text.replace(/\r\n?/gu, '\n').replace(CONTROLS, '\uFFFD');
}
