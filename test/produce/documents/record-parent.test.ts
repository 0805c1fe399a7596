/**
 * The staged record's parent: written in the journal line, read back on reopen, absent (null)
 * in lines written before parents were recorded, and never part of dedupe: the same bytes
 * reached through a second parent are a duplicate and the first parent stays.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentRecords, openStore, type RecordInput, type StagingStore } from '../../../src/store/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parent-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (): Promise<StagingStore> =>
  openStore({ stateDir: dir, jobName: 'job', specSha256: 'c'.repeat(64), batchMs: 5 });

async function file(store: StagingStore, id: string, parent: string | null): Promise<RecordInput> {
  const ref = await store.blobs.putBytes(`bytes of ${id}`);
  return {
    kind: 'file',
    id,
    updatedAt: '2026-01-01T00:00:00Z',
    parent,
    files: [{ path: `files/${id}/a.txt`, ...ref }],
    source: { endpoint: `/v1/compliance/apps/chats/files/${id}/content` },
  };
}

async function parents(store: StagingStore): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for await (const r of currentRecords(store)) out[r.id] = r.parent;
  return out;
}

describe('a record’s parent', () => {
  it('is journalled, read back on reopen, and the first one stays when a second parent reaches the same bytes', async () => {
    let store = await open();
    expect(store.putRecord(await file(store, 'f1', 'claude_chat_1'), 1)).toBe('new');
    expect(store.putRecord(await file(store, 'f1', 'claude_chat_2'), 1)).toBe('duplicate');
    expect(store.putRecord(await file(store, 'f2', ''), 1)).toBe('new');
    await store.close();
    const journal = (await readFile(join(dir, 'job', 'journal.jsonl'), 'utf8')).split('\n');
    const f2 = journal.find((l) => l.includes('"id":"f2"'))!;
    expect(JSON.parse(f2)).not.toHaveProperty('parent');
    store = await open();
    expect(await parents(store)).toEqual({ f1: 'claude_chat_1', f2: null });
    await store.close();
  });

  it('is null for record lines written before parents were recorded (readable and short forms)', async () => {
    let store = await open();
    const input = await file(store, 'f0', null);
    store.putRecord(input, 1);
    await store.close();
    const sha = input.files![0]!.sha256;
    const lines = [
      {
        type: 'record',
        kind: 'file',
        id: 'f3',
        updatedAt: null,
        hash: sha,
        files: [
          { path: 'files/f3/a.txt', sha256: sha, md5: input.files![0]!.md5, size: input.files![0]!.size },
        ],
        endpoint: '/x',
        pass: 1,
        at: '2026-01-01T00:00:00Z',
      },
      {
        t: 'r',
        k: 'file',
        id: 'f4',
        u: null,
        h: sha,
        f: [['files/f4/a.txt', sha, input.files![0]!.md5, input.files![0]!.size]],
        ep: '/x',
        p: 1,
        at: '2026-01-01T00:00:00Z',
      },
    ];
    await appendFile(join(dir, 'job', 'journal.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    store = await open();
    expect(await parents(store)).toEqual({ f0: null, f3: null, f4: null });
    await store.close();
  });
});
