/**
 * The production stage's memory at the scale of 100,000 chats: a synthetic staged store (chats with
 * two files each, every fifth chat also referencing one of 5,000 files shared by several chats; ~300,000
 * documents) is built here, then `produceReview` runs over it in a child `node --expose-gc` that
 * samples its own memory. `npm run bench:produce-memory [-- chats]`. Prints
 *   chats=<n> documents=<n> peak_heap_over_base_mb=<n> peak_live_over_base_mb=<n> peak_rss_mb=<n>
 *   peak_array_buffers_mb=<n> output_sha256=<hex> ...
 * Baseline: the child after the store is opened and the bag payload built, before the stage, after
 * a full GC. Peaks are sampled every 20 ms; the live set is heap used right after a forced full GC,
 * every 4 s. `output_sha256` digests the load file, the review files and items.csv's rows: two
 * versions of the code must print the same one. The conversation renderer is replaced by one that
 * returns fixed bytes (its memory is one conversation's, whatever the org), so the figures are the
 * stage's own holdings and the run takes minutes, not the hours 200,000 fsynced RSMF files would.
 * The heap may grow 25% past the live set, as the CLI sets it (src/cli/heap-tuning.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { tuneHeap } from '../src/cli/heap-tuning.js';
import type { ConversationInput, ConversationOutput } from '../src/produce/conversation/types.js';
import { produceReview } from '../src/produce/produce-review.js';
import { buildBagPayload, openStore, type RecordInput, type StagingStore } from '../src/store/index.js';
import { info, runBench, tempDir } from './lib/run-bench.js';

const STORE = { jobName: 'job', specSha256: 'b'.repeat(64) };
const SHARED_FILES = 5_000;
/** How often the child forces a full GC to read its live set (each one costs ~0.1 s at 150 MB). */
const LIVE_MS = 4_000;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A base-58-ish API id such as `claude_chat_01H5CWunD7RpVJ5bHa8RCkja`. */
const apiId = (prefix: string, n: number): string =>
  `${prefix}_01${sha(`${prefix}${n}`)
    .slice(0, 22)
    .replace(/[0-9]/g, (d) => 'ABCDEFGHJK'[Number(d)]!)}`;

