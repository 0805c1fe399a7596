/**
 * The zip writer writes exactly the bytes archiver 7.0.1 (zip-stream 6 / compress-commons 6) wrote
 * for the same entries, so archives sealed before and after it are byte-identical. The hashes
 * were taken from archiver's output on these inputs before it was replaced.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sealBag } from '../../src/archive/seal-bag.js';
import { ZipWriter } from '../../src/archive/zip-writer.js';
import { bagInput, collect, noise, sampleFiles } from './fixtures.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function sealed(files: Record<string, Buffer>): Promise<Buffer> {
  const bag = sealBag(bagInput(files));
  const [zip] = await Promise.all([collect(bag.stream), bag.done]);
  return zip;
}

const text = (lines: number, step: number): Buffer =>
  Buffer.from(Array.from({ length: lines }, (_, i) => `line ${i * step} of the chat, with words\n`).join(''));

describe('ZipWriter', () => {
  it('seals the bytes archiver 7 sealed: stored, deflated, empty, Unicode, whole and streamed entries', async () => {
    const sample = await sealed(sampleFiles());
    expect([sha256(sample), sample.length]).toEqual([
      'fc673345387f969f0cbbd5e8a5556d7bcaa5e8c32874acae92e6e4f691c12c12',
      107446,
    ]);
    // Over 1 MiB (streamed, data descriptor), exactly 1 MiB (whole), stored and deflated.
    const large = await sealed({
      ...sampleFiles(),
      'files/big/noise.bin': noise(3 * 1024 * 1024 + 17, 4),
      'files/big/text.txt': text(70_000, 3),
      'files/edge/exactly-1mib.txt': text(1024 * 1024, 5).subarray(0, 1024 * 1024),
      'files/edge/1mib-plus-1.bin': noise(1024 * 1024 + 1, 6),
    });
    expect([sha256(large), large.length]).toEqual([
      'bbf6838be73464197e47c23a9afe0a936476487927a676845ca02eb47012c435',
      4561700,
    ]);
  });

  it('writes a Zip64 end record past 65,535 entries, as archiver 7 did, and zipfile reads every entry', async () => {
    const date = new Date('2026-11-22T10:13:07.000Z');
    const count = 65_536;
    const name = (i: number): string => (i % 1000 === 7 ? `z/ü${i}` : `z/${i}`);
    const zip = new ZipWriter({ level: 1, chunkSize: 256 * 1024, date });
    const chunks: Buffer[] = [];
    for (let i = 0; i < count; i += 1) {
      const body = i % 2 === 1 ? Buffer.from(`x${i}`) : Buffer.alloc(0);
      for await (const chunk of zip.entry(name(i), 'store', body)) chunks.push(chunk);
    }
    for await (const chunk of zip.centralDirectory(Array.from({ length: count }, (_, i) => name(i))))
      chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    expect([sha256(bytes), bytes.length, zip.offset]).toEqual([
      'e71a3838cfb2a39a41af2c27736d448666d2c096ee618cc95c063e9b65c7dcdc',
      6067435,
      6067435,
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'zip64-'));
    try {
      await writeFile(join(dir, 'a.zip'), bytes);
      const script =
        'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(len(z.infolist()), z.read("z/ü7007").decode())';
      const out = execFileSync('python3', ['-c', script, join(dir, 'a.zip')], { encoding: 'utf8' });
      expect(out.trim()).toBe('65536 x7007');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a central directory whose names are not the entries written', async () => {
    const write = async (): Promise<ZipWriter> => {
      const zip = new ZipWriter({ level: 1, chunkSize: 1024, date: new Date('2026-01-01T00:00:00Z') });
      for (const name of ['a.txt', 'b.txt'])
        for await (const _ of zip.entry(name, 'deflate', Buffer.from(name)));
      return zip;
    };
    const drain = async (zip: ZipWriter, names: string[]): Promise<number> => {
      let chunks = 0;
      for await (const _ of zip.centralDirectory(names)) chunks += 1;
      return chunks;
    };
    await expect(write().then((z) => drain(z, ['a.txt']))).rejects.toMatchObject({ code: 'archive_error' });
    await expect(write().then((z) => drain(z, ['a.txt', 'b.txt', 'c.txt']))).rejects.toMatchObject({
      code: 'archive_error',
    });
    await expect(write().then((z) => drain(z, ['a.txt', 'bb.txt']))).rejects.toMatchObject({
      code: 'archive_error',
    });
    expect(await drain(await write(), ['a.txt', 'b.txt'])).toBe(3);
  });
});
