/** `state.retain`'s removal on a real folder tree: what it counts, what it leaves, what it never follows. */
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeContent, removeAllButTombstone, readTombstone } from '../../src/store/retain.js';

async function tree(): Promise<{ dir: string; outside: string; files: number; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'retain-remove-'));
  const outside = await mkdtemp(join(tmpdir(), 'retain-outside-'));
  await writeFile(join(outside, 'keep.txt'), 'not ours');
  let files = 0;
  let bytes = 0;
  const put = async (path: string, body: string): Promise<void> => {
    await writeFile(path, body);
    files += 1;
    bytes += Buffer.byteLength(body);
  };
  // More entries in one shard than are unlinked at once, several shards, nested spools.
  await mkdir(join(dir, 'blobs', 'aa'), { recursive: true });
  await mkdir(join(dir, 'blobs', 'bb'), { recursive: true });
  for (let i = 0; i < 150; i += 1) await put(join(dir, 'blobs', 'aa', `blob-${i}`), 'x'.repeat(i));
  await put(join(dir, 'blobs', 'bb', 'one'), 'hello');
  await mkdir(join(dir, 'review', 'a', 'b', 'c'), { recursive: true });
  await put(join(dir, 'review', 'a', 'b', 'c', 'deep.txt'), 'deep');
  await mkdir(join(dir, 'tmp'));
  await put(join(dir, 'tmp', 'x.part'), 'partial');
  // A link into someone else's folder: removed as a link, never followed.
  await symlink(outside, join(dir, 'blobs', 'cc'));
  files += 1;
  bytes += outside.length;
  await writeFile(join(dir, 'journal.jsonl'), '{}\n');
  await writeFile(join(dir, 'state.json'), '{}');
  return { dir, outside, files, bytes };
}

describe('state.retain removal', () => {
  it('index: removes the content folders whole, counts their files and bytes, keeps the rest', async () => {
    const { dir, outside, files, bytes } = await tree();
    expect(await removeContent(dir)).toEqual({ files, bytes });
    expect((await readdir(dir)).sort()).toEqual(['journal.jsonl', 'state.json']);
    expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('not ours');
  });

  it('none: leaves only the tombstone, and never what a link points at', async () => {
    const { dir, outside } = await tree();
    const tombstone = {
      format: 1 as const,
      job: 'j',
      spec_sha256: 'a'.repeat(64),
      as_of_cut: null,
      archive: null,
      removed_at: '2026-11-27T00:00:00.000Z',
    };
    expect(await removeAllButTombstone(dir, tombstone)).toBe(true);
    expect(await readdir(dir)).toEqual(['shipped.json']);
    expect(await readTombstone(dir)).toEqual(tombstone);
    expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('not ours');
  });
});
