/** Test fixtures: an in-memory bag input, zips collected to a buffer, Python zipfile helpers. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BagInput, PayloadFile, TagFile } from '../../src/archive/bag-input.js';
import { bufferTagFile } from '../../src/archive/render-reports.js';

export const CUT = '2026-11-22T10:13:00.000Z';

export function payloadFile(path: string, bytes: Buffer | string): PayloadFile {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return {
    path,
    size: buffer.length,
    sha256: createHash('sha256').update(buffer).digest('hex'),
    md5: createHash('md5').update(buffer).digest('hex'),
    // Two chunks, so the seal's head-peeking and re-joining is exercised.
    open: () => Readable.from([buffer.subarray(0, 7), buffer.subarray(7)].filter((b) => b.length > 0)),
  };
}

/** Deterministic pseudo-random bytes (incompressible), seeded (xorshift32: fast for MiBs). */
export function noise(size: number, seed = 1): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i += 1) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, size);
}

export function sampleFiles(): Record<string, Buffer> {
  const chat = JSON.stringify({
    chat: { id: 'claude_chat_1', name: 'Q3 plan' },
    messages: [{ id: 'm1', text: 'hello '.repeat(400) }],
  });
  return {
    'chats/claude_chat_1.json': Buffer.from(chat),
    'directory/users.jsonl': Buffer.from('{"id":"user_1","email":"a@example.com"}\n'.repeat(50)),
    'files/claude_file_1/report #1 (100 pct).pdf': Buffer.concat([
      Buffer.from('%PDF-1.7\n'),
      Buffer.from('stream text '.repeat(200)),
    ]),
    'files/claude_file_2/photo.png': Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      noise(3000, 2),
    ]),
    'files/claude_file_3/blob.bin': noise(100_000, 3),
    'files/claude_file_4/empty.txt': Buffer.alloc(0),
    'files/claude_file_5/Ünïcödé résumé.txt': Buffer.from('naïve café\n'),
  };
}

export function bagInput(
  files: Record<string, Buffer>,
  tagFiles: TagFile[] = [],
  name = 'legal-hold',
): BagInput {
  // Deliberately not sorted: the sealer must sort.
  const list = Object.entries(files)
    .reverse()
    .map(([p, b]) => payloadFile(p, b));
  return {
    name,
    asOfCut: CUT,
    payload: async function* () {
      yield* list;
    },
    tagFiles:
      tagFiles.length > 0 ? tagFiles : [bufferTagFile('reports/summary.json', '{"status":"complete"}\n')],
    bagInfo: [
      ['As-Of-Cut', CUT],
      ['Job-Spec-SHA256', 'ab'.repeat(32)],
      ['Matter', 'Doe v. Roe\nline two'],
    ],
  };
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs a Python snippet with the zip path as argv[1]; returns parsed JSON stdout. */
export function python<T>(script: string, ...args: string[]): T {
  const out = execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  return JSON.parse(out) as T;
}

export const PY_LIST = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({"bad": z.testzip(), "entries": [
  {"name": i.filename, "method": i.compress_type, "mode": (i.external_attr >> 16) & 0o7777,
   "date": list(i.date_time), "size": i.file_size} for i in z.infolist()]}))
`;

/** Extracts with Python's zipfile into argv[2]; prints every extracted path, resolved. */
export const PY_EXTRACT = `
import json, os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
z.extractall(sys.argv[2])
out = []
for root, dirs, files in os.walk(sys.argv[2]):
  for f in files:
    out.append(os.path.realpath(os.path.join(root, f)))
print(json.dumps(out))
`;
