/**
 * The payload list sorted on disk (src/archive/sorted-payload.ts) on a real temp folder, with runs
 * of 7 files so several run files are spilled and merged (in rounds, with a fan-in of 2), and the
 * sealer fed from it: the same zip bytes as from the unsorted list, and a sorted list that lies
 * (out of order, a path twice, totals it does not hold) refused.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PayloadFile, SortedPayloadFiles } from '../../src/archive/bag-input.js';
import { sealBag } from '../../src/archive/seal-bag.js';
import { sortPayload, type SortPayloadOptions } from '../../src/archive/sorted-payload.js';
import { bagInput, collect, payloadFile, sampleFiles } from './fixtures.js';

let dir: string;
let made: string[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sorted-payload-'));
  made = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Bytes by SHA-256, as the blob store would give them. */
const blobs = new Map<string, Buffer>();
function file(path: string, body = `bytes of ${path}`): PayloadFile {
  const f = payloadFile(path, body);
  blobs.set(f.sha256, Buffer.from(body));
  return f;
}

function options(extra: Partial<SortPayloadOptions> = {}): SortPayloadOptions {
  let n = 0;
  return {
    tempPath: () => {
      n += 1;
      const path = join(dir, `t${n}.part`);
      made.push(path);
      return path;
    },
    open: (sha256) => Readable.from([blobs.get(sha256) ?? Buffer.alloc(0)]),
    runSize: 7,
    fanIn: 2,
    ...extra,
  };
}

async function* listOf(files: readonly PayloadFile[]): AsyncGenerator<PayloadFile> {
  yield* files;
}

async function all<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * 40 paths in a scrambled order: UTF-16 code-unit order and UTF-8 byte order disagree where an
 * astral character (a surrogate pair, D83D…) meets a BMP character above the surrogates (U+E000,
 * U+FFFD, U+FFFF), and a lone surrogate is U+FFFD once encoded.
 */
function scrambled(): string[] {
  const paths = [
    'chats/😀.json',
    'chats/\uffff.json',
    'chats/\ue000.json',
    'chats/\ufffd-a.json',
    'chats/𝒜𝒷𝒸.json',
    'chats/\ud800-lone.json',
    'chats/z.json',
    'chats/Z.json',
    'chats/é.json',
    'files/claude_file_1/report.pdf',
    'review/loadfile.dat',
  ];
  for (let i = 0; i < 29; i += 1) paths.push(`chats/c${String((i * 17) % 29).padStart(3, '0')}.json`);
  // A fixed shuffle: every 7th path, round and round.
  return paths.map((_, i) => paths[(i * 7) % paths.length]!);
}

