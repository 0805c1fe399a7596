/**
 * The family plan sorted on disk (src/produce/families.ts over src/archive/external-sort.ts): a
 * store of 82 documents (24 chats with hostile ids, their files, files shared by three chats and
 * recorded under the last of them, orphans, a file whose chat recorded no reference) produced with
 * runs of 3 merged two at a time, so entries, references and the join cross many run files. The
 * order is checked against one computed here the naive way (in memory, Buffer.compare), the
 * output against the default runs byte for byte, and the sort's files in the state folder's
 * `tmp/`: there (0600, whatever the umask) while the stage runs, gone when it ends or fails.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemRow } from '../../../src/archive/report-rows.js';
import { ITEM_KINDS } from '../../../src/collect/index.js';
import { ExportError } from '../../../src/errors.js';
import type { ConversationInput, ConversationOutput } from '../../../src/produce/conversation/types.js';
import { formatDocid } from '../../../src/produce/docid.js';
import { produceReview, type ProduceOptions } from '../../../src/produce/produce-review.js';
import { buildBagPayload, openStore, type StagingStore } from '../../../src/store/index.js';
import { familyStore, type FamilyWorld } from './family-world.js';

let dir: string;
const opened: StagingStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'family-sort-'));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in renderer: the transcript names the attachments, so a family's members show in bytes. */
const render = async (input: ConversationInput): Promise<ConversationOutput> => ({
  rsmf: [
    {
      fileName: `c${createHash('sha256').update(input.id).digest('hex').slice(0, 16)}.rsmf`,
      bytes: Buffer.from(`rsmf of ${input.id}`),
      eventCount: 0,
      beginDate: null,
      endDate: null,
      attachmentIds: [...input.attachments.keys()],
    },
  ],
  transcript: `${input.id}: ${[...input.attachments.keys()].join(',')}\n`,
  messageCount: 0,
});

const CHILD = fileURLToPath(new URL('./fixtures/produce-child.ts', import.meta.url));
const SMALL_RUNS = { runSize: 3, fanIn: 2 };
const OPTIONS: ProduceOptions = { docidPrefix: 'FAM', generator: 'test 0', render };

async function open(name: string): Promise<{ store: StagingStore; world: FamilyWorld }> {
  const store = await openStore({
    stateDir: join(dir, name),
    jobName: 'job',
    specSha256: 'e'.repeat(64),
    batchMs: 5,
  });
  opened.push(store);
  return { store, world: await familyStore(store) };
}

async function produce(store: StagingStore, options: ProduceOptions) {
  const product = await produceReview(store, await buildBagPayload(store), options);
  const review: [string, string][] = [];
  for await (const f of product.bag.payload())
    if (f.path.startsWith('review/')) review.push([f.path, f.sha256]);
  const items: ItemRow[] = [];
  for await (const row of product.items()) items.push(row);
  return { review, items, counts: product.counts };
}

const tmpOf = (store: StagingStore): string => join(store.dir, 'tmp');

/** DOCID, parent DOCID, kind and id of each document row, in load-file order. */
const documents = (items: readonly ItemRow[]) =>
  items.filter((r) => r.records === null).map((r) => [r.docid, r.parentDocid, r.kind, r.id]);

/** The order the stage must give, computed in memory from the world's records. */
function naiveOrder(world: FamilyWorld): string[][] {
  const rank = (kind: 'chat' | 'file'): number => {
    const role = ITEM_KINDS[kind];
    if (role.role !== 'document') throw new Error(`${kind} is not a document kind`);
    return role.rank;
  };
  const bytes = (id: string): Buffer => Buffer.from(id, 'utf8');
  const chats = new Set(world.chats.map((c) => c.id));
  const byKey = (a: [number, string], b: [number, string]): number =>
    a[0] - b[0] || Buffer.compare(bytes(a[1]), bytes(b[1]));
  const families = new Map<
    string,
    { root: [number, string, string]; children: [number, string, string][] }
  >();
  const familyOf = (kind: 'chat' | 'file', id: string) => {
    const key = `${kind}\u0000${id}`;
    let f = families.get(key);
    if (f === undefined) families.set(key, (f = { root: [rank(kind), id, kind], children: [] }));
    return f;
  };
  for (const c of world.chats) familyOf('chat', c.id);
  for (const file of world.files) {
    const referencing = world.chats
      .filter((c) => c.refs.includes(file.id))
      .map((c) => c.id)
      .sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
    const chat = referencing[0] ?? (file.parent !== null && chats.has(file.parent) ? file.parent : null);
    if (chat === null) familyOf('file', file.id);
    else familyOf('chat', chat).children.push([rank('file'), file.id, 'file']);
  }
  const rows: string[][] = [];
  let n = 0;
  for (const f of [...families.values()].sort((a, b) =>
    byKey([a.root[0], a.root[1]], [b.root[0], b.root[1]]),
  )) {
    const root = formatDocid('FAM', (n += 1));
    rows.push([root, '', f.root[2], f.root[1]]);
    for (const c of f.children.sort((a, b) => byKey([a[0], a[1]], [b[0], b[1]])))
      rows.push([formatDocid('FAM', (n += 1)), root, c[2], c[1]]);
  }
  return rows;
}

