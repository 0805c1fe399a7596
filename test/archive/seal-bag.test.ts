import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBag } from '../../src/archive/seal-bag.js';
import { safeName } from '../../src/archive/safe-name.js';
import { HOSTILE_NAMES } from '@compliance-export/sandbox';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import {
  CUT,
  PY_EXTRACT,
  PY_LIST,
  bagInput,
  collect,
  noise,
  payloadFile,
  python,
  sampleFiles,
} from './fixtures.js';

const FOLDER = 'legal-hold-20261122T101300Z';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seal-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function seal(
  files = sampleFiles(),
  compression?: 'auto' | 'deflate' | 'store',
): Promise<{ zip: Buffer; result: Awaited<ReturnType<typeof sealBag>['done']> }> {
  const sealed = sealBag({ ...bagInput(files), ...(compression === undefined ? {} : { compression }) });
  const [zip, result] = await Promise.all([collect(sealed.stream), sealed.done]);
  return { zip, result };
}

interface Listing {
  bad: string | null;
  entries: { name: string; method: number; mode: number; date: number[]; size: number }[];
}

describe('sealBag', () => {
  it('builds byte-identical zips from the same input', async () => {
    const a = await seal();
    const b = await seal();
    expect(a.zip.equals(b.zip)).toBe(true);
    expect(a.result.zipBytes).toBe(a.zip.length);
    expect(a.result.zipName).toBe(`${FOLDER}.zip`);
  });

  it('writes one top-level folder, entries in byte order, fixed mtime and mode, method from the bytes', async () => {
    const { zip, result } = await seal();
    const file = join(dir, 'a.zip');
    await writeFile(file, zip);
    const listing = python<Listing>(PY_LIST, file);
    expect(listing.bad).toBeNull();
    const names = listing.entries.map((e) => e.name);
    expect(names.every((n) => n.startsWith(`${FOLDER}/`))).toBe(true);
    const sorted = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(names).toEqual(sorted);
    expect(names.map((n) => n.slice(FOLDER.length + 1))).toEqual([
      'bag-info.txt',
      'bagit.txt',
      'data/chats/claude_chat_1.json',
      'data/directory/users.jsonl',
      'data/files/claude_file_1/report #1 (100 pct).pdf',
      'data/files/claude_file_2/photo.png',
      'data/files/claude_file_3/blob.bin',
      'data/files/claude_file_4/empty.txt',
      'data/files/claude_file_5/Ünïcödé résumé.txt',
      'manifest-md5.txt',
      'manifest-sha256.txt',
      'reports/summary.json',
      'tagmanifest-md5.txt',
      'tagmanifest-sha256.txt',
    ]);
    for (const e of listing.entries) {
      expect(e.mode).toBe(0o644);
      expect(e.date).toEqual([2026, 11, 22, 10, 13, 0]);
    }
    const method = (suffix: string): number | undefined =>
      listing.entries.find((e) => e.name.endsWith(suffix))?.method;
    expect(method('photo.png')).toBe(0); // stored: PNG magic
    expect(method('blob.bin')).toBe(0); // stored: probed incompressible
    expect(method('claude_chat_1.json')).toBe(8); // deflated
    expect(method('report #1 (100 pct).pdf')).toBe(8);
    expect(result.payloadFiles).toBe(7);
    expect(result.stored).toBeGreaterThanOrEqual(3);
  });

  it('applies archive.compression: store keeps every entry as is, deflate compresses every one', async () => {
    for (const [policy, expected] of [
      ['store', 0],
      ['deflate', 8],
    ] as const) {
      const { zip, result } = await seal(sampleFiles(), policy);
      const file = join(dir, `${policy}.zip`);
      await writeFile(file, zip);
      const listing = python<Listing>(PY_LIST, file);
      expect(listing.bad).toBeNull();
      // an empty entry is stored whatever was asked (there is nothing to deflate)
      const sized = listing.entries.filter((e) => e.size > 0);
      expect(new Set(sized.map((e) => e.method)), policy).toEqual(new Set([expected]));
      expect(policy === 'store' ? result.deflated : result.stored, policy).toBe(0);
    }
  });

  it('writes BagIt tag files with Payload-Oxum, plain manifest paths and tag manifests', async () => {
    const files = sampleFiles();
    const { zip, result } = await seal(files);
    const file = join(dir, 'b.zip');
    await writeFile(file, zip);
    const read = (name: string): string =>
      python<{ t: string }>(
        'import json,sys,zipfile; print(json.dumps({"t": zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode()}))',
        file,
        `${FOLDER}/${name}`,
      ).t;
    const bytes = Object.values(files).reduce((s, b) => s + b.length, 0);
    const info = read('bag-info.txt');
    expect(info).toContain(`Payload-Oxum: ${bytes}.7\n`);
    expect(info).toContain('Bagging-Date: 2026-11-22\n');
    expect(info).toContain('External-Identifier: legal-hold\n');
    expect(info).toContain('Matter: Doe v. Roe line two\n');
    expect(info).toMatch(/^Bag-Size: .+$/mu);
    expect(result.payloadOxum).toBe(`${bytes}.7`);
    const manifest = read('manifest-sha256.txt');
    const sha = createHash('sha256')
      .update(files['files/claude_file_1/report #1 (100 pct).pdf']!)
      .digest('hex');
    expect(manifest).toContain(`${sha}  data/files/claude_file_1/report #1 (100 pct).pdf\n`);
    expect(manifest).not.toContain('%');
    expect(manifest.trim().split('\n')).toHaveLength(7);
    const tagSha = read('tagmanifest-sha256.txt');
    const tagPaths = tagSha
      .trim()
      .split('\n')
      .map((l) => l.split('  ')[1]);
    expect(tagPaths).toEqual([
      'bag-info.txt',
      'bagit.txt',
      'manifest-md5.txt',
      'manifest-sha256.txt',
      'reports/summary.json',
    ]);
    // The five listed tag files plus the two tag manifests that list them.
    expect(result.tagFiles).toBe(7);
    const infoSha = createHash('sha256').update(info).digest('hex');
    expect(tagSha).toContain(`${infoSha}  bag-info.txt\n`);
    expect(result.tagManifestSha256).toBe(createHash('sha256').update(tagSha).digest('hex'));
  });

  it('passes unzip -t when unzip is installed', async () => {
    if (!existsSync('/usr/bin/unzip')) return;
    const { zip } = await seal();
    const file = join(dir, 'c.zip');
    await writeFile(file, zip);
    const out = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(out).toMatch(/No errors detected/u);
  });

  it('keeps hostile names inside the extraction folder', async () => {
    const hostile = [
      '../../x',
      '/etc/passwd',
      'C:\\x',
      'a\u0000b\u001b[31m',
      'x'.repeat(300),
      'CON.txt',
      '.bashrc',
      '-rf',
    ];
    const files: Record<string, Buffer> = {};
    hostile.forEach((n, i) => (files[`files/claude_file_${i}/${safeName(n)}`] = Buffer.from(n)));
    const { zip } = await seal(files);
    const file = join(dir, 'hostile.zip');
    await writeFile(file, zip);
    const out = join(dir, 'out');
    const paths = python<string[]>(PY_EXTRACT, file, out);
    expect(paths).toHaveLength(hostile.length + 7);
    for (const p of paths) expect(p.startsWith(`${out}${sep}${FOLDER}${sep}`)).toBe(true);
    const names = new Set(paths.map((p) => p.split(sep).pop()));
    for (const forbidden of ['.bashrc', '-rf', 'CON.txt']) expect(names.has(forbidden)).toBe(false);
    expect(names.has('_bashrc')).toBe(true);
    expect(names.has('_CON.txt')).toBe(true);
  });

  it('extracts every hostile sandbox name safely, each in its id folder, and the bag still verifies', async () => {
    const files: Record<string, Buffer> = {};
    HOSTILE_NAMES.forEach((n, i) => {
      const id = `claude_file_${String(i).padStart(2, '0')}`;
      files[`files/${id}/${safeName(n, id)}`] = Buffer.from(`bytes of ${JSON.stringify(n)}`);
    });
    const { zip } = await seal(files);
    const file = join(dir, 'sandbox-hostile.zip');
    await writeFile(file, zip);
    const out = join(dir, 'sandbox-out');
    const paths = python<string[]>(PY_EXTRACT, file, out);
    expect(paths).toHaveLength(HOSTILE_NAMES.length + 7);
    for (const p of paths) {
      expect(p.startsWith(`${out}${sep}${FOLDER}${sep}`)).toBe(true);
      const base = p.split(sep).pop()!;
      expect(base).not.toMatch(/^[.-]/u);
      // eslint-disable-next-line no-control-regex -- control characters are exactly what must not appear
      expect(base).not.toMatch(/[\u0000-\u001f\u007f]/u);
      expect(Buffer.byteLength(base)).toBeLessThanOrEqual(255);
    }
    const report = await verifyArchive(join(out, FOLDER));
    // This bare bag has no custody log and no run fields in bag-info; everything else must pass.
    expect(
      report.problems.map((p) => p.code).filter((c) => c !== 'custody_missing' && c !== 'bag_info'),
    ).toEqual([]);
  });

  it('refuses unsafe payload paths, duplicates and size mismatches', async () => {
    for (const bad of ['../x', '/abs', 'a//b', 'files/.hidden', 'a\\b']) {
      const sealed = sealBag({
        ...bagInput({}),
        payload: async function* () {
          yield payloadFile(bad, 'x');
        },
      });
      sealed.stream.resume();
      await expect(sealed.done).rejects.toMatchObject({ code: 'archive_error' });
    }
    const liar = { ...payloadFile('a.txt', 'abc'), size: 5 };
    const sealed = sealBag({
      ...bagInput({}),
      payload: async function* () {
        yield liar;
      },
    });
    sealed.stream.resume();
    await expect(sealed.done).rejects.toMatchObject({ code: 'archive_error' });
  });

  it('refuses a payload path holding %, CR or LF, naming it, so no manifest path needs encoding', async () => {
    for (const bad of [
      'files/f/report 100%.pdf',
      'files/f/a%0Ab.txt',
      'files/f/a\nb.txt',
      'files/f/a\rb.txt',
    ]) {
      const sealed = sealBag({
        ...bagInput({}),
        payload: async function* () {
          yield payloadFile('chats/ok.json', '{}');
          yield payloadFile(bad, 'x');
        },
      });
      sealed.stream.resume();
      await expect(sealed.done).rejects.toMatchObject({
        code: 'archive_error',
        message: expect.stringContaining(JSON.stringify(bad)) as unknown,
      });
    }
  });

  it('refuses two payload files with one path', async () => {
    const sealed = sealBag({
      ...bagInput({}),
      payload: async function* () {
        yield payloadFile('files/a_b/x.txt', 'one');
        yield payloadFile('files/a_b/x.txt', 'two');
      },
    });
    sealed.stream.resume();
    await expect(sealed.done).rejects.toMatchObject({
      code: 'archive_error',
      message: expect.stringContaining('"files/a_b/x.txt"') as unknown,
    });
  });

  it('fails the seal and the zip stream when a streamed payload file errors mid-read', async () => {
    // Over 1 MiB, so the entry is streamed after its head rather than read whole.
    const big = payloadFile('files/f/big.bin', noise(3 * 1024 * 1024, 9));
    const failing = {
      ...big,
      open: () =>
        Readable.from(
          (async function* () {
            yield noise(256 * 1024, 9);
            throw Object.assign(new Error('disk went away'), { code: 'EIO' });
          })(),
        ),
    };
    const sealed = sealBag({
      ...bagInput({}),
      payload: async function* () {
        yield failing;
      },
    });
    const streamFailed = new Promise<unknown>((resolve) => sealed.stream.once('error', resolve));
    sealed.stream.resume();
    await expect(sealed.done).rejects.toMatchObject({ code: 'EIO' });
    await expect(streamFailed).resolves.toMatchObject({ code: 'EIO' });
  });

  it('detects staged bytes that do not match their hashes when asked', async () => {
    const wrong = { ...payloadFile('a.txt', 'abc'), sha256: 'f'.repeat(64) };
    const sealed = sealBag(
      {
        ...bagInput({}),
        payload: async function* () {
          yield wrong;
        },
      },
      { verifyPayloadHashes: true },
    );
    sealed.stream.resume();
    await expect(sealed.done).rejects.toMatchObject({ code: 'checksum_mismatch' });
  });

  it('uses the cut for the run id', async () => {
    const sealed = sealBag(bagInput({ 'a.txt': Buffer.from('a') }));
    expect(sealed.runId).toBe('20261122T101300Z');
    sealed.stream.resume();
    await sealed.done;
    expect(CUT.startsWith('2026-11-22T10:13')).toBe(true);
  });
});
