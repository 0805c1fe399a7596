/** verify must survive hostile zips (traversal names, several top folders) and name the problem. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../src/verify/verify-archive.js';
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
