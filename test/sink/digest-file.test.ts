/**
 * `digestFile` (the local read-back's hash, one reused buffer) gives what hashing the whole file
 * at once gives: size, SHA-256 and S3-style CRC32, for files empty, under, at and past its 1 MiB
 * read, and a clear error for a file that is not there. At a local destination (a shared disk) a
 * FIFO or a link where the archive or its sidecar should be is refused at once, never waited on.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32Base64, digestFile } from '../../src/sink/hash-stream.js';
import { LocalSink } from '../../src/sink/local-sink.js';

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

  it('refuses a FIFO or a symbolic link at once, never waiting on or following it', async () => {
    const fifo = join(dir, 'fifo.zip');
    execFileSync('mkfifo', [fifo]);
    await expect(digestFile(fifo)).rejects.toThrow(`${fifo} is not a regular file`);
    const target = join(dir, 'elsewhere.zip');
    await writeFile(target, 'bytes');
    const link = join(dir, 'link.zip');
    await symlink(target, link);
    await expect(digestFile(link)).rejects.toThrow(`${link} is a symbolic link, not the archive file`);
  });
});

describe('a local destination holding no regular file where the archive should be', () => {
  const ref = { name: 'job', runId: '20261128T000000Z' };

  it('refuses to adopt it and fails its read-back, naming it (a FIFO is never waited on)', async () => {
    const root = join(dir, 'dest');
    const sink = new LocalSink(root);
    const runDir = join(root, 'job', ref.runId);
    await mkdir(runDir, { recursive: true });
    const zip = join(runDir, `job-${ref.runId}.zip`);
    execFileSync('mkfifo', [zip]);
    await expect(sink.digestStored(ref)).rejects.toMatchObject({
      code: 'destination_exists',
      message: expect.stringContaining(`${zip} is there but cannot be read as an archive`),
    });
    const written = {
      location: zip,
      sidecarLocation: `${zip}.sha256`,
      bytes: 5,
      sha256: '0'.repeat(64),
      crc32: 'AAAAAA==',
    };
    await expect(sink.readBack(ref, written)).rejects.toMatchObject({
      code: 'destination_unreachable',
      message: expect.stringContaining(`read-back of ${zip}: ${zip} is not a regular file`),
    });
    // A regular zip whose sidecar is a FIFO: a read-back problem, not a wait.
    await rm(zip);
    await writeFile(zip, 'bytes');
    execFileSync('mkfifo', [`${zip}.sha256`]);
    const read = await sink.readBack(ref, {
      ...written,
      sha256: createHash('sha256').update('bytes').digest('hex'),
    });
    expect([read.ok, read.problems]).toEqual([false, [`sidecar ${zip}.sha256 is not a regular file`]]);
  });
});