/** The staged records of a world of `chats` chats (files share a few blobs: only ids matter here). */
async function stage(store: StagingStore, chats: number): Promise<number> {
  const chatDoc = await store.blobs.putBytes('{"chat":{},"messages":[]}');
  const text = await store.blobs.putBytes('plain text\n');
  const binary = await store.blobs.putBytes(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
  const meta = await store.blobs.putBytes('{}');
  const source = { endpoint: '/v1/compliance/apps/chats', requestId: 'req_bench' };
  let documents = 0;
  const put = async (input: RecordInput): Promise<void> => {
    if (store.putRecord(input, 1) !== 'new') throw new Error(`${input.kind} ${input.id} not new`);
    documents += 1;
    if (documents % 1024 === 0) await store.ready();
  };
  const file = (id: string, parent: string, custodian: string, n: number): RecordInput => ({
    kind: 'file',
    id,
    updatedAt: null,
    custodian,
    parent,
    originalName: `report ${n}.txt`,
    files: [
      { path: `files/${id}/report ${n}.txt`, ...(n % 2 === 0 ? text : binary) },
      { path: `files/${id}/metadata.json`, ...meta },
    ],
    source: { ...source, endpoint: '/v1/compliance/apps/chats/files' },
  });
  for (let i = 0; i < chats; i += 1) {
    const id = apiId('claude_chat', i);
    const user = apiId('user', i % 2_000);
    const own = [apiId('claude_file', 2 * i), apiId('claude_file', 2 * i + 1)];
    const shared = i % 5 === 0 ? [apiId('claude_file_shared', (i / 5) % SHARED_FILES)] : [];
    await put({
      kind: 'chat',
      id,
      updatedAt: '2026-01-01T00:00:00Z',
      custodian: user,
      refs: [...own, ...shared].map((f) => `file:${f}`).sort(),
      files: [{ path: `chats/${user}/${id}.json`, ...chatDoc }],
      source,
    });
    for (const [k, f] of own.entries()) await put(file(f, id, user, 2 * i + k));
    // A shared file is recorded once, with the first chat that reached it.
    if (shared.length > 0 && i / 5 < SHARED_FILES) await put(file(shared[0]!, id, user, i));
  }
  await store.flush();
  return documents;
}

/** The renderer's stand-in: one fixed RSMF part and transcript per conversation. */
const fixedRender = async (input: ConversationInput): Promise<ConversationOutput> => ({
  rsmf: [
    {
      fileName: `${input.id}.rsmf`,
      bytes: Buffer.from('rsmf'),
      eventCount: 0,
      beginDate: null,
      endDate: null,
      attachmentIds: [...input.attachments.keys()],
    },
  ],
  transcript: `${input.attachments.size}\n`,
  messageCount: 0,
});

const gc = (): void => {
  const run = (globalThis as { gc?: () => void }).gc;
  if (run === undefined) throw new Error('run with node --expose-gc');
  run();
};

/** The child: opens the store, measures a baseline, runs the stage while sampling, prints JSON. */
async function child(stateDir: string): Promise<void> {
  tuneHeap();
  const store = await openStore({ stateDir, ...STORE });
  const bag = await buildBagPayload(store);
  gc();
  const base = process.memoryUsage();
  const peak = { heap: base.heapUsed, live: base.heapUsed, rss: base.rss, arrayBuffers: base.arrayBuffers };
  const sample = (): void => {
    const m = process.memoryUsage();
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.rss = Math.max(peak.rss, m.rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  const sampler = setInterval(sample, 20);
  const liveSampler = setInterval(() => {
    sample();
    gc();
    peak.live = Math.max(peak.live, process.memoryUsage().heapUsed);
  }, LIVE_MS);
  const started = Date.now();
  const review = await produceReview(store, bag, {
    docidPrefix: 'BENCH',
    generator: 'bench',
    render: fixedRender,
  });
  clearInterval(sampler);
  clearInterval(liveSampler);
  sample();
  const wallS = (Date.now() - started) / 1000;
  const digest = createHash('sha256');
  for await (const f of review.bag.payload())
    if (f.path.startsWith('review/')) digest.update(`${f.path}\t${f.sha256}\t${f.size}\n`);
  for await (const row of review.items()) digest.update(`${JSON.stringify(row)}\n`);
  await store.close();
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  process.stdout.write(
    `${JSON.stringify({
      documents: review.counts.documents,
      base_heap_mb: mb(base.heapUsed),
      peak_heap_over_base_mb: mb(peak.heap - base.heapUsed),
      peak_live_over_base_mb: mb(peak.live - base.heapUsed),
      peak_rss_mb: mb(peak.rss),
      base_rss_mb: mb(base.rss),
      peak_array_buffers_mb: mb(peak.arrayBuffers),
      produce_s: wallS.toFixed(1),
      output_sha256: digest.digest('hex'),
    })}\n`,
  );
}

async function parent(): Promise<Record<string, string | number>> {
  const chats = Number(process.argv[2] ?? 100_000);
  const stateDir = await tempDir('produce-memory');
  const started = Date.now();
  const store = await openStore({ stateDir, ...STORE, batchLines: 1024 });
  const staged = await stage(store, chats);
  await store.close();
  info(`staged ${staged} documents (${chats} chats) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const self = fileURLToPath(import.meta.url);
  const out = await new Promise<string>((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', stateDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))));
  });
  return { chats, ...(JSON.parse(out) as Record<string, string | number>) };
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!);
} else {
  runBench('bench:produce-memory', 60 * 60_000, parent);
}
