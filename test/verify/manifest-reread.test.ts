/**
 * Payload manifests are not held in memory: verify reads them again from the bag when it checks
 * them, and the bytes read again must hash as they did the first time.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BagSource } from '../../src/verify/bag-source.js';
import { verifyBag } from '../../src/verify/verify-bag.js';
import { openLocalZip } from '../../src/verify/zip-source.js';
import { buildArchive } from './bag-builder.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The real zip source, but the payload manifest reads differently after its first read. */
function changingManifest(source: BagSource): { source: BagSource; opens: () => number } {
  let opens = 0;
  return {
    opens: () => opens,
    source: {
      ...source,
      open: async (file) => {
        const stream = await source.open(file);
        if (file.path !== 'manifest-sha256.txt') return stream;
        opens += 1;
        if (opens === 1) return stream;
        const bytes = await bytesOf(stream);
        bytes[0] = bytes[0] === 0x30 ? 0x31 : 0x30; // another digest for the first file
        return Readable.from([bytes]);
      },
    },
  };
}

describe('payload manifests read again when checked', () => {
  it('a valid bag: the manifest is read once to hash and twice to check, and passes', async () => {
    const zip = (await buildArchive(await mkdtemp(join(tmpdir(), 'reread-')))).location;
    const real = await openLocalZip(zip);
    let opens = 0;
    const counting: BagSource = {
      ...real,
      open: async (file) => {
        if (file.path === 'manifest-sha256.txt') opens += 1;
        return real.open(file);
      },
    };
    const check = await verifyBag(counting);
    await real.close();
    expect(check.problems).toEqual([]);
    expect(opens).toBe(3);
  });

  it('a manifest that reads differently the second time is named, with the mismatch it shows', async () => {
    const zip = (await buildArchive(await mkdtemp(join(tmpdir(), 'reread-')))).location;
    const real = await openLocalZip(zip);
    const { source, opens } = changingManifest(real);
    const check = await verifyBag(source);
    await real.close();
    expect(opens()).toBe(3);
    const codes = check.problems.map((p) => `${p.code} ${p.path ?? ''}`);
    expect(codes.filter((c) => c.startsWith('unreadable'))).toEqual(['unreadable manifest-sha256.txt']);
    expect(codes.some((c) => c.startsWith('hash_mismatch data/'))).toBe(true);
  });
});
