/** The real `statfs` reader, on the real temp folder and on a path not created yet. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statfsFree } from '../../src/disk/free-space.js';

describe('statfsFree', () => {
  it('measures the temp folder, and a missing path by its nearest existing parent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'free-space-'));
    try {
      const here = await statfsFree(dir);
      expect(here.total).toBeGreaterThan(0);
      expect(here.free).toBeGreaterThanOrEqual(0);
      expect(here.free).toBeLessThanOrEqual(here.total);
      expect(Number.isSafeInteger(here.free)).toBe(true);
      const missing = await statfsFree(join(dir, 'not', 'yet', 'made'));
      expect([missing.device, missing.total]).toEqual([here.device, here.total]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
