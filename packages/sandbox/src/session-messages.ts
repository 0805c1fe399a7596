/** Session transcripts, regenerated on demand from (seed, session id, index) like chat messages. */
import { prose } from './content.js';
import type { SessionBase } from './model.js';
import { Rng, idFromUuid } from './random.js';

export interface SessionMessage {
  id: string;
  role: 'user' | 'assistant';
  createdAt: number;
  texts: { kind: 'text' | 'tool_use' | 'tool_result'; text: string }[];
  unavailable: boolean;
}

const SPACING_MS = 45_000;

/** Every message of the session, generated and appended (visible or not yet: filter on createdAt). */
export function sessionMessages(seed: number, s: SessionBase, kind: 'local' | 'remote'): SessionMessage[] {
  const out: SessionMessage[] = [];
  for (let i = 0; i < s.messageCount + s.appendedAt.length; i++) {
    const rng = new Rng(seed, `${kind}-session-msg`, s.id, i);
    const role = i % 2 === 0 ? 'user' : 'assistant';
    const texts: SessionMessage['texts'] = [{ kind: 'text', text: prose(rng, rng.int(20, 300)) }];
    if (role === 'assistant' && rng.chance(0.4)) {
      texts.push({ kind: 'tool_use', text: JSON.stringify({ command: prose(rng, 30) }) });
      texts.push({ kind: 'tool_result', text: prose(rng, rng.chance(0.2) ? 20_000 : 200) });
    }
    out.push({
      id: idFromUuid(kind === 'local' ? 'clsm_' : 'csev_', rng.uuid()),
      role,
      createdAt: i < s.messageCount ? s.createdAt + i * SPACING_MS : (s.appendedAt[i - s.messageCount] ?? 0),
      texts,
      unavailable: i === 3,
    });
  }
  return out;
}

/** Time of the newest message visible at `now` (the session's creation when none is): its `updated_at`. */
export function sessionUpdatedAt(s: SessionBase, now: number): number {
  let last = s.createdAt;
  if (s.messageCount > 0 && now >= s.createdAt) {
    const visible = Math.min(s.messageCount - 1, Math.floor((now - s.createdAt) / SPACING_MS));
    last = s.createdAt + visible * SPACING_MS;
  }
  for (const t of s.appendedAt) if (t <= now && t > last) last = t;
  return last;
}

/** Time of the session's newest message, visible or not (a live message is added after it). */
export function lastSessionMessageAt(s: SessionBase): number {
  return sessionUpdatedAt(s, Infinity);
}