describe('sortPayload', () => {
  it('merges several run files into byte order (astral and lone-surrogate paths), counts them, removes the runs', async () => {
    const paths = scrambled();
    expect(new Set(paths).size).toBe(40);
    const files = paths.map((p) => file(p));
    const sorted = await sortPayload(listOf(files), options());
    // 40 files in runs of 7: 6 runs, merged two at a time in rounds, then the final file.
    expect(made.length).toBeGreaterThan(7);
    const expected = [...paths].sort(utf8Order);
    const got = await all(sorted.files());
    expect(got.map((f) => f.path)).toEqual(expected);
    expect(await all(sorted.files())).toHaveLength(40); // afresh on each call
    const byPath = new Map(files.map((f) => [f.path, f]));
    for (const f of got) {
      const given = byPath.get(f.path)!;
      expect([f.size, f.sha256, f.md5]).toEqual([given.size, given.sha256, given.md5]);
    }
    expect(sorted.fileCount).toBe(40);
    expect(sorted.totalBytes).toBe(files.reduce((sum, f) => sum + f.size, 0));
    // `open` gives the blob named by the line's sha256.
    const one = got.find((f) => f.path === 'chats/😀.json')!;
    expect((await collect(one.open())).toString()).toBe('bytes of chats/😀.json');
    // Only the sorted file is left, and dispose removes it.
    expect(await readdir(dir)).toHaveLength(1);
    await sorted.dispose();
    expect(await readdir(dir)).toEqual([]);
  });

  it('gives the SHA-256 of the manifest-sha256.txt built the naive way', async () => {
    const files = scrambled().map((p) => file(p));
    const sorted = await sortPayload(listOf(files), options());
    const naive = [...files]
      .sort((a, b) => utf8Order(a.path, b.path))
      .map((f) => `${f.sha256}  data/${f.path}\n`)
      .join('');
    expect(sorted.manifestSha256).toBe(sha256(naive));
    await sorted.dispose();
  });

  it('refuses one path given in two runs, naming it, and leaves no file behind', async () => {
    const files = scrambled().map((p) => file(p));
    // Index 2 and index 30 fall in different runs of 7.
    files[30] = file(files[2]!.path, 'other bytes');
    await expect(sortPayload(listOf(files), options())).rejects.toMatchObject({
      code: 'archive_error',
      message: expect.stringContaining(`${JSON.stringify(files[2]!.path)} appears twice`) as unknown,
    });
    expect(made.length).toBeGreaterThan(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an unsafe path or a malformed digest, naming the path, and leaves no file behind', async () => {
    for (const bad of ['../etc/passwd', 'files/f/a%0Ab.txt', 'files/f/a\nb.txt']) {
      const files = scrambled()
        .slice(0, 10)
        .map((p) => file(p));
      files.push(file(bad));
      await expect(sortPayload(listOf(files), options())).rejects.toMatchObject({
        code: 'archive_error',
        message: expect.stringContaining(JSON.stringify(bad)) as unknown,
      });
      expect(await readdir(dir)).toEqual([]);
    }
    const upper = { ...file('chats/a.json'), sha256: 'A'.repeat(64) };
    await expect(sortPayload(listOf([upper]), options())).rejects.toMatchObject({ code: 'archive_error' });
  });

  it('creates its run files and the sorted file 0600 whatever the umask', async () => {
    for (const umask of [0o000, 0o277]) {
      const modes: number[] = [];
      const paths = scrambled();
      // The source is pulled after each spill: the run files written so far are there to stat.
      async function* source(): AsyncGenerator<PayloadFile> {
        for (const [i, p] of paths.entries()) {
          if (i === 15) for (const path of made) modes.push((await stat(path)).mode & 0o777);
          yield file(p);
        }
      }
      const old = process.umask(umask);
      const sorted = await sortPayload(source(), options()).finally(() => process.umask(old));
      expect(modes).toEqual([0o600, 0o600]);
      const [left] = await readdir(dir);
      expect((await stat(join(dir, left!))).mode & 0o777).toBe(0o600);
      await sorted.dispose();
      made = [];
    }
  });
});

describe('sealBag from a sorted payload', () => {
  it('seals the same bytes as from the unsorted list, with the manifest hash the sort computed', async () => {
    const input = bagInput(sampleFiles());
    const given = await all((input.payload as () => AsyncIterable<PayloadFile>)());
    const bySha = new Map(given.map((f) => [f.sha256, f]));
    const sorted = await sortPayload(listOf(given), {
      ...options({ runSize: 2 }),
      open: (sha) => bySha.get(sha)!.open(),
    });
    const a = sealBag(input);
    const b = sealBag({ ...input, payload: sorted });
    const [zipA, resultA, zipB, resultB] = await Promise.all([
      collect(a.stream),
      a.done,
      collect(b.stream),
      b.done,
    ]);
    expect(zipB.equals(zipA)).toBe(true);
    expect(resultB).toEqual(resultA);
    expect(resultB.manifestSha256).toBe(sorted.manifestSha256);
    await sorted.dispose();
  });

  const lying = (paths: string[], totals?: Partial<SortedPayloadFiles>): SortedPayloadFiles => {
    const files = paths.map((p) => file(p));
    return {
      fileCount: files.length,
      totalBytes: files.reduce((sum, f) => sum + f.size, 0),
      files: () => listOf(files),
      ...totals,
    };
  };

  it.each([
    ['a path out of byte order', lying(['chats/b.json', 'chats/a.json']), '"chats/a.json"'],
    ['a path twice', lying(['chats/a.json', 'chats/a.json']), '"chats/a.json" appears twice'],
    ['more files than its count', lying(['chats/a.json', 'chats/b.json'], { fileCount: 1 }), 'held 2 files'],
    ['fewer bytes than its total', lying(['chats/a.json'], { totalBytes: 1000 }), 'held 1 files'],
    ['an unsafe path', lying(['chats/a.json', 'chats/../b.json']), '"chats/../b.json"'],
  ])('refuses a sorted payload with %s', async (_name, payload, named) => {
    const sealed = sealBag({ ...bagInput({}), payload });
    sealed.stream.resume();
    await expect(sealed.done).rejects.toMatchObject({
      code: 'archive_error',
      message: expect.stringContaining(named) as unknown,
    });
  });
});
