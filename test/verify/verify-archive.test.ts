import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodyLog } from '../../src/archive/custody-log.js';
import type { WrittenArchive } from '../../src/sink/sink.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { PY_EXTRACT, python } from '../archive/fixtures.js';
import { FOLDER, buildArchive } from './bag-builder.js';

let dir: string;
let written: WrittenArchive;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-'));
  written = await buildArchive(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Offset of an entry's data in the zip (local header + name + extra), via Python's zipfile. */
function dataOffset(zip: string, name: string): { offset: number; method: number } {
  return python(
    `
import json, struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); i = z.getinfo(sys.argv[2])
with open(sys.argv[1], 'rb') as f:
  f.seek(i.header_offset); h = f.read(30)
  n, e = struct.unpack('<HH', h[26:30])
print(json.dumps({"offset": i.header_offset + 30 + n + e, "method": i.compress_type}))
`,
    zip,
    name,
  );
}

async function tamperedCopy(name: string, flipAt: (zip: string) => number): Promise<string> {
  const copy = join(dir, name);
  await copyFile(written.location, copy);
  await copyFile(`${written.location}.sha256`, `${copy}.sha256`);
  const bytes = await readFile(copy);
  const at = flipAt(copy);
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(copy, bytes);
  return copy;
}

async function extracted(name: string): Promise<string> {
  const out = join(dir, name);
  python(PY_EXTRACT, written.location, out);
  return join(out, FOLDER);
}

/** A minimal RFC 8493 validator, independent of our TypeScript: prints problems as JSON. */
const PY_BAGIT_CHECK = `
import hashlib, json, os, sys, urllib.parse
root = sys.argv[1]; problems = []
def h(path, algo):
  d = hashlib.new(algo)
  with open(os.path.join(root, path), 'rb') as f:
    for chunk in iter(lambda: f.read(1 << 20), b''): d.update(chunk)
  return d.hexdigest()
def manifest(name):
  out = {}
  for line in open(os.path.join(root, name), encoding='utf-8').read().splitlines():
    digest, path = line.split(None, 1)
    out[path.replace('%0A', '\\n').replace('%0D', '\\r').replace('%25', '%')] = digest
  return out
payload = []
for d, _, fs in os.walk(os.path.join(root, 'data')):
  for f in fs: payload.append(os.path.relpath(os.path.join(d, f), root).replace(os.sep, '/'))
for algo in ('sha256', 'md5'):
  m = manifest('manifest-%s.txt' % algo)
  if set(m) != set(payload): problems.append('manifest-%s: listed != present' % algo)
  problems += ['%s %s' % (algo, p) for p, v in m.items() if os.path.exists(os.path.join(root, p)) and h(p, algo) != v]
  for p, v in manifest('tagmanifest-%s.txt' % algo).items():
    if h(p, algo) != v: problems.append('tag %s %s' % (algo, p))
info = dict(l.split(': ', 1) for l in open(os.path.join(root, 'bag-info.txt'), encoding='utf-8').read().splitlines())
size = sum(os.path.getsize(os.path.join(root, p)) for p in payload)
if info['Payload-Oxum'] != '%d.%d' % (size, len(payload)): problems.append('oxum')
if open(os.path.join(root, 'bagit.txt')).read() != 'BagIt-Version: 1.0\\nTag-File-Character-Encoding: UTF-8\\n': problems.append('bagit.txt')
print(json.dumps({'problems': problems, 'files': len(payload)}))
`;

const codes = (r: { problems: readonly { code: string; path?: string }[] }): string[] =>
  r.problems.map((p) => `${p.code} ${p.path ?? ''}`.trim());

describe('verifyArchive', () => {
  it('passes a freshly sealed zip, with its sidecar, and reports what it checked', async () => {
    const report = await verifyArchive(written.location);
    expect(codes(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.kind).toBe('zip');
    expect(report.archiveSha256).toBe(written.sha256);
    expect(report.sidecar?.sha256).toBe(written.sha256);
    expect(report.facts).toMatchObject({
      folder: FOLDER,
      payloadFiles: 7,
      manifests: ['manifest-md5.txt', 'manifest-sha256.txt', 'tagmanifest-md5.txt', 'tagmanifest-sha256.txt'],
      custodyEntries: 3,
    });
    expect(report.facts.bagInfo['External-Identifier']).toBe('legal-hold');
  });

  it('passes the same bag extracted by an independent reader', async () => {
    const report = await verifyArchive(await extracted('clean'));
    expect(codes(report)).toEqual([]);
    expect(report.kind).toBe('dir');
  });

  it('passes an independent BagIt check written in Python (manifests, tag manifests, Payload-Oxum)', async () => {
    const bag = await extracted('python-check');
    const result = python<{ problems: string[]; files: number }>(PY_BAGIT_CHECK, bag);
    expect(result).toEqual({ problems: [], files: 7 });
  });

  it('names the payload file when one byte of it is flipped inside the zip', async () => {
    const name = `${FOLDER}/data/files/claude_file_3/blob.bin`;
    const zip = await tamperedCopy('payload.zip', (z) => {
      const { offset, method } = dataOffset(z, name);
      expect(method).toBe(0); // stored, so the flip lands in the file's own bytes
      return offset + 100;
    });
    const report = await verifyArchive(zip);
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(
      expect.arrayContaining(['zip_crc data/files/claude_file_3/blob.bin', `sidecar_mismatch ${zip}.sha256`]),
    );
  });

  it('names the manifest when one byte of it is flipped inside the zip', async () => {
    const zip = await tamperedCopy(
      'manifest.zip',
      (z) => dataOffset(z, `${FOLDER}/manifest-sha256.txt`).offset + 5,
    );
    const report = await verifyArchive(zip);
    expect(report.ok).toBe(false);
    expect(report.problems.some((p) => p.path === 'manifest-sha256.txt')).toBe(true);
  });

  it('names the payload file flipped in an extracted bag', async () => {
    const bag = await extracted('payload-dir');
    const file = join(bag, 'data', 'chats', 'claude_chat_1.json');
    const bytes = await readFile(file);
    bytes[10] = bytes[10]! ^ 0x20;
    await writeFile(file, bytes);
    const report = await verifyArchive(bag);
    expect(codes(report)).toEqual([
      'hash_mismatch data/chats/claude_chat_1.json',
      'hash_mismatch data/chats/claude_chat_1.json',
    ]);
  });

  it('names the manifest when a hash in it is edited', async () => {
    const bag = await extracted('manifest-dir');
    const file = join(bag, 'manifest-sha256.txt');
    const text = await readFile(file, 'utf8');
    await writeFile(
      file,
      text.replace(/^./u, (c) => (c === 'a' ? 'b' : 'a')),
    );
    const report = await verifyArchive(bag);
    expect(codes(report)).toContain('tag_hash_mismatch manifest-sha256.txt');
    expect(report.problems.filter((p) => p.code === 'hash_mismatch')).toHaveLength(1);
  });

  it('names the custody log when one byte of it is changed', async () => {
    const bag = await extracted('custody-dir');
    const file = join(bag, 'reports', 'custody.jsonl');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"items":7', '"items":8'));
    const report = await verifyArchive(bag);
    // Both tag manifests (md5, sha256) catch it, and the chain breaks at the next entry.
    expect(codes(report)).toEqual([
      'tag_hash_mismatch reports/custody.jsonl',
      'tag_hash_mismatch reports/custody.jsonl',
      'custody_chain reports/custody.jsonl',
    ]);
    expect(report.problems[2]!.message).toMatch(/^line 3:/u);
  });

  it('names missing and unlisted payload files and the wrong Payload-Oxum', async () => {
    const bag = await extracted('complete-dir');
    await unlink(join(bag, 'data', 'directory', 'users.jsonl'));
    await writeFile(join(bag, 'data', 'smuggled.txt'), 'not in any manifest');
    const report = await verifyArchive(bag);
    expect(codes(report)).toEqual(
      expect.arrayContaining([
        'payload_oxum bag-info.txt',
        'file_missing data/directory/users.jsonl',
        'file_unlisted data/smuggled.txt',
      ]),
    );
  });

  it('requires the sidecar unless told not to', async () => {
    const copy = join(dir, 'nosidecar.zip');
    await copyFile(written.location, copy);
    expect(codes(await verifyArchive(copy))).toEqual([`sidecar_missing ${copy}.sha256`]);
    expect((await verifyArchive(copy, { sidecar: false })).ok).toBe(true);
  });

  it('checks the full custody log beside the archive: intact, and starting with the sealed one', async () => {
    const folder = dirname(written.location);
    const beside = join(folder, 'custody.jsonl');
    await copyFile(join(dir, 'custody.jsonl'), beside);
    const log = await CustodyLog.open(beside);
    await log.append('upload', { sha256: written.sha256 });
    await log.append('readback', { ok: true });
    await log.close();
    const good = await verifyArchive(written.location);
    expect(good.problems).toEqual([]);
    expect(good.custodyBeside).toEqual({ location: beside, entries: 5 });

    const text = await readFile(beside, 'utf8');
    await writeFile(beside, text.replace('"operator":"alice"', '"operator":"mallory"'));
    const bad = await verifyArchive(written.location);
    expect(codes(bad)).toEqual([`custody_beside ${beside}`, `custody_beside ${beside}`]);
    await unlink(beside);
  });

  it('refuses a target that does not exist with a usage error', async () => {
    await expect(verifyArchive(join(dir, 'nope.zip'))).rejects.toMatchObject({ code: 'usage' });
  });
});
