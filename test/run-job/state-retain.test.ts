/**
 * `state.retain` after a verified ship: `index` (the default) removes the content and keeps the
 * journal, so a rerun says already shipped and ships nothing twice; `none` leaves only
 * `shipped.json`; a finish that did not complete removes nothing.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runJob } from '../../src/run-job.js';
import { readStateImage } from '../../src/store/state-image.js';
import { fastClock, harness, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  h = undefined;
});

const options = (x: Harness) => ({
  specPath: x.specPath,
  env: x.env,
  sleep: async () => undefined,
  progress: 'off' as const,
  client: { clock: fastClock },
  minFree: 0,
});
const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );
const zips = async (x: Harness): Promise<string[]> =>
  (await readdir(join(x.dir, 'out'), { recursive: true })).filter((f) => f.endsWith('.zip'));
const events = async (path: string): Promise<string[]> =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { event: string }).event);

describe('state.retain', () => {
  it('index (default): content removed after the verified ship; a rerun ships nothing twice', async () => {
    h = await harness({ include: ['directory', 'projects'] });
    const state = join(h.dir, 'state', 'test-job');
    const first = await runJob(options(h));
    expect([first.exitCode, first.archive?.verified]).toEqual([0, true]);
    expect(await exists(join(state, 'blobs'))).toBe(false);
    for (const kept of ['journal.jsonl', 'state.json', 'custody.jsonl', 'requests.jsonl'])
      expect(await exists(join(state, kept))).toBe(true);
    expect((await events(join(state, 'custody.jsonl'))).slice(-2)).toEqual(['state_retained', 'run_end']);
    // The state image written as the run closed covers the whole journal (tmp/ was gone by then).
    const image = await readStateImage(join(state, 'state.image'), join(state, 'journal.jsonl'));
    expect(image.status === 'used' && image.image.upTo).toBe((await stat(join(state, 'journal.jsonl'))).size);
    expect((await readdir(state)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    // The copy beside the archive was written before: it ends at verify.
    const [zip] = await zips(h);
    const beside = join(h.dir, 'out', zip!.replace(/[^/]+\.zip$/, 'custody.jsonl'));
    expect((await events(beside)).at(-1)).toBe('verify');

    const rerun = await runJob(options(h));
    expect([rerun.exitCode, rerun.archive?.zipSha256]).toEqual([0, first.archive?.zipSha256]);
    expect(await zips(h)).toEqual([zip]);
  });

  it('none: only shipped.json stays, the lock is released, a rerun says already shipped', async () => {
    h = await harness({ include: ['directory'], extra: 'state:\n  retain: none\n' });
    const state = join(h.dir, 'state', 'test-job');
    const first = await runJob(options(h));
    expect(first.exitCode).toBe(0);
    expect(await readdir(state)).toEqual(['shipped.json']);
    const before = (await h.stats()).total;
    const rerun = await runJob(options(h));
    expect([rerun.exitCode, rerun.archive?.zipSha256]).toEqual([0, first.archive?.zipSha256]);
    expect((await h.stats()).total).toBe(before);
    expect((await zips(h)).length).toBe(1);
  });

  it('an unfinished finish removes nothing', async () => {
    h = await harness({ include: ['directory'] });
    const state = join(h.dir, 'state', 'test-job');
    const killed = runJob({
      ...options(h),
      afterFinishStep: (step) => {
        if (step === 'custody') throw new Error('killed');
      },
    });
    await expect(killed).rejects.toThrow('killed');
    expect(await exists(join(state, 'blobs'))).toBe(true);
  });
});
