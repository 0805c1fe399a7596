import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from '../../src/api/index.js';
import { trackedItems, WalkCheckpoint } from '../../src/collect/walk-checkpoint.js';
import { openStore, type StagingStore } from '../../src/store/index.js';

let dir: string;
let store: StagingStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'walk-'));
  store = await openStore({ stateDir: dir, jobName: 'j', specSha256: 'd'.repeat(64) });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function page(index: number, items: string[], resumeCursor: string | null, done = false): Page<string> {
  return {
    scheme: 'cursor',
    endpoint: '/x',
    query: '',
    requestId: null,
    fetchedAt: '',
    index,
    cursor: null,
    resumeCursor,
    done,
    items,
    rawItems: items.map((i) => JSON.stringify(i)),
    envelope: {},
  };
}

describe('walk checkpoints', () => {
  it('advance only past pages whose items, and all earlier pages, are finished', async () => {
    async function* pages() {
      yield page(0, ['a', 'b'], 'c1');
      yield page(1, ['c'], 'c2');
      yield page(2, [], 'c3');
      yield page(3, ['d'], 'c4', true);
    }
    const cp = new WalkCheckpoint(store, 'w');
    const items = [];
    for await (const it of trackedItems(pages(), cp)) items.push(it);
    expect(items.map((i) => i.item)).toEqual(['a', 'b', 'c', 'd']);
    items[2]!.finish(); // page 1 done, page 0 not yet
    expect(store.checkpointOf('w')).toBeUndefined();
    items[0]!.finish();
    items[0]!.finish(); // idempotent
    expect(store.checkpointOf('w')).toBeUndefined();
    items[1]!.finish(); // pages 0, 1 and the empty page 2 are now complete
    expect(store.checkpointOf('w')).toEqual({ cursor: 'c3', done: false });
    items[3]!.finish();
    expect(store.checkpointOf('w')).toEqual({ cursor: 'c4', done: true });
    expect(cp.resume).toEqual({ from: 'c4', done: true });
  });
});
