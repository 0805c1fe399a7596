/**
 * A staging store holding a small, hand-made export (chats with files, a project with documents
 * and lists, a code artifact with a version, a session, directory rows, a setting, and hostile
 * ids and names), for the production stage's own tests. `order` puts the records in a different
 * journal order; the store's content is the same.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buildBagPayload, openStore, type RecordInput, type StagingStore } from '../../../src/store/index.js';
import type { BagPayload } from '../../../src/store/index.js';

export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 7),
]);
export const HOSTILE_NAME = '=HYPERLINK("http://x.example","þ\u0014\r\nclick")';
/** A chat id no plain folder name can hold (NUL, þ, a slash). */
export const HOSTILE_CHAT = 'claude_chat_\u0000þ/x';

const chatDoc = (id: string, texts: string[]): string =>
  JSON.stringify({
    chat: { id, name: `chat ${id}` },
    messages: texts.map((text, i) => ({
      id: `${id}-m${i}`,
      created_at: `2026-01-0${i + 1}T00:00:00Z`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: [{ type: 'text', text }],
    })),
  });

type Spec = Omit<RecordInput, 'files' | 'source'> & {
  readonly files?: readonly (readonly [string, string | Buffer])[];
};

/** The fixture's records (files as path → bytes). */
function specs(): Spec[] {
  const u = (n: number): Spec => ({
    kind: 'user',
    id: `user_${n}`,
    updatedAt: null,
    custodian: `u${n}@example.com`,
    row: {
      aggregate: 'directory/users.jsonl',
      json: JSON.stringify({ id: `user_${n}`, email: `u${n}@example.com` }),
    },
  });
  return [
    {
      kind: 'chat',
      id: 'claude_chat_b',
      updatedAt: '2026-01-02T00:00:00Z',
      custodian: 'ann@example.com',
      originalName: 'B',
      files: [['chats/claude_chat_b.json', chatDoc('claude_chat_b', ['hi', 'hello'])]],
    },
    {
      kind: 'chat',
      id: 'claude_chat_a',
      updatedAt: '2026-01-01T00:00:00Z',
      custodian: null,
      originalName: 'A',
      files: [['chats/claude_chat_a.json', chatDoc('claude_chat_a', ['one'])]],
    },
    {
      kind: 'chat',
      id: HOSTILE_CHAT,
      updatedAt: null,
      custodian: 'eve@example.com',
      originalName: HOSTILE_NAME,
      files: [['chats/hostile.json', chatDoc(HOSTILE_CHAT, ['x'])]],
    },
    {
      kind: 'file',
      id: 'claude_file_2',
      updatedAt: null,
      parent: 'claude_chat_b',
      originalName: HOSTILE_NAME,
      files: [
        ['files/claude_file_2/a.png', PNG],
        ['files/claude_file_2/metadata.json', '{"id":"claude_file_2"}'],
      ],
    },
    {
      kind: 'file',
      id: 'claude_file_1',
      updatedAt: null,
      custodian: 'ann@example.com',
      parent: 'claude_chat_b',
      originalName: 'notes.txt',
      files: [
        ['files/claude_file_1/notes.txt', 'plain text\r\nline two\n'],
        ['files/claude_file_1/metadata.json', '{"id":"claude_file_1"}'],
      ],
    },
    {
      kind: 'file',
      id: 'claude_file_3',
      updatedAt: null,
      parent: 'claude_chat_a',
      originalName: 'x.bin',
      files: [
        ['files/claude_file_3/x.bin', Buffer.from([0x61, 0x00, 0x62])],
        ['files/claude_file_3/metadata.json', '{}'],
      ],
    },
    {
      kind: 'file',
      id: 'claude_file_0',
      updatedAt: null,
      custodian: 'bob@example.com',
      parent: 'claude_chat_gone',
      originalName: 'orphan.txt',
      files: [
        ['files/claude_file_0/orphan.txt', 'orphan'],
        ['files/claude_file_0/metadata.json', '{}'],
      ],
    },
    {
      kind: 'generated_file',
      id: 'claude_gen_file_1',
      updatedAt: null,
      parent: 'claude_chat_b',
      files: [
        ['generated_files/claude_gen_file_1/out.md', '# out\n'],
        ['generated_files/claude_gen_file_1/metadata.json', '{}'],
      ],
    },
    {
      kind: 'chat_artifact',
      id: 'v1',
      updatedAt: null,
      parent: 'claude_chat_b',
      files: [['chat_artifacts/v1.json', '{"content":"x"}\n']],
    },
    {
      kind: 'project',
      id: 'proj_1',
      updatedAt: null,
      custodian: 'ann@example.com',
      files: [
        ['projects/proj_1/project.json', '{"id":"proj_1"}\n'],
        ['projects/proj_1/attachments.jsonl', '{"a":1}\n{"a":2}\n'],
        ['projects/proj_1/collaborators.jsonl', ''],
      ],
    },
    {
      kind: 'project_document',
      id: 'doc_1',
      updatedAt: null,
      parent: 'proj_1',
      files: [
        ['projects/proj_1/documents/doc_1/d.md', 'doc'],
        ['projects/proj_1/documents/doc_1/metadata.json', '{}'],
      ],
    },
    {
      kind: 'file',
      id: 'claude_file_p',
      updatedAt: null,
      parent: 'proj_1',
      files: [
        ['files/claude_file_p/p.txt', 'project file'],
        ['files/claude_file_p/metadata.json', '{}'],
      ],
    },
    {
      kind: 'code_artifact',
      id: 'art_1',
      updatedAt: null,
      custodian: 'ann@example.com',
      files: [['code_artifacts/art_1/artifact.json', '{"id":"art_1"}\n']],
    },
    {
      kind: 'code_artifact_version',
      id: 'art_1/ver_1',
      updatedAt: null,
      parent: 'art_1',
      files: [['code_artifacts/art_1/versions/ver_1/v.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0])]],
    },
    {
      kind: 'session',
      id: 'local/sess_1',
      updatedAt: null,
      custodian: 'ann@example.com',
      files: [
        [
          'sessions/local/sess_1.json',
          JSON.stringify({
            session: { id: 'sess_1', type: 'compliance_local_session' },
            messages: [{ id: 'sess_1-m0', role: 'user', content: [{ type: 'text', text: 's' }] }],
          }),
        ],
      ],
    },
    u(2),
    u(1),
    { kind: 'setting', id: 'org_1', updatedAt: null, files: [['directory/settings/org_1.json', '{"x":1}']] },
  ];
}

export interface Fixture {
  readonly store: StagingStore;
  readonly bag: BagPayload;
  close(): Promise<void>;
}

/** A store holding the fixture, its records put in journal order `order` (default: as listed). */
export async function fixtureStore(order: 'as-listed' | 'reversed' = 'as-listed'): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'produce-'));
  const store = await openStore({ stateDir: dir, jobName: 'job', specSha256: 'a'.repeat(64), batchMs: 5 });
  const list = specs();
  if (order === 'reversed') list.reverse();
  for (const { files, ...rest } of list) {
    const staged = [];
    for (const [path, bytes] of files ?? []) staged.push({ path, ...(await store.blobs.putBytes(bytes)) });
    store.putRecord(
      {
        ...rest,
        ...(files !== undefined ? { files: staged } : {}),
        source: { endpoint: `/v1/${rest.kind}` },
      },
      1,
    );
  }
  const bag = await buildBagPayload(store, ['directory/groups.jsonl', 'directory/users.jsonl']);
  return {
    store,
    bag,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
