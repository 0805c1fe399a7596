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

export function sessionMessages(seed: number, s: SessionBase, kind: 'local' | 'remote'): SessionMessage[] {
  const out: SessionMessage[] = [];
  for (let i = 0; i < s.messageCount; i++) {
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
      createdAt: s.createdAt + i * 45_000,
      texts,
      unavailable: i === 3,
    });
  }
  return out;
}
