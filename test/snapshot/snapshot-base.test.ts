/**
 * A snapshot base in a real staging store: records taken over from an inventory are held (not
 * fetched), confirmed by a listing, replaced by a new version that keeps the base's bytes when
 * they hash the same, and settled after collection (gone since the previous snapshot → removed and
 * listed as drift). Replaying the journal gives the same state (a resumed run).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExportError } from '../../src/errors.js';
import { buildBagPayload, openStore, type StagingStore } from '../../src/store/index.js';
import {
  REFETCH_SIGNALS,
  baseOf,
  seedFromInventory,
  settleSnapshot,
} from '../../src/snapshot/snapshot-base.js';
import type { InventoryHeader, InventoryLine, InventoryRecord } from '../../src/snapshot/types.js';
import { writeInventory } from '../../src/snapshot/write-inventory.js';

const SPEC = 'b'.repeat(64);
const BASE_CUT = '2026-11-01T00:00:00.000Z';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snap-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const open = (): Promise<StagingStore> =>
  openStore({ stateDir: dir, jobName: 'job', specSha256: SPEC, batchMs: 5 });

function rec(
  kind: InventoryRecord['kind'],
  id: string,
  body: string,
  extra: Partial<InventoryRecord> = {},
): InventoryRecord {
  const path = `${kind}s/${id}.json`;
  return {
    type: 'record',
    kind,
    id,
    updatedAt: '2026-10-01T00:00:00.000Z',
    createdAt: '2026-09-01T00:00:00.000Z',
    deletedAt: null,
    custodian: 'u@example.com',
    originalName: null,
    parent: null,
    refs: [],
    signals: 'sig',
    hash: sha(body),
    files: [{ path, sha256: sha(body), md5: md5(body), size: Buffer.byteLength(body) }],
    row: null,
    endpoint: `/v1/compliance/x/${id}`,
    heldBy: '20261001T000000Z',
    ...extra,
  };
}

const header = (records: number, spec = SPEC): InventoryHeader => ({
  type: 'inventory',
  format: 1,
  name: 'job',
  runId: '20261101T000000Z',
  asOfCut: BASE_CUT,
  previous: null,
  specSha256: spec,
  records,
});

async function* lines(list: InventoryLine[]): AsyncGenerator<InventoryLine> {
  yield* list;
}

const seedOptions = { location: '/dest/job/x.zip', overlapMs: 60_000, specSha256: SPEC, name: 'job' };

async function seeded(store: StagingStore, records: InventoryRecord[]): Promise<void> {
  store.setMeta('as_of_cut', '2026-11-20T00:00:00.000Z');
  const h = await seedFromInventory(store, lines([header(records.length), ...records]), seedOptions);
  expect(h?.runId).toBe('20261101T000000Z');
}

describe('snapshot base in the store', () => {
  it('holds base records, keeps bytes held when a new version hashes the same, settles deletions', async () => {
    const store = await open();
    const c1 = rec('chat', 'c1', 'chat one');
    const c2 = rec('chat', 'c2', 'chat two');
    const f1 = rec('file', 'f1', 'file of c1', { parent: 'c1', signals: null });
    const f2 = rec('file', 'f2', 'file of c2', { parent: 'c2', signals: null });
    const c3 = rec('chat', 'c3', 'chat three', { heldBy: '20261020T000000Z' });
    await seeded(store, [c1, c2, f1, f2, c3]);
    expect(baseOf(store)).toMatchObject({ runId: '20261101T000000Z', records: 5 });
    expect(store.status('chat', 'c1')).toMatchObject({ state: 'stored', signals: 'sig' });

    // c1: its listing unchanged (confirmed); c3: refetched with the same bytes under new signals;
    // c2: not listed any more (deleted), so its file goes with it.
    store.confirm('chat', 'c1');
    const ref = await store.blobs.putBytes('chat three');
    expect(
      store.putRecord(
        {
          kind: 'chat',
          id: 'c3',
          updatedAt: '2026-11-10T00:00:00.000Z',
          signals: 'sig2',
          files: [{ path: 'chats/c3.json', ...ref }],
          source: { endpoint: '/v1/compliance/apps/chats/c3/messages' },
        },
        1,
      ),
    ).toBe('version');
    const settled = settleSnapshot(store, 3);
    expect(settled).toEqual({ deleted: 2, unchanged: 2, changed: 1 });
    expect(store.status('chat', 'c2').state).toBe('absent');
    expect(store.status('file', 'f2').state).toBe('absent');
    expect(store.status('file', 'f1').state).toBe('stored'); // its parent c1 was met unchanged
    expect(
      store
        .drift()
        .map((d) => `${d.kind}:${d.id}:${d.change}`)
        .sort(),
    ).toEqual(['chat:c2:deleted_since_previous', 'file:f2:deleted_since_previous']);

    // A delta ships only what no earlier archive holds: nothing here (c3's bytes are c3's base bytes).
    const bag = await buildBagPayload(store, [], { localOnly: true, keepRowPositions: true });
    expect(bag.fileCount).toBe(0);
    const inv = await writeInventory(
      store,
      { aggregateRows: bag.aggregateRows! },
      {
        name: 'job',
        runId: '20261120T000000Z',
        asOfCut: '2026-11-20T00:00:00.000Z',
        previous: '20261101T000000Z',
        specSha256: SPEC,
      },
    );
    expect(inv.records).toBe(3);
    await bag.aggregateRows!.dispose();
    const text = await readFile(join(store.dir, 'inventory', 'inventory.jsonl'), 'utf8');
    const parsed = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as InventoryLine);
    expect(parsed[0]).toMatchObject({ type: 'inventory', previous: '20261101T000000Z', records: 3 });
    expect(parsed.slice(1).map((l) => (l.type === 'record' ? `${l.kind}:${l.id}:${l.heldBy}` : ''))).toEqual([
      'chat:c1:20261001T000000Z',
      'chat:c3:20261020T000000Z',
      'file:f1:20261001T000000Z',
    ]);
    await store.close();

    // The journal replays to the same state: a resumed run neither re-seeds nor forgets removals.
    const again = await open();
    expect(again.seeded).toBe(true);
    expect(again.baseState('chat', 'c1')).toBe('confirmed');
    expect(again.baseState('chat', 'c3')).toBe('replaced');
    expect(again.baseState('chat', 'c2')).toBe('removed');
    expect(again.status('chat', 'c3')).toMatchObject({ hash: sha('chat three') });
    await again.close();
  });

  it('marks base records changed within the overlap before the base cut for a refetch', async () => {
    const store = await open();
    const late = rec('chat', 'late', 'late chat', { updatedAt: '2026-10-31T23:59:30.000Z' });
    await seeded(store, [late]);
    expect(store.status('chat', 'late').signals).toBe(REFETCH_SIGNALS);
    await store.close();
  });

  it('keeps base records of a kind whose listing could not be walked to its end', async () => {
    const store = await open();
    await seeded(store, [rec('project', 'p1', 'project')]);
    store.recordException(
      {
        kind: 'project',
        id: 'listing:projects:p2:org',
        reason: 'pagination_loop',
        retryable: false,
        detail: 'cursor repeated',
      },
      2,
    );
    expect(settleSnapshot(store, 3).deleted).toBe(0);
    expect(store.status('project', 'p1').state).toBe('stored');
    await store.close();
  });

  it('keeps a base chat whose refetch failed, and its files: a gap, not a deletion', async () => {
    const store = await open();
    await seeded(store, [
      rec('chat', 'c1', 'chat'),
      rec('file', 'f1', 'file', { parent: 'c1', signals: null }),
    ]);
    store.recordException(
      { kind: 'chat', id: 'c1', reason: 'permanent_server_error', retryable: true, detail: 'HTTP 500' },
      1,
    );
    expect(settleSnapshot(store, 3)).toEqual({ deleted: 0, unchanged: 2, changed: 0 });
    expect(store.status('file', 'f1').state).toBe('stored');
    expect(store.drift()).toEqual([]);
    await store.close();
  });

  it('takes nothing over from a base sealed under another spec, and refuses records whose files do not hash', async () => {
    const store = await open();
    store.setMeta('as_of_cut', '2026-11-20T00:00:00.000Z');
    const other = await seedFromInventory(
      store,
      lines([header(1, 'c'.repeat(64)), rec('chat', 'c1', 'x')]),
      seedOptions,
    );
    expect(other).toBeNull();
    expect(store.seeded).toBe(false);
    const bad = { ...rec('chat', 'c9', 'x'), hash: sha('something else') };
    const error = await seedFromInventory(store, lines([header(1), bad]), seedOptions).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).code).toBe('chain_broken');
    expect((error as ExportError).message).toContain('line 2');
    await store.close();
  });
});
