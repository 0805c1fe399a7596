import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SourceFile, VerifyProblem } from '../../src/verify/bag-source.js';
import { checkPayloadManifests, checkTagManifests, type BagRead } from '../../src/verify/check-manifests.js';
import { FileDigests } from '../../src/verify/file-digests.js';
import { manifestLines, manifestLinesOf } from '../../src/verify/parse-tag-files.js';

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A bag whose files were all read (but `unreadable`), with the given manifest texts. */
function bag(contents: Record<string, string>, texts: Record<string, string>, unreadable: string[] = []) {
  const files: SourceFile[] = Object.entries(contents).map(([path, text]) => ({ path, size: text.length }));
  const digests = new FileDigests(files.length, ['sha256', 'md5']);
  files.forEach((f, i) => {
    if (unreadable.includes(f.path)) return;
    const body = contents[f.path] ?? '';
    digests.set(
      i,
      body.length,
      new Map([
        ['sha256', createHash('sha256').update(body).digest()],
        ['md5', createHash('md5').update(body).digest()],
      ]),
    );
  });
  const kept = new Map(Object.entries(texts));
  const read: BagRead = {
    index: new Map(files.map((f, i) => [f.path, i])),
    digests,
    texts: kept,
    lines: (path) => {
      const text = kept.get(path);
      if (text === undefined) return null;
      // As a payload manifest is read again from the bag: in small chunks, cut anywhere.
      return manifestLinesOf(chunked(Buffer.from(text), 7));
    },
  };
  return { files, read };
}

const summary = (problems: VerifyProblem[]): string[] => problems.map((p) => `${p.code} ${p.path ?? ''}`);

describe('manifest checks', () => {
  it('reads the same lines from a stream cut at every byte as from the whole text', async () => {
    const text =
      `${'ab'.repeat(32)}  data/\u00fe\u{1F600}.txt\r\n\nbad line\r\n${'cd'.repeat(32)} data/x%0D.txt\r` +
      `\n${'ef'.repeat(32)} data/last\u00e9\r`;
    const whole = [...manifestLines(text)];
    expect(whole.map((l) => l.line)).toEqual([1, 3, 4, 5]);
    expect(whole[3]).toEqual({ line: 5, checksum: null, path: '' }); // a lone \r ends no line
    for (const size of [1, 2, 3, 5, 64, 4096]) {
      expect(await collect(manifestLinesOf(chunked(Buffer.from(text), size))), `chunks of ${size}`).toEqual(
        whole,
      );
    }
    expect(await collect(manifestLinesOf(chunked(Buffer.from(`${text}\n`), 3)))).toEqual([
      ...whole.slice(0, 3),
      { line: 5, checksum: 'ef'.repeat(32), path: 'data/last\u00e9' },
    ]);
  });

  it('reads manifest lines one at a time: CRLF, blank lines, numbering, decoded paths, bad lines', () => {
    const text = `${'AB'.repeat(32)}  data/a.txt\r\n\n   \nnot a line\n${'cd'.repeat(32)} data/line%0Abreak%25.txt`;
    expect([...manifestLines(text)]).toEqual([
      { line: 1, checksum: 'ab'.repeat(32), path: 'data/a.txt' },
      { line: 4, checksum: null, path: '' },
      { line: 5, checksum: 'cd'.repeat(32), path: 'data/line\nbreak%.txt' },
    ]);
  });

  it('names missing, mismatched, unlisted, outside-data and twice-listed paths, checking a path by its first line', async () => {
    const contents = { 'data/a.txt': 'a', 'data/b.txt': 'b', 'data/c.txt': 'c', 'data/d.txt': 'd' };
    const manifest = [
      `${sha('a')}  data/a.txt`,
      `${sha('x')}  data/b.txt`, // wrong
      `${sha('a')}  data/a.txt`, // listed twice: syntax, and not checked again
      `${sha('z')}  data/gone.txt`, // not in the bag
      `${sha('z')}  data/gone.txt`,
      `${sha('z')}  reports/x.txt`, // outside data/
      `${sha('d')}  data/d.txt`, // unreadable: reported when reading, not here
      'garbage',
      '',
    ].join('\n');
    const { files, read } = bag(contents, { 'manifest-sha256.txt': manifest }, ['data/d.txt']);
    const problems: VerifyProblem[] = [];
    await checkPayloadManifests(read, ['manifest-sha256.txt'], files, problems);
    expect(summary(problems)).toEqual([
      'manifest_syntax manifest-sha256.txt',
      'manifest_syntax manifest-sha256.txt',
      'manifest_syntax manifest-sha256.txt',
      'hash_mismatch data/b.txt',
      'file_missing data/gone.txt',
      'manifest_syntax manifest-sha256.txt',
      'file_unlisted data/c.txt',
    ]);
    expect(problems.slice(0, 3).map((p) => p.message)).toEqual([
      'line 3: data/a.txt listed twice',
      'line 5: data/gone.txt listed twice',
      'line 8: expected "<checksum> <path>"',
    ]);
    expect(problems[3]?.message).toBe(`sha256 is ${sha('b')}, manifest-sha256.txt says ${sha('x')}`);
  });

  it('requires every tag file in tagmanifest-sha256.txt only, and checks what each tag manifest lists', async () => {
    const contents = { 'bagit.txt': 'b', 'manifest-sha256.txt': 'm', 'data/a.txt': 'a' };
    const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
    const { files, read } = bag(contents, {
      'tagmanifest-sha256.txt': `${sha('b')} bagit.txt\n`,
      'tagmanifest-md5.txt': `${md5('x')} bagit.txt\n`,
    });
    const problems: VerifyProblem[] = [];
    await checkTagManifests(read, ['tagmanifest-md5.txt', 'tagmanifest-sha256.txt'], files, problems);
    expect(summary(problems)).toEqual(['tag_hash_mismatch bagit.txt', 'tag_unlisted manifest-sha256.txt']);
  });
});
