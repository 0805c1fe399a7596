/** verify must survive hostile zips (traversal names, several top folders) and name the problem. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { openLocalZip } from '../../src/verify/zip-source.js';
import { python } from '../archive/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostile-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function makeZip(name: string, entries: Record<string, string>): string {
  const file = join(dir, name);
  python(
    'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],"w")\nfor k,v in json.loads(sys.argv[2]).items(): z.writestr(k,v)\nz.close()\nprint("null")',
    file,
    JSON.stringify(entries),
  );
  return file;
}

describe('verify on hostile zips', () => {
  it('names a traversal entry and does not extract or crash', async () => {
    const zip = makeZip('traversal.zip', { 'bag/bagit.txt': 'BagIt-Version: 1.0\n', '../../evil.txt': 'x' });
    const report = await verifyArchive(zip, { sidecar: false });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code)).toContain('unsafe_entry');
  });

  it('names more than one top-level folder and stray root files', async () => {
    const zip = makeZip('two-tops.zip', {
      'a/bagit.txt': 'BagIt-Version: 1.0\n',
      'b/x.txt': 'x',
      'root.txt': 'y',
    });
    const report = await verifyArchive(zip, { sidecar: false });
    expect(report.problems.filter((p) => p.code === 'layout').map((p) => p.path ?? '')).toEqual([
      'root.txt',
      '',
    ]);
  });

  it('names a zip that is not a bag at all', async () => {
    const zip = makeZip('plain.zip', { 'folder/readme.txt': 'hello' });
    const codes = (await verifyArchive(zip, { sidecar: false })).problems.map((p) => p.code);
    expect(codes).toEqual(
      expect.arrayContaining(['bagit_txt', 'bag_info', 'manifest_missing', 'custody_missing']),
    );
  });
});

describe('a zip source lists each path once, numbered as in its files', () => {
  it('keeps the first of two entries with one name and numbers paths without the folder', async () => {
    const file = join(dir, 'dupe.zip');
    python(
      'import sys,zipfile,warnings\nwarnings.simplefilter("ignore")\nz=zipfile.ZipFile(sys.argv[1],"w")\n' +
        'z.writestr("bag/bagit.txt","a")\nz.writestr("bag/data/x.txt","first")\nz.writestr("bag/data/x.txt","second!")\n' +
        'z.writestr("bag/data/\u00fe.txt","t")\nz.close()\nprint("null")',
      file,
    );
    const source = await openLocalZip(file);
    try {
      expect(source.files.map((f) => [f.path, f.size])).toEqual([
        ['bagit.txt', 1],
        ['data/x.txt', 5],
        ['data/\u00fe.txt', 1],
      ]);
      expect([...source.index]).toEqual([
        ['bagit.txt', 0],
        ['data/x.txt', 1],
        ['data/\u00fe.txt', 2],
      ]);
      expect(source.problems.map((p) => [p.code, p.path])).toEqual([['unsafe_entry', 'data/x.txt']]);
      const bytes: Buffer[] = [];
      for await (const chunk of await source.open(source.files[1]!)) bytes.push(chunk as Buffer);
      expect(Buffer.concat(bytes).toString()).toBe('first');
    } finally {
      await source.close();
    }
  });
});
