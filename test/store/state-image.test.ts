/**
 * The state image: opening from it and the journal lines after it gives the same state as
 * replaying the whole journal (after a clean close, and after a SIGKILL mid-run with images
 * written in the background); a damaged, foreign or lying image is ignored with its cause and the
 * whole journal replayed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type StagingStore } from '../../src/store/index.js';
import { readStateImage, writeStateImage } from '../../src/store/state-image.js';
import { chatInput, dumpStore, HISTORY_SPEC, historyStep } from './fixtures/store-history.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'state-image-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (stateDir: string, spec = HISTORY_SPEC, force = false): Promise<StagingStore> =>
  openStore({ stateDir, jobName: 'job', specSha256: spec, batchMs: 2, force });

const imagePath = (stateDir: string): string => join(stateDir, 'job', 'state.image');

async function played(steps: number): Promise<void> {
  const store = await open(dir);
  for (let i = 0; i < steps; i += 1) historyStep(store, i);
  await store.close();
}

/** The state opened from `stateDir` twice: as it is, and in a copy without its image. */
async function bothWays(stateDir: string, steps: number) {
  const copy = await mkdtemp(join(tmpdir(), 'state-image-full-'));
  try {
    await cp(join(stateDir, 'job'), join(copy, 'job'), {
      recursive: true,
      filter: (p) => !p.endsWith('/state.image'),
    });
    const fromImage = await open(stateDir);
    const full = await open(copy);
    const result = {
      image: fromImage.image,
      replayed: fromImage.replayedLines,
      fullReplayed: full.replayedLines,
      fromImage: dumpStore(fromImage, steps),
      full: dumpStore(full, steps),
    };
    await fromImage.close();
    await full.close();
    return result;
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

describe('state image', () => {
  it('is written when the store closes (0600 under umask 000 and 277) and opening from it gives the state a full replay gives', async () => {
    for (const umask of [0o277, 0o000]) {
      await rm(join(dir, 'job'), { recursive: true, force: true });
      const previous = process.umask(umask);
      try {
        await played(60);
      } finally {
        process.umask(previous);
      }
      expect((await stat(imagePath(dir))).mode & 0o777).toBe(0o600);
    }
    const r = await bothWays(dir, 60);
    expect(r.image.status).toBe('used');
    expect(r.replayed).toBe(0);
    expect(r.fullReplayed).toBeGreaterThan(200);
    expect(r.fromImage).toEqual(r.full);
    // The history reached every table.
    const full = r.full as {
      exceptions: unknown[];
      drift: unknown[];
      base: unknown[];
      stats: Record<string, number>;
    };
    expect(full.exceptions.length).toBeGreaterThan(3);
    expect(full.drift.length).toBeGreaterThan(3);
    expect(full.base).toHaveLength(6);
    expect(full.stats.versions).toBeGreaterThan(0);
    expect(full.stats.excluded).toBeGreaterThan(0);
  });

  it('after lines appended past the image, replays only those', async () => {
    await played(40);
    const store = await open(dir);
    for (let i = 40; i < 50; i += 1) historyStep(store, i);
    await store.flush();
    // Killed here in effect: the image still covers the first 40 steps only.
    const copy = await mkdtemp(join(tmpdir(), 'state-image-kill-'));
    try {
      await cp(join(dir, 'job'), join(copy, 'job'), { recursive: true, filter: (p) => !p.endsWith('/lock') });
      await store.close();
      const r = await bothWays(copy, 50);
      expect(r.image.status).toBe('used');
      expect(r.replayed).toBeGreaterThan(20);
      expect(r.replayed).toBeLessThan(r.fullReplayed / 2);
      expect(r.fromImage).toEqual(r.full);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('after a SIGKILL with images written in the background, resumes to the state a full replay gives', async () => {
    const script = new URL('./fixtures/image-writer.ts', import.meta.url).pathname;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 100));
      child.on('exit', (code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`exit ${code}`)),
      );
    });
    const journal = await readFile(join(dir, 'job', 'journal.jsonl'), 'utf8');
    const steps = journal.split('\n').filter((l) => l.includes('"type":"checkpoint"')).length;
    const r = await bothWays(dir, steps + 2);
    expect(r.image.status).toBe('used');
    expect(r.replayed).toBeLessThan(r.fullReplayed);
    expect(r.fromImage).toEqual(r.full);
  });

  it('a damaged image (a byte changed, cut short, not an image) is ignored with its cause', async () => {
    await played(30);
    const good = await readFile(imagePath(dir));
    const flipped = Buffer.from(good);
    flipped.writeUInt8(flipped.readUInt8(good.byteLength >> 1) ^ 0x40, good.byteLength >> 1);
    const cases: [Buffer, string][] = [
      [flipped, 'checksum'],
      [good.subarray(0, good.byteLength - 100), 'checksum'],
      [Buffer.from('{"format":1}'), 'not a state image'],
    ];
    for (const [bytes, cause] of cases) {
      await writeFile(imagePath(dir), bytes);
      const r = await bothWays(dir, 30);
      expect(r.image).toMatchObject({ status: 'ignored' });
      expect((r.image as { cause: string }).cause).toContain(cause);
      expect(r.replayed).toBe(r.fullReplayed);
      expect(r.fromImage).toEqual(r.full);
    }
  });

  it('an image of another journal, or of more journal than there is, is ignored', async () => {
    await played(30);
    const other = await mkdtemp(join(tmpdir(), 'state-image-other-'));
    try {
      const store = await open(other);
      for (let i = 0; i < 45; i += 1) historyStep(store, i + 1000);
      await store.close();
      await cp(imagePath(other), imagePath(dir));
      const foreign = await bothWays(dir, 30);
      expect((foreign.image as { cause?: string }).cause).toMatch(/does not hold the \d+ bytes it covers/);
      expect(foreign.fromImage).toEqual(foreign.full);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    // The journal cut back to an earlier line (a restored backup): the image covers bytes it lacks.
    await rm(imagePath(dir), { force: true });
    const store = await open(dir);
    historyStep(store, 30);
    await store.close();
    const journalPath = join(dir, 'job', 'journal.jsonl');
    const text = await readFile(journalPath, 'utf8');
    await truncate(
      journalPath,
      Buffer.byteLength(text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1)),
    );
    const short = await bothWays(dir, 31);
    expect((short.image as { cause?: string }).cause).toMatch(/does not hold/);
    expect(short.fromImage).toEqual(short.full);
  });

  it('an image with a sound checksum but tables or entries that do not fit is set aside, and the journal replayed', async () => {
    await played(30);
    const journalPath = join(dir, 'job', 'journal.jsonl');
    const read = await readStateImage(imagePath(dir), journalPath);
    if (read.status !== 'used') throw new Error(`image not used: ${JSON.stringify(read)}`);
    const { image } = read;
    const record = {
      type: 'record',
      kind: 'chat',
      id: 'forged',
      updatedAt: null,
      hash: 'a'.repeat(64),
      endpoint: 'x',
      pass: 1,
      at: 'x',
    };
    const forged = [
      { ...image, tables: { ...image.tables, lines: [...image.tables.lines, record] } },
      {
        ...image,
        index: { ...image.index, offLow: image.index.offLow.map((o, d) => (d === 3 ? image.upTo + 10 : o)) },
      },
      { ...image, index: { ...image.index, flags: image.index.flags.map((f, d) => (d === 0 ? 0x3f : f)) } },
    ];
    const causes = [/a record line among its tables/, /entry 3 points past byte/, /entry 0 names kind 63/];
    for (const [n, bad] of forged.entries()) {
      await writeStateImage(imagePath(dir), join(dir, `forged-${n}`), journalPath, bad as typeof image);
      const r = await bothWays(dir, 30);
      expect(r.image).toMatchObject({ status: 'ignored' });
      expect((r.image as { cause: string }).cause).toMatch(causes[n]!);
      expect(r.replayed).toBe(r.fullReplayed);
      expect(r.fromImage).toEqual(r.full);
    }
  });

  it('a forged entry, a missing or a wrong fingerprint key is found and the journal replayed', async () => {
    // Enough items that an image's spot check reads only some entries back (c3's is not among them).
    await played(300);
    const journalPath = join(dir, 'job', 'journal.jsonl');
    const read = await readStateImage(imagePath(dir), journalPath);
    if (read.status !== 'used') throw new Error('image not used');
    const { image } = read;
    // Lines after the image touch c3 again, so a wrong entry for it is met by the replay.
    const store = await open(dir);
    for (let i = 300; i < 304; i += 1) historyStep(store, i);
    store.putRecord({ ...chatInput('c3'), updatedAt: '2025-12-31T12:00:00.000Z' }, 1);
    await store.close();
    const text = await readFile(journalPath, 'utf8');
    /** The offsets of the lines below the image's end that `pred` picks. */
    const offsetsOf = (pred: (line: string) => boolean): number[] => {
      let at = 0;
      const found: number[] = [];
      for (const line of text.split('\n')) {
        if (at < image.upTo && pred(line)) found.push(at);
        at += Buffer.byteLength(line) + 1;
      }
      return found;
    };
    const c3 = offsetsOf((l) => l.startsWith('{"type":"record","kind":"chat","id":"c3"')).at(-1)!;
    const checkpoint = offsetsOf((l) => l.startsWith('{"type":"checkpoint"'))[0]!;
    const entry = [...image.index.offLow].lastIndexOf(c3);
    expect(entry).toBeGreaterThanOrEqual(0);
    const forged = [
      {
        ...image,
        index: { ...image.index, offLow: image.index.offLow.map((o, d) => (d === entry ? checkpoint : o)) },
      },
      { ...image, index: { ...image.index, key: null } },
      { ...image, index: { ...image.index, key: '0123456789abcdef' } },
    ];
    const causes = [/do not replay onto it/, /no fingerprint key/, /does not match its journal line/];
    for (const [n, bad] of forged.entries()) {
      await writeStateImage(imagePath(dir), join(dir, `forged-${n}`), journalPath, bad);
      const r = await bothWays(dir, 304);
      expect(r.image).toMatchObject({ status: 'ignored' });
      expect((r.image as { cause: string }).cause).toMatch(causes[n]!);
      expect(r.fromImage).toEqual(r.full);
    }
  });

  it('a FIFO or a folder where the image should be is set aside without blocking; a failed image write leaves the run alone', async () => {
    await played(10);
    await rm(imagePath(dir));
    execFileSync('mkfifo', [imagePath(dir)]);
    const r = await bothWays(dir, 10);
    expect(r.image).toEqual({ status: 'ignored', cause: 'not a regular file' });
    expect(r.fromImage).toEqual(r.full);
    // A folder holding a file where the image goes: the rename fails, the store closes as usual.
    const store = await open(dir);
    await rm(imagePath(dir), { force: true });
    await mkdir(imagePath(dir));
    await writeFile(join(imagePath(dir), 'x'), 'x');
    historyStep(store, 10);
    await store.close();
    expect(store.images.written).toBe(0);
    expect(store.images.lastError).toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
    const again = await bothWays(dir, 11);
    expect(again.image).toEqual({ status: 'ignored', cause: 'not a regular file' });
    expect(again.fromImage).toEqual(again.full);
    expect((again.full as { chats: string[] }).chats).toContain('c10');
  });

  it("an image set aside is removed; a finished snapshot's image goes with its journal", async () => {
    await played(10);
    await writeFile(imagePath(dir), 'not an image at all, and long enough to be checked for one');
    const store = await open(dir);
    expect(store.image).toMatchObject({ status: 'ignored' });
    await store.close();
    await expect(stat(imagePath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    const shipping = await open(dir);
    shipping.setMeta('shipped', { runId: 'r1' });
    await shipping.close();
    expect((await stat(imagePath(dir))).isFile()).toBe(true);
    const next = await openStore({
      stateDir: dir,
      jobName: 'job',
      specSha256: HISTORY_SPEC,
      newSnapshotAfterShip: true,
    });
    expect([next.image.status, next.replayedLines, next.idsOf('chat')]).toEqual(['absent', 0, []]);
    await next.close();
  });

  it('is removed when a different spec takes the folder over (--force)', async () => {
    await played(20);
    const store = await open(dir, 'f'.repeat(64), true);
    expect(store.image.status).toBe('absent');
    expect(store.replayedLines).toBe(0);
    expect(store.idsOf('chat')).toEqual([]);
    await store.close();
    await expect(stat(imagePath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a half-written image a killed run left is removed on open, and the image beside it used', async () => {
    await played(20);
    const partial = join(dir, 'job', '.state.image.0badc0de-999999-00000000-00000000.partial');
    await writeFile(partial, 'half an image');
    const store = await open(dir);
    expect(store.image.status).toBe('used');
    await store.close();
    await expect(stat(partial)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a store opened only to read writes no image', async () => {
    await played(20);
    const before = await stat(imagePath(dir));
    const store = await open(dir);
    expect(store.image.status).toBe('used');
    await store.close();
    const after = await stat(imagePath(dir));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
});
