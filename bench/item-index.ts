/**
 * The staging store's item index at the scale of 100,000 chats: 330,000 items of the export's
 * shapes (chats with files and refs, files, activities and users as JSONL rows) put into a real
 * store, then the live heap after a full GC, the time of one `status()` hit per item (what the
 * quiescence pass does, on the store reopened: the index rebuilt from the journal), twice.
 * `npm run bench:item-index [-- items]` (node --expose-gc: the heap is measured after a full GC). Prints
 *   items=<n> heap_per_item_b=<n> heap_per_item_reopened_b=<n> status_us=<n> ... replay_s=<n>
 * Target: ≤ 40 bytes an item.
 */
import { createHash } from 'node:crypto';
import { openStore, type RecordInput, type RecordKind, type StagingStore } from '../src/store/index.js';
import { info, runBench, tempDir } from './lib/run-bench.js';

const ITEMS = Number(process.argv[2] ?? 330_000);

const gc = (): void => {
  const run = (globalThis as { gc?: () => void }).gc;
  if (run === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i += 1) run();
};

/** The JS heap plus ArrayBuffers (typed arrays live outside the heap), after a full GC. */
const heapUsed = (): number => {
  gc();
  const { heapUsed: heap, arrayBuffers } = process.memoryUsage();
  return heap + arrayBuffers;
};

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** A base-58-ish API id such as `claude_chat_01H5CWunD7RpVJ5bHa8RCkja`. */
const apiId = (prefix: string, n: number): string =>
  `${prefix}_01${sha(`${prefix}${n}`)
    .slice(0, 22)
    .replace(/[0-9]/g, (d) => 'ABCDEFGHJK'[Number(d)]!)}`;

/** Item `i` of the mix: 30% chats (with a file and refs), 30% files, 30% activities, 10% users. */
function item(i: number): { kind: RecordKind; id: string; input: RecordInput } {
  const when = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const user = apiId('user', i % 5_000);
  const source = { endpoint: '/v1/compliance/apps/chats', requestId: `req_${sha(String(i)).slice(0, 24)}` };
  const mod = i % 10;
  if (mod < 3) {
    const id = apiId('claude_chat', i);
    const file = apiId('claude_file', i);
    const input: RecordInput = {
      kind: 'chat',
      id,
      updatedAt: when,
      createdAt: when,
      custodian: user,
      refs: [`file:${file}`],
      signals: sha(`sig${i}`).slice(0, 16),
      files: [{ path: `chats/${user}/${id}.json`, sha256: sha(id), md5: md5(id), size: 4_000 + i }],
      source,
    };
    return { kind: 'chat', id, input };
  }
  if (mod < 6) {
    const id = apiId('claude_file', i);
    const input: RecordInput = {
      kind: 'file',
      id,
      updatedAt: when,
      createdAt: when,
      custodian: user,
      parent: apiId('claude_chat', i - 1),
      originalName: `report ${i}.pdf`,
      files: [{ path: `files/${id}/report ${i}.pdf`, sha256: sha(id), md5: md5(id), size: 90_000 + i }],
      source: { ...source, endpoint: '/v1/compliance/apps/chats/files' },
    };
    return { kind: 'file', id, input };
  }
  const kind: RecordKind = mod < 9 ? 'activity' : 'user';
  const id = kind === 'user' ? apiId('user', i) : `activity_${sha(String(i)).slice(0, 26)}`;
  const json = JSON.stringify({
    id,
    created_at: when,
    type: 'claude_chat_created',
    actor: { user_id: user },
  });
  const input: RecordInput = {
    kind,
    id,
    updatedAt: when,
    row: { aggregate: kind === 'user' ? 'directory/users.jsonl' : 'activity/activities.jsonl', json },
    source: { ...source, endpoint: '/v1/compliance/activities' },
  };
  return { kind, id, input };
}

/** One status() per item, in insertion order: µs per call. */
function statusPass(store: StagingStore, keys: readonly (readonly [RecordKind, string])[]): number {
  const started = process.hrtime.bigint();
  for (const [kind, id] of keys) {
    if (store.status(kind, id).state !== 'stored') throw new Error(`${kind} ${id} not stored`);
  }
  return Number(process.hrtime.bigint() - started) / 1000 / keys.length;
}

/** Measured after the heap figures: the keys alone hold ~30 MB. */
const allKeys = (): (readonly [RecordKind, string])[] =>
  Array.from({ length: ITEMS }, (_, i) => {
    const { kind, id } = item(i);
    return [kind, id] as const;
  });

runBench('bench:item-index', 20 * 60_000, async () => {
  const stateDir = await tempDir('item-index');
  const options = { stateDir, jobName: 'job', specSha256: 'a'.repeat(64), batchLines: 1024 };
  const before = heapUsed();
  let store: StagingStore | null = await openStore(options);
  const started = Date.now();
  for (let i = 0; i < ITEMS; i += 1) {
    if (store.putRecord(item(i).input, 1) !== 'new') throw new Error(`item ${i} not new`);
    if (i % 1024 === 1023) await store.ready();
  }
  await store.flush();
  const putS = (Date.now() - started) / 1000;
  const heapPerItem = (heapUsed() - before) / ITEMS;
  info(`put ${ITEMS} items in ${putS.toFixed(1)} s; heap ${((heapPerItem * ITEMS) / 1e6).toFixed(1)} MB`);
  info(`counts ${JSON.stringify(Object.fromEntries(store.countsByKind()))}`);
  await store.close();
  store = null;

  const reopenedAt = Date.now();
  const again = await openStore(options);
  const replayS = (Date.now() - reopenedAt) / 1000;
  const heapPerItemReopened = (heapUsed() - before) / ITEMS;
  const keys = allKeys();
  const statusUs = statusPass(again, keys);
  const statusUsAgain = statusPass(again, keys);
  await again.close();
  return {
    items: ITEMS,
    heap_per_item_b: heapPerItem.toFixed(1),
    heap_per_item_reopened_b: heapPerItemReopened.toFixed(1),
    status_us: statusUs.toFixed(2),
    status_us_second_pass: statusUsAgain.toFixed(2),
    put_s: putS.toFixed(1),
    replay_s: replayS.toFixed(1),
  };
});
