/**
 * The merge-join check of an ordered zip (ordered-zip.ts) against the map-based check
 * (verify-bag.ts) on the same corrupted archives: the same problems, in the same order, and the
 * same facts; and the zips it must not take (a duplicate entry, a manifest out of order) are
 * handed to the map-based check before anything is reported.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WrittenArchive } from '../../src/sink/sink.js';
import type { BagCheck } from '../../src/verify/verify-bag.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { verifyBag } from '../../src/verify/verify-bag.js';
import { verifyOrderedZip } from '../../src/verify/ordered-zip.js';
import { localBlocks, openLocalZip } from '../../src/verify/zip-source.js';
import { python } from '../archive/fixtures.js';
import { FOLDER, buildArchive } from './bag-builder.js';

let dir: string;
let written: WrittenArchive;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ordered-zip-'));
  written = await buildArchive(dir);
  // Apart from the run's custody log, which verifyArchive would compare with each rewritten bag's.
  await mkdir(join(dir, 'zips'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Rewrites the sealed zip with Python's zipfile: entries dropped, replaced or added (payload kept
 * in byte order of path, other entries where they were), manifest lines swapped or added, entries appended
 * at the very end (out of order).
 */
const PY_REWRITE = `
import json, sys, zipfile, warnings
warnings.simplefilter('ignore')
src, dst, ops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
zin = zipfile.ZipFile(src)
top = zin.namelist()[0].split('/')[0] + '/'
entries = [[i.filename[len(top):], zin.read(i), i.compress_type] for i in zin.infolist()]
entries = [e for e in entries if e[0] not in ops.get('drop', [])]
for p, text in ops.get('put', {}).items():
  hit = [e for e in entries if e[0] == p]
  if hit: hit[0][1] = text.encode()
  else: entries.append([p, text.encode(), 8])
for name, text in ops.get('appendLines', {}).items():
  e = [e for e in entries if e[0] == name][0]
  e[1] = e[1] + text.encode()
for name, (a, b) in ops.get('swapLines', {}).items():
  e = [e for e in entries if e[0] == name][0]
  lines = e[1].decode().split('\\n'); lines[a], lines[b] = lines[b], lines[a]
  e[1] = '\\n'.join(lines).encode()
data = sorted([e for e in entries if e[0].startswith('data/')], key=lambda e: e[0].encode())
before = [e for e in entries if not e[0].startswith('data/') and e[0].encode() < b'data/']
after = [e for e in entries if not e[0].startswith('data/') and e[0].encode() > b'data/']
extra = [[p, t.encode(), 0] for p, t in ops.get('append', {}).items()]
z = zipfile.ZipFile(dst, 'w')
for name, body, method in before + data + after + extra:
  z.writestr(zipfile.ZipInfo(top + name, date_time=(2026, 11, 22, 10, 13, 0)), body, compress_type=method)
z.close()
print('null')
`;

interface Ops {
  readonly drop?: readonly string[];
  readonly put?: Readonly<Record<string, string>>;
  readonly swapLines?: Readonly<Record<string, [number, number]>>;
  readonly appendLines?: Readonly<Record<string, string>>;
  readonly append?: Readonly<Record<string, string>>;
}

function rewritten(name: string, ops: Ops): string {
  const out = join(dir, 'zips', name);
  python(PY_REWRITE, written.location, out, JSON.stringify(ops));
  return out;
}

/** The sealed zip with one byte of a stored payload entry's data flipped (its CRC no longer holds). */
async function crcBroken(name: string, entry: string): Promise<string> {
  const out = join(dir, 'zips', name);
  await copyFile(written.location, out);
  const { offset, method } = python<{ offset: number; method: number }>(
    `
import json, struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); i = z.getinfo(sys.argv[2])
with open(sys.argv[1], 'rb') as f:
  f.seek(i.header_offset); h = f.read(30)
  n, e = struct.unpack('<HH', h[26:30])
print(json.dumps({"offset": i.header_offset + 30 + n + e, "method": i.compress_type}))
`,
    out,
    `${FOLDER}/${entry}`,
  );
  expect(method).toBe(0);
  const bytes = await readFile(out);
  bytes[offset + 10] = bytes[offset + 10]! ^ 0x01;
  await writeFile(out, bytes);
  return out;
}

/** Both checks of one zip: the merge join (null when it handed the zip over) and the map-based one. */
async function bothChecks(zip: string): Promise<{ merged: BagCheck | null; mapped: BagCheck }> {
  const { blocks, close } = await localBlocks(zip);
  const merged = await verifyOrderedZip(blocks, 'zip').finally(close);
  const source = await openLocalZip(zip);
  const mapped = await verifyBag(source).finally(() => source.close());
  return { merged, mapped };
}

const codes = (c: BagCheck): string[] => c.problems.map((p) => `${p.code} ${p.path ?? ''}`.trim());

const CHAT = 'data/chats/claude_chat_1.json';
const USERS = 'data/directory/users.jsonl';

