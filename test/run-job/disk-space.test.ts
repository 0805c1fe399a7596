/**
 * The free-space floor, decided with an injected reader (a small real filesystem needs root to
 * mount): a run refuses to start below it, stops at a clean checkpoint with `disk_full` when the
 * disk falls below it while collecting (and a rerun with room resumes), and refuses to ship into
 * a local destination that cannot hold the archive.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FreeSpaceReader } from '../../src/disk/free-space.js';
import { runJob } from '../../src/run-job.js';
import { fastClock, harness, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  h = undefined;
});

const GiB = 1024 ** 3;
const options = (x: Harness) => ({
  specPath: x.specPath,
  env: x.env,
  sleep: async () => undefined,
  progress: 'off' as const,
  client: { clock: fastClock },
});

/** Free space by path: the destination folder on device 2, everything else on device 1. */
function reader(free: (path: string, call: number) => number, dest?: string): FreeSpaceReader {
  let call = 0;
  return async (path) => {
    call += 1;
    const onDest = dest !== undefined && resolve(path).startsWith(dest);
    return { free: free(path, call), total: 100 * GiB, device: onDest ? 2 : 1 };
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('the free-space floor', () => {
  it('refuses to start below it, writing nothing; --ignore-disk-space runs anyway', async () => {
    h = await harness({ include: ['directory'] });
    const low = reader(() => GiB - 1);
    await expect(runJob({ ...options(h), freeSpace: low })).rejects.toMatchObject({ code: 'disk_full' });
    expect(await exists(join(h.dir, 'state'))).toBe(false);
    await expect(runJob({ ...options(h), freeSpace: low, minFree: GiB / 2 })).resolves.toMatchObject({
      exitCode: 0,
    });
    const again = await runJob({ ...options(h), freeSpace: reader(() => 0), ignoreDiskSpace: true });
    expect(again.exitCode).toBe(0);
  });

  it('stops at a clean checkpoint with disk_full while collecting; a rerun with room resumes', async () => {
    h = await harness();
    // Room for the start and the preflight boundary, then the disk "fills".
    const filling = reader((_p, call) => (call <= 2 ? 10 * GiB : 0));
    const failure = await runJob({ ...options(h), freeSpace: filling }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'disk_full' });
    const out = join(h.dir, 'out');
    expect((await readdir(out, { recursive: true })).filter((f) => f.endsWith('.zip'))).toEqual([]);
    const custody = (await readFile(join(h.dir, 'state', 'test-job', 'custody.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; data: { status?: string; code?: string } });
    expect(custody.at(-1)).toMatchObject({ event: 'run_end', data: { status: 'failed', code: 'disk_full' } });
    const lock = join(h.dir, 'state', 'test-job', 'lock');
    expect(await exists(lock)).toBe(false);

    const rerun = await runJob({ ...options(h), freeSpace: reader(() => 10 * GiB) });
    expect([rerun.exitCode, rerun.resumed, rerun.archive?.verified]).toEqual([0, true, true]);
  });

  it('refuses to ship into a local destination without room for the archive', async () => {
    h = await harness({ include: ['directory'] });
    const out = resolve(h.dir, 'out');
    const cramped = reader((path) => (resolve(path).startsWith(out) ? 10 : 10 * GiB), out);
    await expect(runJob({ ...options(h), freeSpace: cramped })).rejects.toMatchObject({ code: 'disk_full' });
    expect((await readdir(out, { recursive: true })).filter((f) => f.endsWith('.zip'))).toEqual([]);
  });
});
