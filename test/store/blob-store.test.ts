/** The content-addressed blob store on a real temp folder. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/store/blob-store.js';

async function store(): Promise<BlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'blob-store-'));
  const blobs = new BlobStore(join(dir, 'blobs'), join(dir, 'tmp'));
  await blobs.init();
  return blobs;
}

describe('BlobStore', () => {
  it('writes into a shard folder made once, and makes it again when it went away since', async () => {
    const blobs = await store();
    const first = await blobs.putBytes('{"a":1}');
    const shard = dirname(blobs.pathOf(first.sha256));
    expect((await stat(shard)).mode & 0o777).toBe(0o700);
    // Retention removed the blobs; a later write to the same shard must still land.
    await rm(shard, { recursive: true });
    const again = await blobs.putBytes('{"a":1}');
    expect(again).toEqual(first);
    expect(await readFile(blobs.pathOf(first.sha256), 'utf8')).toBe('{"a":1}');
    expect(await blobs.verifyBlob(first)).toBe(true);
  });
});
