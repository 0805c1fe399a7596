import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentRecordPositions, openStore } from '../../src/store/index.js';
import type { RecordInput, RecordKind, StagingStore } from '../../src/store/index.js';

const SPEC = 'a'.repeat(64);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (batch: { batchMs?: number; batchLines?: number } = { batchMs: 5 }): Promise<StagingStore> =>
  openStore({ stateDir: dir, jobName: 'job', specSha256: SPEC, ...batch });

const CUT = '2026-06-01T00:00:00Z';
const HOSTILE = '\ud800\u0000😀\n"';

function input(kind: RecordKind, id: string, body: string, extra: Partial<RecordInput> = {}): RecordInput {
  return {
    kind,
    id,
    updatedAt: '2026-01-01T00:00:00Z',
    createdAt: '2026-01-01T00:00:00Z',
    row: { aggregate: `${kind}.jsonl`, json: JSON.stringify({ id, body }) },
    source: { endpoint: `/v1/${kind}` },
    ...extra,
  };
}

const KEYS: [RecordKind, string][] = [
  ['chat', 'c1'],
  ['chat', 'c2'],
  ['chat', 'c3'],
  ['chat', HOSTILE],
  ['user', 'u1'],
  ['file', 'b1'],
  ['file', 'b2'],
  ['file', 'f1'],
];

/** Everything the store answers about its items. */
async function answers(store: StagingStore) {
  const positions: [string, string, number][] = [];
  for await (const { record, at } of currentRecordPositions(store))
    positions.push([record.kind, record.id, at.offset]);
  return {
    status: KEYS.map(([kind, id]) => store.status(kind, id)),
    base: KEYS.map(([kind, id]) => store.baseState(kind, id)),
    counts: [...store.countsByKind()],
    ids: (['chat', 'user', 'file'] as const).map((kind) => store.idsOf(kind)),
    current: positions.map(([kind, id, offset]) => store.isCurrentLine(kind as RecordKind, id, offset)),
    positions,
    stats: { ...store.stats },
  };
}

describe('the store index across a reopen', () => {
  it('answers the same after replay: versions, left out then stored, removed, signals, heldBy, hostile ids', async () => {
    const store = await open();
    store.setMeta('as_of_cut', CUT);
    store.seed({ ...input('file', 'b1', 'base 1'), heldBy: 'run-0' });
    store.seed({ ...input('file', 'b2', 'base 2'), heldBy: 'run-0' });
    expect(store.putRecord(input('chat', 'c1', 'v1', { signals: 's1' }), 1)).toBe('new');
    expect(
      store.putRecord(input('chat', 'c1', 'v2', { signals: 's2', updatedAt: '2026-02-01T00:00:00Z' }), 1),
    ).toBe('version');
    const late = { createdAt: '2026-07-01T00:00:00Z', updatedAt: '2026-07-01T00:00:00Z' };
    expect(store.putRecord(input('chat', 'c2', 'late', late), 1)).toBe('excluded');
    expect(store.putRecord(input('chat', 'c3', 'late', late), 1)).toBe('excluded');
    expect(store.putRecord(input('user', 'u1', 'user'), 1)).toBe('new');
    // c2 listed again with a creation before the cut (the server corrected it): stored now.
    expect(store.putRecord(input('chat', 'c2', 'fixed'), 2)).toBe('new');
    expect(store.putRecord(input('chat', HOSTILE, 'hostile', { signals: HOSTILE }), 1)).toBe('new');
    expect(store.putRecord(input('file', 'f1', 'f', { parent: 'c1' }), 1)).toBe('new');
    store.confirm('file', 'b2');
    store.remove('file', 'b1');
    const before = await answers(store);
    await store.close();

    expect(before.status.map((s) => s.state)).toEqual([
      'stored',
      'stored',
      'excluded',
      'stored',
      'stored',
      'absent',
      'stored',
      'stored',
    ]);
    expect(before.status[0]).toEqual({
      state: 'stored',
      updatedAt: '2026-02-01T00:00:00Z',
      hash: expect.any(String),
      signals: 's2',
    });
    expect(before.status[3]!.signals).toBe(HOSTILE);
    expect(before.base).toEqual([null, null, null, null, null, 'removed', 'confirmed', null]);
    expect(before.counts).toEqual([
      ['file', 2],
      ['chat', 3],
      ['user', 1],
    ]);
    expect(before.ids).toEqual([['c1', 'c2', HOSTILE], ['u1'], ['b2', 'f1']]);
    expect(before.current.every(Boolean)).toBe(true);
    expect(before.positions).toHaveLength(6);

    const again = await open();
    expect(await answers(again)).toEqual(before);
    await again.close();
  });

  it('status() of a record whose journal line is appended but not yet written', async () => {
    const store = await open({ batchMs: 60_000, batchLines: 10_000 });
    const first = input('chat', 'c1', 'v1', { signals: 's' });
    expect(store.putRecord(first, 1)).toBe('new');
    await store.flush();
    const size = (await stat(store.journalPath)).size;
    expect(
      store.putRecord(input('chat', 'c1', 'v2', { signals: 't', updatedAt: '2026-03-01T00:00:00Z' }), 1),
    ).toBe('version');
    expect(store.putRecord(input('chat', 'c2', 'v1'), 1)).toBe('new');
    expect((await stat(store.journalPath)).size).toBe(size); // neither line is in the file yet
    expect(store.status('chat', 'c1')).toMatchObject({
      state: 'stored',
      updatedAt: '2026-03-01T00:00:00Z',
      signals: 't',
    });
    expect(store.status('chat', 'c2').state).toBe('stored');
    expect(store.putRecord(input('chat', 'c2', 'v1'), 1)).toBe('duplicate');
    await store.flush();
    expect(store.putRecord(input('chat', 'c3', 'v1'), 1)).toBe('new');
    expect(store.status('chat', 'c1')).toMatchObject({ updatedAt: '2026-03-01T00:00:00Z', signals: 't' });
    expect(store.putRecord(input('chat', 'c2', 'v1'), 1)).toBe('duplicate');
    await store.close();
  });
});
