import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlockReader } from '../../src/verify/block-reader.js';
import { collect, noise } from '../archive/fixtures.js';

function reader(data: Buffer, blockSize: number): { blocks: BlockReader; fetches: [number, number][] } {
  const fetches: [number, number][] = [];
  const blocks = new BlockReader(data.length, blockSize, async (start, end) => {
    fetches.push([start, end]);
    return Buffer.from(data.subarray(start, end));
  });
  return { blocks, fetches };
}

describe('BlockReader', () => {
  const data = noise(1000_003, 11);
  const sha = createHash('sha256').update(data).digest('hex');

  it('copies ranges across blocks exactly into a buffer at an offset, and refuses one past the end', async () => {
    const { blocks } = reader(data, 4096);
    for (const [s, e] of [
      [0, 46],
      [4090, 4200],
      [12_345, 500_000],
      [999_000, 1000_003],
    ] as const) {
      const target = Buffer.alloc(e - s + 7, 0xee);
      await blocks.copy(target, 7, e - s, s);
      expect(target.subarray(7).equals(data.subarray(s, e))).toBe(true);
      expect(target.subarray(0, 7).equals(Buffer.alloc(7, 0xee))).toBe(true);
    }
    await expect(blocks.copy(Buffer.alloc(10), 0, 10, 1000_000)).rejects.toThrow(/outside/u);
  });

  it('serves ranges across blocks exactly', async () => {
    const { blocks } = reader(data, 4096);
    for (const [s, e] of [
      [0, 10],
      [4090, 4200],
      [999_000, 1000_003],
      [12_345, 500_000],
    ] as const) {
      expect((await collect(blocks.stream(s, e))).equals(data.subarray(s, e))).toBe(true);
    }
  });

  it('hashes the whole object reading it about once: tail first, then front to back', async () => {
    const { blocks, fetches } = reader(data, 65_536);
    await collect(blocks.stream(990_000, 1000_003)); // central directory first, as yauzl does
    await collect(blocks.stream(0, 990_000)); // then the entries in order
    expect(await blocks.sha256()).toBe(sha);
    const fetched = fetches.reduce((s, [a, b]) => s + b - a, 0);
    expect(fetched).toBeLessThanOrEqual(data.length + 2 * 65_536);
  });

  it('still hashes correctly after jumping around', async () => {
    const { blocks } = reader(data, 8192);
    await collect(blocks.stream(500_000, 600_000));
    await collect(blocks.stream(10, 20));
    await collect(blocks.stream(900_000, 900_100));
    expect(await blocks.sha256()).toBe(sha);
  });

  it('fails on a short read instead of hashing a hole', async () => {
    const blocks = new BlockReader(100, 64, async (start, end) => Buffer.alloc(Math.max(0, end - start - 1)));
    await expect(collect(blocks.stream(0, 100))).rejects.toThrow(/expected/u);
  });
});
