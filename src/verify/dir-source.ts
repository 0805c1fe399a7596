/** An extracted bag on disk: the bag root itself, or a folder holding exactly one bag. */
import { createReadStream } from 'node:fs';
import { access, lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BagSource, SourceFile, VerifyProblem } from './bag-source.js';

async function isBagRoot(dir: string): Promise<boolean> {
  try {
    await access(join(dir, 'bagit.txt'));
    return true;
  } catch {
    return false;
  }
}

const byteOrder = (a: SourceFile, b: SourceFile): number =>
  Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));

export async function openDirSource(dir: string): Promise<BagSource> {
  const problems: VerifyProblem[] = [];
  let root = dir;
  if (!(await isBagRoot(dir))) {
    const subdirs = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory());
    const bags: string[] = [];
    for (const d of subdirs) if (await isBagRoot(join(dir, d.name))) bags.push(d.name);
    if (bags.length === 1 && bags[0] !== undefined) root = join(dir, bags[0]);
    else {
      problems.push({
        code: 'layout',
        path: dir,
        message:
          bags.length === 0
            ? 'no bagit.txt here or in a subfolder: not a bag'
            : `${bags.length} bags in one folder`,
      });
    }
  }
  const files: SourceFile[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    for (const d of await readdir(abs, { withFileTypes: true })) {
      const relPath = rel === '' ? d.name : `${rel}/${d.name}`;
      const absPath = join(abs, d.name);
      if (d.isSymbolicLink()) {
        problems.push({ code: 'unsafe_entry', path: relPath, message: 'symbolic link in the bag' });
      } else if (d.isDirectory()) {
        await walk(absPath, relPath);
      } else if (d.isFile()) {
        files.push({ path: relPath, size: (await lstat(absPath)).size });
      } else {
        problems.push({ code: 'unsafe_entry', path: relPath, message: 'not a regular file' });
      }
    }
  }
  if (problems.length === 0) await walk(root, '');
  files.sort(byteOrder);
  return {
    kind: 'dir',
    folder: basename(root),
    problems,
    files,
    index: new Map(files.map((f, i) => [f.path, i])),
    open: async (file): Promise<Readable> => createReadStream(join(root, ...file.path.split('/'))),
    close: async () => undefined,
  };
}
