/**
 * The seal is pulled by its reader: a stalled destination stops it, and what it holds for the
 * reader stays a chunk or two whatever the bag's size. (archiver, used before, wrote stored files
 * and the whole central directory without waiting, a few bytes a write: at 10,000 chats ~250,000
 * Buffers queued near the heap cap.)
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { BagInput, PayloadFile } from '../../src/archive/bag-input.js';
import { sealBag } from '../../src/archive/seal-bag.js';
import { bagInput, collect, noise, payloadFile } from './fixtures.js';

const FILES = 3000;
const FILE_BYTES = 2000;
const OUTPUT_CHUNK = 64 * 1024;

/**
 * FILES small files, counting how many were opened: every other one random bytes (stored), the
 * others base64 text (deflated to ~75%), so each takes at least ~1,500 bytes of zip.
 */
function countedBag(): { input: BagInput; opened: () => number } {
  let opened = 0;
  const files: PayloadFile[] = [];
  for (let i = 0; i < FILES; i += 1) {
    const bytes =
      i % 2 === 0
        ? noise(FILE_BYTES, i + 1)
        : Buffer.from(
            noise(FILE_BYTES, i + 1)
              .toString('base64')
              .slice(0, FILE_BYTES),
          );
    const file = payloadFile(`chats/c${String(i).padStart(5, '0')}.${i % 2 === 0 ? 'bin' : 'json'}`, bytes);
    files.push({
      ...file,
      open: () => {
        opened += 1;
        return file.open();
      },
    });
  }
  const input: BagInput = {
    ...bagInput({}),
    payload: async function* () {
      yield* files;
    },
  };
  return { input, opened: () => opened };
}

/** Resolves once `count()` has not moved for a few turns of the event loop with timers. */
async function settled(count: () => number): Promise<number> {
  let quiet = 0;
  let last = count();
  while (quiet < 5) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = count();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
  return last;
}

describe('sealBag backpressure', () => {
  it('stops when its reader stalls: only the read-ahead of files is opened, not the bag', async () => {
    const { input, opened } = countedBag();
    const sealed = sealBag(input);
    let release: (() => void) | undefined;
    const chunks: Buffer[] = [];
    const stalling = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        // Hold the first chunk, as a destination that stopped accepting bytes would.
        if (chunks.length === 1) release = callback;
        else callback();
      },
    });
    const shipping = pipeline(sealed.stream, stalling);
    const openedWhileStalled = await settled(opened);
    // The entry read-ahead (16) and the one being written, plus what fits in the four 64 KiB
    // chunks that can be in flight (the writer's two, the stream's, the one being assembled) at
    // >= 1,500 bytes a file: 17 + 4 × 44 = 193. archiver opened all 3,000 here.
    expect(openedWhileStalled).toBeLessThanOrEqual(200);
    expect(sealed.stream.readableLength).toBeLessThanOrEqual(2 * OUTPUT_CHUNK);

    release?.();
    await shipping;
    const result = await sealed.done;
    expect(opened()).toBe(FILES);
    const again = sealBag(countedBag().input);
    const [expected] = await Promise.all([collect(again.stream), again.done]);
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
    expect(result.zipBytes).toBe(expected.length);
  });

  it('hands a slow reader chunks of at least 64 KiB and holds at most two of them', async () => {
    const { input } = countedBag();
    const sealed = sealBag(input);
    const sizes: number[] = [];
    let heldMost = 0;
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        sizes.push(chunk.length);
        heldMost = Math.max(heldMost, sealed.stream.readableLength);
        setImmediate(callback);
      },
    });
    await pipeline(sealed.stream, slow);
    const result = await sealed.done;
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(result.zipBytes);
    // Every chunk but the last is whole: headers and small files are joined, not sent one by one.
    expect(sizes.slice(0, -1).filter((s) => s < OUTPUT_CHUNK)).toEqual([]);
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(result.zipBytes / OUTPUT_CHUNK));
    expect(heldMost).toBeLessThanOrEqual(2 * OUTPUT_CHUNK);
  });
});
