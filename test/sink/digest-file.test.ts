/**
 * `digestFile` (the local read-back's hash, one reused buffer) gives what hashing the whole file
 * at once gives: size, SHA-256 and S3-style CRC32, for files empty, under, at and past its 1 MiB
 * read, and a clear error for a file that is not there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32Base64, digestFile } from '../../src/sink/hash-stream.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'digest-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('digestFile', () => {
  it('matches a whole-buffer hash at every size around its read', async () => {
    const MIB = 1024 * 1024;
    for (const size of [0, 1, MIB - 1, MIB, MIB + 1, 2 * MIB + 12_345]) {
      const bytes = randomBytes(size);
      const path = join(dir, `f${size}`);
      await writeFile(path, bytes);
      expect(await digestFile(path), `${size} bytes`).toEqual({
        bytes: size,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        crc32: crc32Base64(crc32(bytes)),
      });
    }
  });

  it('rejects with the path when the file is missing', async () => {
    await expect(digestFile(join(dir, 'missing'))).rejects.toThrow(/ENOENT.*missing/u);
  });
});
