/**
 * `npm run bench:seal`: seal ≥ 1 GB of mixed content into a local archive and, in the same run,
 * time `sha256sum` over the same input files. Prints:
 *
 *   seal_mb_s=<n> sha256sum_mb_s=<n> ratio=<seal/sha256sum> peak_rss_mb=<n>
 *
 * then one line of details. Targets: ratio ≥ 0.5, peak RSS ≤ 256 MB. The headline seal is the
 * real sealBag into a sink doing the S3 sink's local work (SHA-256 + CRC32 of every zip byte),
 * discarding the bytes as the network would take them; the details line adds the same seal into
 * a LocalSink file (temp file, fsync, link). Payload hashes come from the "store" (computed while
 * generating), as in a real run. All timings read the same files from the page cache. Temp data
 * is deleted.
 *
 * Env: BENCH_SEAL_MB (default 1100), BENCH_SEAL_LEVEL (deflate level, default the sealer's).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PayloadFile } from '../src/archive/bag-input.js';
import { bufferTagFile } from '../src/archive/render-reports.js';
import { DEFAULT_DEFLATE_LEVEL, sealBag } from '../src/archive/seal-bag.js';
import { HashStream } from '../src/sink/hash-stream.js';
import { LocalSink } from '../src/sink/local-sink.js';
import { shipArchive } from '../src/sink/ship-archive.js';

const MB = 1024 * 1024;
const TARGET_BYTES = Number(process.env['BENCH_SEAL_MB'] ?? 1100) * MB;
const LEVEL = Number(process.env['BENCH_SEAL_LEVEL'] ?? DEFAULT_DEFLATE_LEVEL);

interface Generated {
  readonly path: string;
  readonly abs: string;
  readonly size: number;
  readonly sha256: string;
  readonly md5: string;
}

const WORDS =
  'the quarterly review of vendor contracts shows renewal terms legal hold custodian export archive policy retention audit evidence discovery privileged counsel draft final meeting notes action items budget forecast risk assessment incident response'.split(
    ' ',
  );

/** JSON-ish text with real variety (deflates to roughly a quarter, like chat exports). */
function textChunk(bytes: number, seed: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  while (size < bytes) {
    const words: string[] = [];
    for (let i = 0; i < 12 + (next() % 40); i += 1) words.push(WORDS[next() % WORDS.length]!);
    const line = `${JSON.stringify({
      id: `claude_msg_${next().toString(36)}${next().toString(36)}`,
      created_at: new Date(1_700_000_000_000 + (next() % 1e9) * 1000).toISOString(),
      sender: next() % 2 === 0 ? 'human' : 'assistant',
      text: words.join(' '),
      tokens: next() % 4000,
    })}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

const MAGIC: Record<string, Buffer> = {
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  zip: Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  bin: Buffer.alloc(0), // no magic: the sealer must probe it
};

async function writeFileHashed(dir: string, path: string, chunks: Iterable<Buffer>): Promise<Generated> {
  const abs = join(dir, path);
  await mkdir(join(abs, '..'), { recursive: true });
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const handle = await open(abs, 'w');
  let size = 0;
  for (const chunk of chunks) {
    sha.update(chunk);
    md5.update(chunk);
    await handle.write(chunk);
    size += chunk.length;
  }
  await handle.close();
  return { path, abs, size, sha256: sha.digest('hex'), md5: md5.digest('hex') };
}

/** About half text/JSON (many small chats, some large JSONL), half binaries (magic or none). */
async function generate(dir: string): Promise<Generated[]> {
  const files: Generated[] = [];
  let total = 0;
  let n = 0;
  const textPool = textChunk(8 * MB, 7);
  while (total < TARGET_BYTES) {
    n += 1;
    let file: Generated;
    if (n % 4 === 0) {
      // large JSONL aggregate, 4–12 MB, from the pool at a varying offset
      const size = (4 + (n % 9)) * MB;
      const start = (n * 7919) % (textPool.length - 1);
      const rotated = Buffer.concat([textPool.subarray(start), textPool.subarray(0, start)]);
      const chunks = function* (): Generator<Buffer> {
        for (let done = 0; done < size; done += rotated.length)
          yield rotated.subarray(0, Math.min(rotated.length, size - done));
      };
      file = await writeFileHashed(dir, `activities/part-${n}.jsonl`, chunks());
    } else if (n % 4 === 1 || n % 4 === 2) {
      // a burst of small chat JSON files (8–64 KB each)
      for (let k = 0; k < 40; k += 1) {
        const size = 8 * 1024 + ((n * 131 + k * 977) % (56 * 1024));
        const start = (n * 104_729 + k * 7_907) % (textPool.length - size);
        const f = await writeFileHashed(dir, `chats/claude_chat_${n}_${k}.json`, [
          textPool.subarray(start, start + size),
        ]);
        files.push(f);
        total += f.size;
      }
      continue;
    } else {
      // binaries 2–24 MB: PNG, ZIP (magic) or raw random (probed)
      const kinds = Object.keys(MAGIC);
      const kind = kinds[n % kinds.length]!;
      const size = (2 + (n % 23)) * MB;
      const chunks = function* (): Generator<Buffer> {
        yield MAGIC[kind]!;
        for (let done = MAGIC[kind]!.length; done < size; done += 4 * MB)
          yield randomBytes(Math.min(4 * MB, size - done));
      };
      file = await writeFileHashed(dir, `files/claude_file_${n}/upload.${kind}`, chunks());
    }
    files.push(file);
    total += file.size;
  }
  return files;
}

function sha256sum(files: readonly Generated[]): Promise<void> {
  // Batches keep argv under the limit; one process per batch, run one after another.
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += 400) batches.push(files.slice(i, i + 400).map((f) => f.abs));
  return batches.reduce<Promise<void>>(
    (chain, batch) =>
      chain.then(
        () =>
          new Promise<void>((resolve, reject) => {
            const child = spawn('sha256sum', batch, { stdio: ['ignore', 'ignore', 'inherit'] });
            child.on('error', reject);
            child.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`sha256sum exited ${code}`)),
            );
          }),
      ),
    Promise.resolve(),
  );
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-seal-'));
  try {
    const input = join(root, 'input');
    const files = await generate(input);
    const bytes = files.reduce((s, f) => s + f.size, 0);
    const mb = bytes / MB;

    const t0 = performance.now();
    await sha256sum(files);
    const shaSeconds = (performance.now() - t0) / 1000;

    const payload: PayloadFile[] = files.map((f) => ({
      path: f.path,
      size: f.size,
      sha256: f.sha256,
      md5: f.md5,
      open: () => createReadStream(f.abs, { highWaterMark: 1 * MB }),
    }));
    const bag = (): ReturnType<typeof sealBag> =>
      sealBag(
        {
          name: 'bench',
          asOfCut: '2026-11-22T10:13:00.000Z',
          payload: async function* () {
            yield* payload;
          },
          tagFiles: [bufferTagFile('reports/summary.json', '{}\n')],
          bagInfo: [['As-Of-Cut', '2026-11-22T10:13:00.000Z']],
        },
        { deflateLevel: LEVEL },
      );

    // Headline: seal into a sink that does what the S3 sink does locally (SHA-256 + CRC32 of
    // every zip byte) and discards the bytes, as the network would take them.
    const t1 = performance.now();
    const sealed = bag();
    const hasher = new HashStream();
    const [seal] = await Promise.all([
      sealed.done,
      pipeline(sealed.stream, hasher, new Writable({ write: (_c, _e, cb) => cb() })),
    ]);
    const sealSeconds = (performance.now() - t1) / 1000;
    const zipBytes = hasher.digest().bytes;

    // The same into a local file through LocalSink (temp file, fsync, link), for the record.
    const t2 = performance.now();
    await shipArchive(new LocalSink(join(root, 'out')), { name: 'bench', runId: '20261122T101300Z' }, bag());
    const localSeconds = (performance.now() - t2) / 1000;

    const sealRate = mb / sealSeconds;
    const shaRate = mb / shaSeconds;
    const peakRss = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
      `seal_mb_s=${sealRate.toFixed(1)} sha256sum_mb_s=${shaRate.toFixed(1)} ratio=${(sealRate / shaRate).toFixed(2)} peak_rss_mb=${peakRss.toFixed(0)}\n`,
    );
    process.stdout.write(
      `input_mb=${mb.toFixed(0)} files=${files.length} zip_mb=${(zipBytes / MB).toFixed(0)} seal_local_file_mb_s=${(mb / localSeconds).toFixed(1)} stored=${seal.stored} deflated=${seal.deflated} deflate_level=${LEVEL} seal_s=${sealSeconds.toFixed(1)} sha256sum_s=${shaSeconds.toFixed(1)} cpus=${cpus().length}\n`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
