import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExportError } from '../../src/errors.js';
import { buildBagPayload, currentRecords, openStore } from '../../src/store/index.js';
import type { RecordInput, StagingStore } from '../../src/store/index.js';

const SPEC = 'a'.repeat(64);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const open = (spec = SPEC, force = false): Promise<StagingStore> =>
  openStore({ stateDir: dir, jobName: 'job', specSha256: spec, force, batchMs: 5 });

async function chat(store: StagingStore, id: string, body: string, updatedAt: string, createdAt = updatedAt) {
  const ref = await store.blobs.putBytes(body);
  const input: RecordInput = {
    kind: 'chat',
    id,
    updatedAt,
    createdAt,
    files: [{ path: `chats/${id}.json`, ...ref }],
    source: { endpoint: `/v1/compliance/apps/chats/${id}/messages`, requestId: `req_${id}` },
  };
  return store.putRecord(input, 1);
}

const user = (id: string, json: string): RecordInput => ({
  kind: 'user',
  id,
  updatedAt: null,
  row: { aggregate: 'directory/users.jsonl', json },
  source: { endpoint: '/v1/compliance/organizations/o/users' },
});

describe('staging store', () => {
  it('dedupes by kind+id: duplicates counted, new versions kept, stale states ignored', async () => {
    const store = await open();
    expect(await chat(store, 'c1', 'v1', '2026-01-01T00:00:00Z')).toBe('new');
    expect(await chat(store, 'c1', 'v1', '2026-01-01T00:00:00Z')).toBe('duplicate');
    expect(await chat(store, 'c1', 'v2', '2026-01-02T00:00:00Z')).toBe('version');
    expect(await chat(store, 'c1', 'v0', '2025-12-31T00:00:00Z')).toBe('stale');
    expect(await chat(store, 'c1', 'v3', '2026-01-02T00:00:00Z')).toBe('version'); // same time, new hash
    expect(store.stats).toMatchObject({ records: 1, versions: 2, duplicates: 1, stale: 1 });
    expect(store.status('chat', 'c1').hash).toBe(sha('v3'));
    await store.close();

    const again = await open();
    expect(again.resumed).toBe(true);
    expect(again.status('chat', 'c1').hash).toBe(sha('v3'));
    expect(again.stats).toMatchObject({ records: 1, versions: 2, duplicates: 1 });
    const recs = [];
    for await (const r of currentRecords(again)) recs.push(r);
    expect(recs.map((r) => [r.id, r.hash, r.requestId])).toEqual([['c1', sha('v3'), 'req_c1']]);
    await again.close();
  });

  it('stores a blob once however often it is put, and verifies its bytes', async () => {
    const store = await open();
    const a = await store.blobs.putBytes('same bytes');
    const b = await store.blobs.putStream(
      (async function* () {
        yield Buffer.from('same ');
        yield Buffer.from('bytes');
      })(),
    );
    expect(b).toEqual(a);
    expect(a.md5).toBe(createHash('md5').update('same bytes').digest('hex'));
    const shards = await readdir(join(dir, 'job', 'blobs', a.sha256.slice(0, 2)));
    expect(shards).toEqual([a.sha256]);
    expect(await store.blobs.verifyBlob(a)).toBe(true);
    expect(await readdir(join(dir, 'job', 'tmp'))).toEqual([]);
    await store.close();
  });

  it('survives a torn last journal line and keeps appending after it', async () => {
    const store = await open();
    await chat(store, 'c1', 'one', '2026-01-01T00:00:00Z');
    store.checkpoint('chats', 'cursor-1');
    await chat(store, 'c2', 'two', '2026-01-01T00:00:00Z');
    await store.flush();
    await store.close();
    const journal = join(dir, 'job', 'journal.jsonl');
    const goodSize = (await stat(journal)).size;
    await appendFile(journal, '{"t":"r","k":"chat","id":"c3","u":nu');

    const again = await open();
    expect(again.tornBytes).toBeGreaterThan(0);
    expect((await stat(journal)).size).toBe(goodSize);
    expect(again.idsOf('chat').sort()).toEqual(['c1', 'c2']);
    expect(again.checkpointOf('chats')).toEqual({ cursor: 'cursor-1', done: false });
    await chat(again, 'c3', 'three', '2026-01-01T00:00:00Z');
    await again.close();
    const third = await open();
    expect(third.tornBytes).toBe(0);
    expect(third.idsOf('chat').sort()).toEqual(['c1', 'c2', 'c3']);
    await third.close();
  });

  it('refuses a journal corrupted before its last line', async () => {
    const store = await open();
    await chat(store, 'c1', 'one', '2026-01-01T00:00:00Z');
    await store.close();
    const journal = join(dir, 'job', 'journal.jsonl');
    const text = await readFile(journal, 'utf8');
    await writeFile(journal, `garbage\n${text}`);
    await expect(open()).rejects.toMatchObject({ code: 'store_corrupt' });
  });

  it('binds state to the spec hash: a different spec is refused unless forced', async () => {
    const store = await open();
    await chat(store, 'c1', 'one', '2026-01-01T00:00:00Z');
    await store.close();
    const err = await open('b'.repeat(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('spec_state_mismatch');
    const forced = await open('b'.repeat(64), true);
    expect(forced.resumed).toBe(false);
    expect(forced.idsOf('chat')).toEqual([]);
    await forced.close();
    const files = await readdir(join(dir, 'job'));
    expect(files.some((f) => f.startsWith('journal.replaced-'))).toBe(true);
  });

  it('judges against the as-of cut: created after → left out as drift; updated after → kept with before/after', async () => {
    const store = await open();
    store.setMeta('as_of_cut', '2026-06-01T00:00:00.000Z');
    expect(await chat(store, 'old', 'a', '2026-05-01T00:00:00Z')).toBe('new');
    expect(await chat(store, 'old', 'b', '2026-06-02T00:00:00Z', '2026-05-01T00:00:00Z')).toBe('version');
    expect(await chat(store, 'new', 'n', '2026-06-03T00:00:00Z')).toBe('excluded');
    expect(await chat(store, 'new', 'n', '2026-06-03T00:00:00Z')).toBe('duplicate');
    store.recordException(
      { kind: 'file', id: 'f1', reason: 'permanent_server_error', retryable: false, detail: '500' },
      1,
    );
    await store.close();
    const again = await open();
    expect(again.cut).toBe('2026-06-01T00:00:00.000Z');
    const drift = again.drift().sort((x, y) => x.id.localeCompare(y.id));
    expect(drift.map((d) => [d.id, d.change, d.beforeSha256, d.afterSha256])).toEqual([
      ['new', 'created_after_cut', null, sha('n')],
      ['old', 'updated_after_cut', sha('a'), sha('b')],
    ]);
    expect(again.idsOf('chat')).toEqual(['old']);
    expect(again.stats.excluded).toBe(1);
    expect(again.exceptions().map((e) => [e.id, e.reason])).toEqual([['f1', 'permanent_server_error']]);
    await again.close();
  });

  it('clears an exception when the item is later stored', async () => {
    const store = await open();
    store.recordException(
      { kind: 'chat', id: 'c1', reason: 'retries_exhausted', retryable: true, detail: '503' },
      1,
    );
    await chat(store, 'c1', 'one', '2026-01-01T00:00:00Z');
    await store.close();
    const again = await open();
    expect(again.exceptions()).toEqual([]);
    await again.close();
  });

  it('builds the bag payload: current versions only, aggregates sorted by id', async () => {
    const store = await open();
    await chat(store, 'c1', 'old', '2026-01-01T00:00:00Z');
    await chat(store, 'c1', 'new', '2026-01-02T00:00:00Z');
    store.putRecord(user('user_b', '{"id":"user_b"}'), 1);
    store.putRecord(user('user_a', '{"id":"user_a"}'), 1);
    store.putRecord(user('user_b', '{"id":"user_b","v":2}'), 1);
    const bag = await buildBagPayload(store, ['directory/users.jsonl', 'activities/activities.jsonl']);
    const files: Record<string, string> = {};
    for await (const f of bag.payload()) {
      const chunks: Buffer[] = [];
      for await (const c of f.open()) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      expect(createHash('sha256').update(body).digest('hex')).toBe(f.sha256);
      expect(body.byteLength).toBe(f.size);
      files[f.path] = body.toString('utf8');
    }
    expect(files).toEqual({
      'chats/c1.json': 'new',
      'directory/users.jsonl': '{"id":"user_a"}\n{"id":"user_b","v":2}\n',
      'activities/activities.jsonl': '',
    });
    expect(bag.fileCount).toBe(3);
    await store.close();
  });

  it('sorts aggregate rows on disk: id order across several sort runs, positions kept only when asked, no temp file left', async () => {
    const store = await open();
    // 40,000 rows (more than two of the sort's 16,384-row runs) in two aggregates, stored in a
    // scrambled id order; a quarter of the users stored twice (the later version is current).
    const activity = (id: string, json: string): RecordInput => ({
      ...user(id, json),
      kind: 'activity',
      row: { aggregate: 'activities/activities.jsonl', json },
      source: { endpoint: '/v1/compliance/activities' },
    });
    const expected = { users: new Map<string, string>(), activities: new Map<string, string>() };
    for (let i = 0; i < 40_000; i += 1) {
      const n = (i * 7919) % 40_000;
      const id = n.toString(36).padStart(4, '0');
      if (i % 2 === 0) {
        const json = JSON.stringify({ id: `user_${id}` });
        store.putRecord(user(`user_${id}`, json), 1);
        expected.users.set(`user_${id}`, json);
        if (i % 8 === 0) {
          const again = JSON.stringify({ id: `user_${id}`, v: 2 });
          store.putRecord(user(`user_${id}`, again), 1);
          expected.users.set(`user_${id}`, again);
        }
      } else {
        const json = JSON.stringify({ id: `activity_${id}` });
        store.putRecord(activity(`activity_${id}`, json), 1);
        expected.activities.set(`activity_${id}`, json);
      }
      if (i % 1024 === 0) await store.ready();
    }
    const inIdOrder = (rows: Map<string, string>): string =>
      [...rows]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, json]) => `${json}\n`)
        .join('');
    const tempFolder = join(store.blobs.tempPath(), '..');
    const bodies = async (bag: Awaited<ReturnType<typeof buildBagPayload>>): Promise<string[]> => {
      const out: string[] = [];
      for (const path of ['activities/activities.jsonl', 'directory/users.jsonl']) {
        const ref = bag.aggregates.get(path)!;
        const chunks: Buffer[] = [];
        for await (const c of store.blobs.open(ref.sha256, ref.size)) chunks.push(c as Buffer);
        out.push(Buffer.concat(chunks).toString('utf8'));
      }
      return out;
    };

    const plain = await buildBagPayload(store);
    expect([...plain.aggregates.keys()]).toEqual(['activities/activities.jsonl', 'directory/users.jsonl']);
    expect(await bodies(plain)).toEqual([inIdOrder(expected.activities), inIdOrder(expected.users)]);
    expect(plain.aggregateRows).toBeUndefined();
    expect(await readdir(tempFolder)).toEqual([]);

    const kept = await buildBagPayload(store, [], { keepRowPositions: true });
    expect(await bodies(kept)).toEqual(await bodies(plain));
    const rows = kept.aggregateRows!;
    expect(rows.count).toBe(40_000);
    const order: string[] = [];
    for await (const [aggregate, id] of rows.values()) order.push(`${aggregate} ${id}`);
    expect(order).toEqual([
      ...[...expected.activities.keys()].sort().map((id) => `activities/activities.jsonl ${id}`),
      ...[...expected.users.keys()].sort().map((id) => `directory/users.jsonl ${id}`),
    ]);
    expect((await readdir(tempFolder)).length).toBeGreaterThan(0);
    await rows.dispose();
    expect(await readdir(tempFolder)).toEqual([]);
    await store.close();
  }, 60_000);

  it('refuses a second concurrent run on the same state folder', async () => {
    const store = await open();
    // Our own pid holds the lock: simulate another live process by writing the parent's pid.
    await writeFile(
      join(dir, 'job', 'lock'),
      JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname() }),
    );
    await expect(open()).rejects.toMatchObject({ code: 'state_locked' });
    await store.close();
  });
});

describe('staging store under SIGKILL', () => {
  it('keeps every record a checkpoint covers, and resumes from it', async () => {
    const { spawn } = await import('node:child_process');
    const script = new URL('./fixtures/crash-writer.ts', import.meta.url).pathname;
    const runChild = () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 150));
        child.on('exit', (_code, signal) =>
          signal === 'SIGKILL' ? resolve() : reject(new Error(`exit ${_code}`)),
        );
      });
    await runChild();
    await runChild();
    const store = await openStore({ stateDir: dir, jobName: 'job', specSha256: 'c'.repeat(64) });
    const covered = Number(store.checkpointOf('walk')?.cursor);
    expect(covered).toBeGreaterThanOrEqual(20);
    const ids = new Set(store.idsOf('chat'));
    for (let i = 0; i < covered; i += 1) expect(ids.has(`c${i}`)).toBe(true);
    for (const rec of [`c0`, `c${covered - 1}`]) {
      const { hash } = store.status('chat', rec);
      expect(
        hash !== null &&
          (await stat(store.blobs.pathOf(hash)).then(
            () => true,
            () => false,
          )),
      ).toBe(true);
    }
    await store.close();
  });
});
