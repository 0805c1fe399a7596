/**
 * A state folder written by the previous version (short journal keys `t/k/u/h/w/cur`…) resumes:
 * every line kind is read back, dedupe compares against it, and new lines in the readable form
 * land after it in the same journal.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildBagPayload, currentRecords, openStore, recordHash } from '../../src/store/index.js';
import type { RecordInput, StagingStore } from '../../src/store/index.js';

const SPEC = 'b'.repeat(64);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'old-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (): Promise<StagingStore> =>
  openStore({ stateDir: dir, jobName: 'job', specSha256: SPEC, batchMs: 5 });
const USER_ROW = '{"id":"u1","email":"a@example.com"}';
const AT = '2026-01-02T00:00:00Z';

function chatInput(ref: { sha256: string; md5: string; size: number }, updatedAt: string): RecordInput {
  return {
    kind: 'chat',
    id: 'c1',
    updatedAt,
    createdAt: '2026-01-01T00:00:00Z',
    custodian: 'a@example.com',
    signals: 'sig1',
    files: [{ path: 'chats/c1.json', ...ref }],
    source: { endpoint: '/v1/compliance/apps/chats/c1/messages', requestId: 'req_1' },
  };
}

/** The journal the previous version wrote for this history, line by line, in its short form. */
function oldJournal(ref: { sha256: string; md5: string; size: number }): string {
  const userHash = recordHash({ row: { aggregate: 'directory/users.jsonl', json: USER_ROW } });
  const lines: unknown[] = [
    { t: 'm', key: 'as_of_cut', value: '2026-02-01T00:00:00Z' },
    {
      t: 'r',
      k: 'chat',
      id: 'c1',
      u: '2026-01-01T00:00:00Z',
      h: ref.sha256,
      c: '2026-01-01T00:00:00Z',
      cu: 'a@example.com',
      sg: 'sig1',
      f: [['chats/c1.json', ref.sha256, ref.md5, ref.size]],
      ep: '/v1/compliance/apps/chats/c1/messages',
      rid: 'req_1',
      p: 1,
      at: AT,
    },
    {
      t: 'r',
      k: 'user',
      id: 'u1@org',
      u: null,
      h: userHash,
      row: { a: 'directory/users.jsonl', j: USER_ROW },
      ep: '/v1/compliance/organizations/org/users',
      q: 'limit=1000',
      p: 1,
      at: AT,
    },
    { t: 'e', k: 'chat', id: 'c9', u: '2026-03-01T00:00:00Z', h: 'f'.repeat(64), p: 2 },
    {
      t: 'd',
      kind: 'chat',
      id: 'c9',
      change: 'created_after_cut',
      beforeSha256: null,
      afterSha256: 'f'.repeat(64),
      updatedAt: '2026-03-01T00:00:00Z',
      pass: 2,
    },
    {
      t: 'x',
      kind: 'file',
      id: 'f1',
      reason: 'checksum_mismatch',
      retryable: true,
      detail: 'md5 differs',
      parent: 'c1',
      httpStatus: 200,
      pass: 1,
      at: AT,
    },
    {
      t: 'x',
      kind: 'file',
      id: 'f2',
      reason: 'not_found_after_listing',
      retryable: false,
      detail: 'x',
      pass: 1,
      at: AT,
    },
    { t: 'xr', key: 'file\tf2' },
    { t: 'c', w: 'chats:p1:org', cur: 'cursor-7', done: false },
    { t: 'c', w: 'projects:p1', cur: null, done: true },
    { t: 'm', key: 'pass_1_changed', value: 3 },
    { t: 'm', key: 'stats', value: { records: 2, versions: 0, duplicates: 4, stale: 1, excluded: 1 } },
  ];
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

describe('a journal in the previous short form', () => {
  it('resumes: records, exclusions, gaps, drift, checkpoints and metadata are read back', async () => {
    let store = await open();
    const ref = await store.blobs.putBytes('{"chat":{},"messages":[]}\n');
    await store.close();
    await writeFile(join(dir, 'job', 'journal.jsonl'), oldJournal(ref));

    store = await open();
    expect(store.resumed).toBe(true);
    expect(store.cut).toBe('2026-02-01T00:00:00Z');
    expect(store.status('chat', 'c1')).toEqual({
      state: 'stored',
      updatedAt: '2026-01-01T00:00:00Z',
      hash: ref.sha256,
      signals: 'sig1',
    });
    expect(store.status('chat', 'c9')).toEqual({
      state: 'excluded',
      updatedAt: '2026-03-01T00:00:00Z',
      hash: 'f'.repeat(64),
      signals: null,
    });
    expect(store.status('chat', 'c2').state).toBe('absent');
    expect(
      store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable, e.parent, e.httpStatus]),
    ).toEqual([['file', 'f1', 'checksum_mismatch', true, 'c1', 200]]);
    expect(store.drift().map((d) => [d.kind, d.id, d.change, d.pass])).toEqual([
      ['chat', 'c9', 'created_after_cut', 2],
    ]);
    expect(store.checkpointOf('chats:p1:org')).toEqual({ cursor: 'cursor-7', done: false });
    expect(store.checkpointOf('projects:p1')).toEqual({ cursor: null, done: true });
    expect(store.meta('pass_1_changed')).toBe(3);
    expect([store.stats.records, store.stats.excluded, store.stats.duplicates, store.stats.stale]).toEqual([
      2, 1, 4, 1,
    ]);
    const records = [];
    for await (const r of currentRecords(store)) records.push(r);
    expect(records.map((r) => [r.kind, r.id, r.hash, r.custodian, r.requestId, r.query, r.rowJson])).toEqual([
      ['chat', 'c1', ref.sha256, 'a@example.com', 'req_1', null, null],
      ['user', 'u1@org', expect.any(String), null, null, 'limit=1000', USER_ROW],
    ]);
    expect(records[0]!.files).toEqual([{ path: 'chats/c1.json', ...ref }]);

    // Dedupe compares against the old lines; a new version is written in the readable form.
    expect(store.putRecord(chatInput(ref, '2026-01-01T00:00:00Z'), 2)).toBe('duplicate');
    const next = await store.blobs.putBytes('{"chat":{"v":2},"messages":[]}\n');
    expect(store.putRecord(chatInput(next, '2026-01-03T00:00:00Z'), 2)).toBe('version');
    store.checkpoint('chats:p1:org', 'cursor-8');
    await store.close();
    const tail = (await readFile(join(dir, 'job', 'journal.jsonl'), 'utf8')).trim().split('\n').slice(-3);
    expect(tail.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      'record',
      'checkpoint',
      'meta',
    ]);

    // Both forms in one journal: the newest version wins, the aggregate is built from the old row.
    store = await open();
    expect(store.status('chat', 'c1').hash).toBe(next.sha256);
    expect(store.checkpointOf('chats:p1:org')).toEqual({ cursor: 'cursor-8', done: false });
    const payload = await buildBagPayload(store, ['directory/users.jsonl']);
    const users = payload.aggregates.get('directory/users.jsonl')!;
    expect(users.sha256).toBe((await store.blobs.putBytes(`${USER_ROW}\n`)).sha256);
    await store.close();
  });

  it('refuses a line of neither form', async () => {
    const store = await open();
    await store.close();
    await writeFile(
      join(dir, 'job', 'journal.jsonl'),
      `${JSON.stringify({ t: 'zz', k: 'chat' })}\n{"t":"m","key":"a","value":1}\n`,
    );
    await expect(open()).rejects.toMatchObject({ code: 'store_corrupt' });
  });
});