describe('the merge join of an ordered zip gives what the map-based check gives', () => {
  const cases: { name: string; zip: () => Promise<string> | string; ordered: boolean; codes: string[] }[] = [
    { name: 'a clean bag', zip: () => rewritten('clean.zip', {}), ordered: true, codes: [] },
    {
      name: 'a missing payload file',
      zip: () => rewritten('missing.zip', { drop: [USERS] }),
      ordered: true,
      codes: ['payload_oxum bag-info.txt', `file_missing ${USERS}`, `file_missing ${USERS}`],
    },
    {
      name: 'an unlisted payload file',
      zip: () => rewritten('unlisted.zip', { put: { 'data/chats/smuggled.txt': 'not listed' } }),
      ordered: true,
      codes: [
        'payload_oxum bag-info.txt',
        'file_unlisted data/chats/smuggled.txt',
        'file_unlisted data/chats/smuggled.txt',
      ],
    },
    {
      name: 'a payload file that does not hash as listed',
      zip: () => rewritten('mismatch.zip', { put: { [CHAT]: '{"edited":true}' } }),
      ordered: true,
      codes: ['payload_oxum bag-info.txt', `hash_mismatch ${CHAT}`, `hash_mismatch ${CHAT}`],
    },
    {
      name: 'a CRC error in a payload entry',
      zip: () => crcBroken('crc.zip', 'data/files/claude_file_3/blob.bin'),
      ordered: true,
      codes: ['zip_crc data/files/claude_file_3/blob.bin'],
    },
    {
      name: 'files missing before the first and after the last entry, one unlisted, one edited',
      zip: () =>
        rewritten('several.zip', {
          drop: [CHAT, 'data/files/claude_file_3/blob.bin'],
          put: { [USERS]: 'edited', 'data/aaa.txt': 'x', 'data/zzz.txt': 'y' },
        }),
      ordered: true,
      codes: [
        'payload_oxum bag-info.txt',
        ...['md5', 'sha256'].flatMap(() => [
          `file_missing ${CHAT}`,
          `hash_mismatch ${USERS}`,
          'file_missing data/files/claude_file_3/blob.bin',
          'file_unlisted data/aaa.txt',
          'file_unlisted data/zzz.txt',
        ]),
      ],
    },
    {
      name: 'an edited tag file and a manifest of an unsupported algorithm',
      zip: () =>
        rewritten('tag.zip', {
          put: { 'reports/custody.jsonl': 'x\n', 'manifest-crc32.txt': 'ab data/x\n' },
        }),
      ordered: true,
      codes: [
        'unsupported_algorithm manifest-crc32.txt',
        'tag_hash_mismatch reports/custody.jsonl',
        'tag_hash_mismatch reports/custody.jsonl',
        'tag_unlisted manifest-crc32.txt',
        'custody_chain reports/custody.jsonl',
      ],
    },
    {
      name: 'a payload entry named twice',
      zip: () => rewritten('duplicate.zip', { append: { [CHAT]: 'second copy' } }),
      ordered: false,
      codes: [`unsafe_entry ${CHAT}`],
    },
    {
      name: 'a payload manifest out of order',
      zip: () => rewritten('manifest-order.zip', { swapLines: { 'manifest-sha256.txt': [0, 1] } }),
      ordered: false,
      codes: ['tag_hash_mismatch manifest-sha256.txt', 'tag_hash_mismatch manifest-sha256.txt'],
    },
    {
      name: 'a payload manifest listing a file outside data/',
      zip: () =>
        rewritten('outside-data.zip', {
          appendLines: { 'manifest-md5.txt': `${'0'.repeat(32)}  zzz.txt\n` },
        }),
      ordered: false,
      codes: [
        'manifest_syntax manifest-md5.txt',
        'tag_hash_mismatch manifest-md5.txt',
        'tag_hash_mismatch manifest-md5.txt',
      ],
    },
    {
      name: 'a tag manifest listing a payload file',
      zip: () =>
        rewritten('tag-lists-payload.zip', {
          appendLines: { 'tagmanifest-md5.txt': `${'0'.repeat(32)}  ${CHAT}\n` },
        }),
      ordered: false,
      codes: [`tag_hash_mismatch ${CHAT}`],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.ordered ? 'merged' : 'handed to the map-based check'}, same problems`, async () => {
      const zip = await c.zip();
      const { merged, mapped } = await bothChecks(zip);
      expect(merged !== null).toBe(c.ordered);
      if (merged !== null) {
        expect(merged.problems).toEqual(mapped.problems);
        expect(merged.facts).toEqual(mapped.facts);
        expect(merged.custodyText).toBe(mapped.custodyText);
      }
      const report = await verifyArchive(zip, { sidecar: false });
      expect(report.problems).toEqual(mapped.problems);
      expect(report.facts).toEqual(mapped.facts);
      expect(codes(mapped)).toEqual(c.codes);
    });
  }
});
