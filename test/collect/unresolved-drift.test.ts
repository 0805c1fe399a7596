import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComplianceClient } from '../../src/api/index.js';
import { nameUnresolvedDrift, quiesce } from '../../src/collect/quiesce.js';
import { openStore, type StagingStore } from '../../src/store/index.js';
import type { ResolvedJobSpec } from '../../src/spec/types.js';
import { startPass } from '../../src/collect/context.js';
import { countingProgress, firstPass } from './context-fixture.js';

let dir: string;
let store: StagingStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'unresolved-'));
  store = await openStore({ stateDir: dir, jobName: 'job', specSha256: 'c'.repeat(64) });
  store.setMeta('as_of_cut', '2026-02-01T00:00:00Z');
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function put(kind: 'file' | 'chat', id: string, createdAt: string) {
  const ref = await store.blobs.putBytes(`${kind} ${id}`);
  return store.putRecord(
    {
      kind,
      id,
      updatedAt: createdAt,
      createdAt,
      files: [{ path: `${kind}/${id}`, ...ref }],
      source: { endpoint: '/x' },
    },
    3,
  );
}

describe('naming what still changed after the last pass', () => {
  it('names archived items, keeps a notice, and skips items left out as created after the cut', async () => {
    expect(await put('chat', 'c_changed', '2026-01-10T00:00:00Z')).toBe('new');
    expect(await put('file', 'f_copy', '2026-01-10T00:00:00Z')).toBe('new');
    store.recordException(
      {
        kind: 'file',
        id: 'f_copy',
        reason: 'served_copy_differs',
        retryable: false,
        detail: 'listed 1 byte',
      },
      3,
    );
    expect(await put('chat', 'c_new', '2026-03-01T00:00:00Z')).toBe('excluded');
    const ctx = firstPass({
      store,
      client: {} as ComplianceClient,
      spec: {} as ResolvedJobSpec,
      cut: '2026-02-01T00:00:00Z',
      concurrency: 1,
      readAhead: 1,
      signal: undefined,
      progress: countingProgress(),
    });
    const last = startPass(ctx, 3);
    last.changes.note({ kind: 'chat', id: 'c_changed' });
    last.changes.note({ kind: 'file', id: 'f_copy' });
    last.changes.note({ kind: 'chat', id: 'c_new' });
    nameUnresolvedDrift(last, 2);
    expect(
      store
        .exceptions()
        .map((e) => [e.kind, e.id, e.reason])
        .sort(),
    ).toEqual([
      ['chat', 'c_changed', 'unresolved_drift'],
      ['file', 'f_copy', 'served_copy_differs'],
    ]);
  });

  it('after passes an earlier run finished, names what this run’s pass 1 changed (handed to quiesce)', async () => {
    expect(await put('chat', 'c_retried', '2026-01-10T00:00:00Z')).toBe('new');
    // An earlier run of the job ran both passes and they still changed things.
    store.setMeta('pass_2_changed', 1);
    store.setMeta('pass_3_changed', 2);
    const spec = { scope: { include: [] }, consistency: { quiescence: { interval_ms: 0, max_passes: 2 } } };
    const pass1 = firstPass({
      store,
      client: {} as ComplianceClient,
      spec: spec as unknown as ResolvedJobSpec,
      cut: '2026-02-01T00:00:00Z',
      concurrency: 1,
      readAhead: 1,
      signal: undefined,
      progress: countingProgress(),
    });
    // This run's retry of a gap stored a new version in pass 1.
    pass1.changes.note({ kind: 'chat', id: 'c_retried' });
    const noWait = (): Promise<void> => Promise.reject(new Error('no pass left to wait for'));
    expect(await quiesce(pass1, noWait, () => new Date(), pass1)).toEqual({ passes: 2, settled: false });
    expect(store.exceptions().map((e) => [e.kind, e.id, e.reason, e.pass])).toEqual([
      ['chat', 'c_retried', 'unresolved_drift', 1],
    ]);
  });
});
