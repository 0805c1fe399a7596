/**
 * A file two chats reference is recorded with whichever chat fetched it first (fetch order, which
 * concurrency makes vary). Its family and custodian come from the chats' recorded references
 * instead: the first referencing chat in id order, so two seals of the same content make the same
 * review copy (DOCIDs, load file) whichever chat reached the file first.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { produceReview } from '../../../src/produce/produce-review.js';
import { buildBagPayload, openStore, type StagingStore } from '../../../src/store/index.js';
import { bytesOf } from './store-fixture.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shared-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const chatDoc = (id: string): string =>
  JSON.stringify({
    chat: { id, name: `chat ${id}` },
    messages: [
      {
        id: `${id}-m0`,
        created_at: '2026-01-01T00:00:00Z',
        role: 'user',
        content: [{ type: 'text', text: 'see file' }],
      },
    ],
  });

/** A store where `claude_file_s` is shared by chats a and b, recorded under `firstFetcher`. */
async function store(
  name: string,
  firstFetcher: 'claude_chat_a' | 'claude_chat_b',
  chatA: string | null = 'ann@example.com',
): Promise<StagingStore> {
  const s = await openStore({
    stateDir: join(dir, name),
    jobName: 'job',
    specSha256: 'd'.repeat(64),
    batchMs: 5,
  });
  const custodian = { claude_chat_a: chatA, claude_chat_b: 'bob@example.com' };
  for (const id of ['claude_chat_b', 'claude_chat_a'] as const) {
    const ref = await s.blobs.putBytes(chatDoc(id));
    s.putRecord(
      {
        kind: 'chat',
        id,
        updatedAt: '2026-01-01T00:00:00Z',
        custodian: custodian[id],
        refs: ['file:claude_file_s'],
        files: [{ path: `chats/${id}.json`, ...ref }],
        source: { endpoint: `/v1/compliance/apps/chats/${id}/messages` },
      },
      1,
    );
  }
  const ref = await s.blobs.putBytes('shared bytes');
  s.putRecord(
    {
      kind: 'file',
      id: 'claude_file_s',
      updatedAt: null,
      custodian: custodian[firstFetcher],
      parent: firstFetcher,
      files: [{ path: 'files/claude_file_s/s.txt', ...ref }],
      source: { endpoint: '/v1/compliance/apps/chats/files/claude_file_s/content' },
    },
    1,
  );
  return s;
}

async function loadFile(
  s: StagingStore,
): Promise<{ dat: string; rows: { kind: string; parentDocid: string; docid: string; custodian: string }[] }> {
  const review = await produceReview(s, await buildBagPayload(s), { docidPrefix: 'T', generator: 'test' });
  let dat = '';
  for await (const f of review.bag.payload()) {
    if (f.path === 'review/loadfile.dat') dat = (await bytesOf(f.open())).toString('utf8');
  }
  const rows = [];
  for await (const r of review.items()) rows.push(r);
  return { dat, rows };
}

describe('a file shared by two chats', () => {
  it('takes the family chat’s custodian even when that chat has no user', async () => {
    const viaB = await store('nb', 'claude_chat_b', null);
    const viaA = await store('na', 'claude_chat_a', null);
    const one = await loadFile(viaB);
    const two = await loadFile(viaA);
    expect(one.dat).toBe(two.dat);
    expect(one.rows.find((r) => r.kind === 'file')!.custodian).toBe('');
    await viaB.close();
    await viaA.close();
  });

  it('belongs to the first referencing chat in id order, whichever fetched it first', async () => {
    const viaB = await store('b', 'claude_chat_b');
    const viaA = await store('a', 'claude_chat_a');
    const one = await loadFile(viaB);
    const two = await loadFile(viaA);
    expect(createHash('sha256').update(one.dat).digest('hex')).toBe(
      createHash('sha256').update(two.dat).digest('hex'),
    );
    const file = one.rows.find((r) => r.kind === 'file')!;
    const chatA = one.rows.find((r) => r.kind === 'chat' && r.docid === file.parentDocid);
    expect(chatA).toBeDefined();
    expect(one.rows.filter((r) => r.kind === 'chat').map((r) => r.docid)).toContain(file.parentDocid);
    expect(file.custodian).toBe('ann@example.com');
    await viaB.close();
    await viaA.close();
  });
});
