import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { RecordInput, StagingStore } from '../../src/store/index.js';

const SPEC = 'b'.repeat(64);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-notices-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (): Promise<StagingStore> =>
  openStore({ stateDir: dir, jobName: 'job', specSha256: SPEC, batchMs: 5 });

async function file(store: StagingStore, id: string, body: string, signals?: string) {
  const ref = await store.blobs.putBytes(body);
  const input: RecordInput = {
    kind: 'file',
    id,
    updatedAt: '2026-01-01T00:00:00Z',
    createdAt: '2026-01-01T00:00:00Z',
    files: [{ path: `files/${id}/x.txt`, ...ref }],
    source: { endpoint: `/v1/compliance/apps/chats/files/${id}/content` },
    ...(signals !== undefined ? { signals } : {}),
  };
  return store.putRecord(input, 1);
}

const notice = (store: StagingStore, id: string): void =>
  store.recordException(
    { kind: 'file', id, reason: 'served_copy_differs', retryable: false, detail: 'listed 1 byte' },
    1,
  );

describe('notices about archived items', () => {
  it('survive a duplicate put and a reopen, and clear when different bytes are stored', async () => {
    let store = await open();
    expect(await file(store, 'f1', 'served copy')).toBe('new');
    notice(store, 'f1');
    expect(await file(store, 'f1', 'served copy')).toBe('duplicate');
    expect(store.exceptions().map((e) => [e.id, e.reason])).toEqual([['f1', 'served_copy_differs']]);
    await store.close();

    store = await open();
    expect(store.exceptions().map((e) => [e.id, e.reason])).toEqual([['f1', 'served_copy_differs']]);
    expect(await file(store, 'f1', 'the original')).toBe('version');
    expect(store.exceptions()).toEqual([]);
    await store.close();
  });

  it('a gap (not a notice) is still cleared by a duplicate put', async () => {
    const store = await open();
    await file(store, 'f2', 'bytes');
    store.recordException(
      { kind: 'file', id: 'f2', reason: 'checksum_mismatch', retryable: true, detail: 'x' },
      1,
    );
    expect(await file(store, 'f2', 'bytes')).toBe('duplicate');
    expect(store.exceptions()).toEqual([]);
    await store.close();
  });
});

describe('listing signals', () => {
  it('a different signal digest with the same bytes and updated_at is a new version; the digest survives a reopen', async () => {
    let store = await open();
    expect(await file(store, 'f3', 'bytes', 'sig-a')).toBe('new');
    expect(await file(store, 'f3', 'bytes', 'sig-a')).toBe('duplicate');
    expect(await file(store, 'f3', 'bytes', 'sig-b')).toBe('version');
    expect(store.status('file', 'f3').signals).toBe('sig-b');
    await store.close();
    store = await open();
    expect(store.status('file', 'f3').signals).toBe('sig-b');
    expect(await file(store, 'f3', 'bytes', 'sig-b')).toBe('duplicate');
    await store.close();
  });
});

describe('listing gaps', () => {
  it('are not cleared by storing an item a server lists under the gap id, only explicitly', async () => {
    let store = await open();
    store.recordException(
      { kind: 'file', id: 'listing:chats:p1:org', reason: 'pagination_loop', retryable: false, detail: 'x' },
      1,
    );
    expect(await file(store, 'listing:chats:p1:org', 'forged')).toBe('new');
    expect(store.exceptions().map((e) => e.id)).toEqual(['listing:chats:p1:org']);
    await store.close();
    store = await open();
    expect(store.exceptions().map((e) => e.id)).toEqual(['listing:chats:p1:org']);
    store.clearException('file', 'listing:chats:p1:org');
    expect(store.exceptions()).toEqual([]);
    await store.close();
  });
});
