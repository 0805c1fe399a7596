/** The content-addressed blob store on a real temp folder. */
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/store/blob-store.js';
import { runUnderFileSizeLimit } from './fixtures/size-limited-child.js';

async function store(): Promise<BlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'blob-store-'));
  const blobs = new BlobStore(join(dir, 'blobs'), join(dir, 'tmp'));
  await blobs.init();
  return blobs;
}

describe('BlobStore', () => {
  it('reads a blob of known size up to one byte past it: a blob that grew on disk shows as longer', async () => {
    const blobs = await store();
    const all = async (r: Readable): Promise<Buffer[]> => {
      const chunks: Buffer[] = [];
      for await (const c of r) chunks.push(c as Buffer);
      return chunks;
    };
    const small = await blobs.putBytes('x'.repeat(5_000));
    const chunks = await all(blobs.open(small.sha256, small.size));
    expect(chunks).toHaveLength(1);
    expect(Buffer.concat(chunks).toString()).toBe('x'.repeat(5_000));
    const big = await blobs.putBytes(Buffer.alloc(200_000, 7));
    expect(Buffer.concat(await all(blobs.open(big.sha256, big.size))).length).toBe(200_000);
    // Damage on disk: the file grew. A counting reader sees more than the recorded size.
    await appendFile(blobs.pathOf(small.sha256), 'tail');
    expect(Buffer.concat(await all(blobs.open(small.sha256, small.size))).length).toBe(5_001);
    expect(Buffer.concat(await all(blobs.open(small.sha256))).length).toBe(5_004);
  });

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

  it('gathers a stream of small chunks into few writes: bytes, digests, no temp left, 0600 whatever the umask', async () => {
    for (const umask of [0o000, 0o277]) {
      const blobs = await store();
      // A chat document arrives a message at a time: 5,000 pieces of 31 bytes, past two 64 KiB batches.
      const pieces = Array.from({ length: 5_000 }, (_, i) =>
        Buffer.from(`{"n":${String(i).padStart(8, '0')},"pad":"xxxxxxxx"}`),
      );
      const whole = Buffer.concat(pieces);
      async function* source(): AsyncGenerator<Buffer> {
        yield* pieces;
      }
      const old = process.umask(umask);
      const [fromGenerator, fromReadable, fromBytes] = await Promise.all([
        blobs.putStream(source()),
        blobs.putStream(Readable.from([Buffer.from('readable '), Buffer.from('bytes')])),
        blobs.putBytes('{"a":1}'),
      ]).finally(() => process.umask(old));
      expect(fromGenerator).toEqual({
        sha256: createHash('sha256').update(whole).digest('hex'),
        md5: createHash('md5').update(whole).digest('hex'),
        size: whole.byteLength,
      });
      expect((await readFile(blobs.pathOf(fromGenerator.sha256))).equals(whole)).toBe(true);
      expect(await readFile(blobs.pathOf(fromReadable.sha256), 'utf8')).toBe('readable bytes');
      for (const ref of [fromGenerator, fromReadable, fromBytes]) {
        expect((await stat(blobs.pathOf(ref.sha256))).mode & 0o777).toBe(0o600);
      }
      // The same bytes again land on the same name (renamed over it), still whole.
      expect(await blobs.putStream(source())).toEqual(fromGenerator);
      expect(await blobs.verifyBlob(fromGenerator)).toBe(true);
      expect(await readdir(dirname(dirname(blobs.tempPath())) + '/tmp')).toEqual([]);
    }
  });

  it('a short write on a full file system fails the put, removes the temp file and ends the source', async () => {
    // A real short write: a child process under a file size limit of 2 KiB (ulimit -f) streams
    // 256 KiB; the kernel takes what fits of the first 64 KiB write and refuses the rest.
    const dir = await mkdtemp(join(tmpdir(), 'blob-full-'));
    const stdout = await runUnderFileSizeLimit('blob-short-write.ts', dir);
    const result = JSON.parse(stdout) as {
      put: string;
      pulled: number;
      ended: boolean;
      tmp: string[];
      shards: string[];
    };
    expect(result.put).not.toBe('resolved');
    // The failed write ended the source early (a chat's pagination stops), not after all of it.
    expect(result.pulled).toBeLessThan(256);
    expect(result.ended).toBe(true);
    expect(result.tmp).toEqual([]);
    expect(result.shards).toEqual([]);
  });
});