describe('the family plan sorted on disk', () => {
  it('orders 82 documents in runs of 3 as the naive in-memory sort does: shared files under the first chat by id', async () => {
    const { store, world } = await open('a');
    const { items, counts } = await produce(store, { ...OPTIONS, sort: SMALL_RUNS });
    const expected = naiveOrder(world);
    expect(expected).toHaveLength(82);
    expect(documents(items)).toEqual(expected);
    expect(counts.documents).toBe(82);
    // Each shared file went to the first of its three chats, not to the one it was recorded under.
    for (const s of world.shared) {
      const row = items.find((r) => r.id === s.id)!;
      const parent = items.find((r) => r.docid === row.parentDocid)!;
      expect([parent.kind, parent.id]).toEqual(['chat', s.firstChat]);
      expect(s.firstChat).not.toBe(s.parent);
    }
  });

  it('gives the same review files and items rows, byte for byte, with runs of 3 as with the default runs', async () => {
    const a = await open('a');
    const b = await open('b');
    const small = await produce(a.store, { ...OPTIONS, sort: SMALL_RUNS });
    const whole = await produce(b.store, OPTIONS);
    expect(small.review).toEqual(whole.review);
    expect(small.items).toEqual(whole.items);
    expect(small.counts).toEqual(whole.counts);
  });

  it('keeps its entries in 0600 files under tmp/ while it produces, whatever the umask, and none after', async () => {
    for (const umask of [0o000, 0o277]) {
      const { store } = await open(`umask-${umask}`);
      const seen: number[] = [];
      // The sort's files hold JSON strings (the packed entries); the load file being written is
      // there too, and is the store's business.
      const spying = async (input: ConversationInput): Promise<ConversationOutput> => {
        for (const name of await readdir(tmpOf(store))) {
          const path = join(tmpOf(store), name);
          if ((await readFile(path, 'utf8')).startsWith('"')) seen.push((await stat(path)).mode & 0o777);
        }
        return render(input);
      };
      const old = process.umask(umask);
      await produce(store, { ...OPTIONS, render: spying, sort: SMALL_RUNS }).finally(() =>
        process.umask(old),
      );
      // At least one file of entries on disk for each of the 24 conversations rendered.
      expect(seen.length).toBeGreaterThanOrEqual(24);
      expect(new Set(seen)).toEqual(new Set([0o600]));
      expect(await readdir(tmpOf(store))).toEqual([]);
    }
  });

  it('leaves after a kill -9 only files the next open clears; that open produces what a clean run does', async () => {
    const { store } = await open('killed');
    await store.close();
    opened.splice(0);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, join(dir, 'killed')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('producing\n')) resolve();
      });
      child.on('close', () => reject(new Error(`the child ended before producing: ${out}`)));
    });
    const tmp = join(dir, 'killed', 'job', 'tmp');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // What the kill left: the sort's files (JSON strings: packed entries), beside the load file begun.
    const entries = [];
    for (const name of await readdir(tmp))
      if ((await readFile(join(tmp, name), 'utf8')).startsWith('"')) entries.push(name);
    expect(entries.length).toBeGreaterThan(0);
    const again = await openStore({
      stateDir: join(dir, 'killed'),
      jobName: 'job',
      specSha256: 'e'.repeat(64),
    });
    opened.push(again);
    expect(await readdir(tmp)).toEqual([]);
    const resumed = await produce(again, { ...OPTIONS, sort: SMALL_RUNS });
    const clean = await produce((await open('clean')).store, OPTIONS);
    expect(resumed.review).toEqual(clean.review);
    expect(resumed.items).toEqual(clean.items);
  });

  it('removes its files when the stage fails, and fails with the renderer’s code', async () => {
    const { store } = await open('fails');
    let calls = 0;
    const failing = async (input: ConversationInput): Promise<ConversationOutput> => {
      calls += 1;
      if (calls === 5) throw new ExportError('internal', 'renderer broke');
      return render(input);
    };
    await expect(produce(store, { ...OPTIONS, render: failing, sort: SMALL_RUNS })).rejects.toMatchObject({
      code: 'internal',
    });
    expect(calls).toBe(5);
    expect(await readdir(tmpOf(store))).toEqual([]);
  });
});
