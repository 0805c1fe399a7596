/**
 * A staged store of many small families for the family sort's tests: 24 chats whose ids hold what
 * an escaped or byte-ordered key must survive (NUL, SOH, STX, a newline, quotes, a backslash, an
 * astral character, U+E000 and U+FFFF), two files each, five files shared by three chats and
 * recorded under the last of those to reach them (not the first by id), three orphans whose chat is
 * gone, and two files whose chat recorded no reference to them. 82 documents, put in a scrambled
 * journal order.
 */
import type { RecordInput, StagingStore } from '../../../src/store/index.js';

export interface WorldChat {
  readonly id: string;
  /** Ids of the files it references. */
  readonly refs: readonly string[];
}

export interface WorldFile {
  readonly id: string;
  /** The recorded parent (the chat that reached it first), or null. */
  readonly parent: string | null;
}

export interface FamilyWorld {
  readonly chats: readonly WorldChat[];
  readonly files: readonly WorldFile[];
  /** The shared files: recorded under `parent`, first referenced (by id order) by `firstChat`. */
  readonly shared: readonly { readonly id: string; readonly parent: string; readonly firstChat: string }[];
}

const ODD = ['\u0000', '\u0001', '\u0002', '\n', '"', '\\', '😀', '\ue000', '\uffff', 'é', 'Z', 'a'];

const chatId = (i: number): string =>
  `claude_chat_${ODD[i % ODD.length]}${String.fromCharCode(0x61 + ((i * 7) % 24))}`;

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Stages the world into `store` and returns what it holds. */
export async function familyStore(store: StagingStore): Promise<FamilyWorld> {
  const chatDoc = await store.blobs.putBytes('{"chat":{},"messages":[]}');
  const text = await store.blobs.putBytes('plain text\n');
  const chats = Array.from({ length: 24 }, (_, i) => ({ id: chatId(i), refs: [] as string[] }));
  const files: WorldFile[] = [];
  for (const [i, chat] of chats.entries()) {
    for (const k of [0, 1]) {
      const id = `claude_file_${ODD[(i + k) % ODD.length]}${i}-${k}`;
      files.push({ id, parent: chat.id });
      chat.refs.push(id);
    }
  }
  const shared = [];
  for (let s = 0; s < 5; s += 1) {
    const id = `claude_file_shared_${s}`;
    const referencing = [chats[s]!, chats[s + 7]!, chats[s + 13]!];
    for (const c of referencing) c.refs.push(id);
    const ids = referencing.map((c) => c.id).sort(byBytes);
    const parent = ids[ids.length - 1]!;
    files.push({ id, parent });
    shared.push({ id, parent, firstChat: ids[0]! });
  }
  for (let o = 0; o < 3; o += 1) files.push({ id: `claude_file_orphan_${o}`, parent: 'claude_chat_gone' });
  for (let u = 0; u < 2; u += 1) files.push({ id: `claude_file_unreferenced_${u}`, parent: chats[3]!.id });
  const inputs: RecordInput[] = [
    ...chats.map((c, i): RecordInput => ({
      kind: 'chat',
      id: c.id,
      updatedAt: '2026-01-01T00:00:00Z',
      custodian: `u${i % 3}@example.com`,
      refs: c.refs.map((f) => `file:${f}`).sort(),
      files: [{ path: `chats/c${i}.json`, ...chatDoc }],
      source: { endpoint: '/v1/compliance/apps/chats' },
    })),
    ...files.map((f, i): RecordInput => ({
      kind: 'file',
      id: f.id,
      updatedAt: null,
      parent: f.parent,
      files: [{ path: `files/f${i}/notes.txt`, ...text }],
      source: { endpoint: '/v1/compliance/apps/chats/files' },
    })),
  ];
  // A fixed shuffle (every 11th record, round and round): families are scattered in the journal.
  for (let i = 0; i < inputs.length; i += 1) store.putRecord(inputs[(i * 11) % inputs.length]!, 1);
  await store.flush();
  return { chats, files, shared };
}
