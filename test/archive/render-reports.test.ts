import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CustodyLog } from '../../src/archive/custody-log.js';
import { renderReports } from '../../src/archive/render-reports.js';
import type { DriftRow, ExceptionRow, ItemRow } from '../../src/archive/report-rows.js';
import { collect, python } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reports-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const items: ItemRow[] = [
  {
    kind: 'chat',
    id: 'claude_chat_1',
    path: 'data/chats/claude_chat_1.json',
    sha256: 'a'.repeat(64),
    md5: 'b'.repeat(32),
    size: 100,
    custodian: 'alice@example.com',
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-02T00:00:00Z',
    deletedAt: null,
    sourceEndpoint: '/v1/compliance/apps/chats/claude_chat_1/messages',
    requestId: 'req_1',
  },
  {
    kind: 'file',
    id: 'claude_file_1',
    path: 'data/files/claude_file_1/_bashrc',
    sha256: 'c'.repeat(64),
    md5: 'd'.repeat(32),
    size: 50,
    custodian: 'alice@example.com',
    originalName: 'evil, "quoted"\r\nname.bashrc',
    sourceEndpoint: '/v1/compliance/apps/chats/files/claude_file_1/content',
  },
  {
    kind: 'user',
    id: 'user_1',
    path: 'data/directory/users.jsonl',
    sha256: 'e'.repeat(64),
    md5: 'f'.repeat(32),
    size: 10,
    custodian: '',
    sourceEndpoint: '/v1/compliance/organizations/o/users',
  },
];
const exceptions: ExceptionRow[] = [
  {
    kind: 'file',
    id: 'claude_file_9',
    reason: 'not_found_after_listing',
    retryable: true,
    custodian: 'alice@example.com',
    httpStatus: 404,
  },
  { kind: 'custodian', id: 'ghost@example.com', reason: 'custodian_not_found', retryable: false },
];
const drift: DriftRow[] = [
  {
    kind: 'chat',
    id: 'claude_chat_1',
    change: 'updated_after_cut',
    beforeSha256: '1'.repeat(64),
    afterSha256: 'a'.repeat(64),
    inArchive: true,
    custodian: 'alice@example.com',
  },
];

async function* slowly<T>(rows: T[]): AsyncGenerator<T> {
  for (const r of rows) yield r;
}

async function render(): Promise<Awaited<ReturnType<typeof renderReports>>> {
  const logPath = join(dir, 'custody.jsonl');
  const log = await CustodyLog.open(logPath);
  await log.append('run_start', { operator: 'alice' });
  await log.close();
  return renderReports({
    spoolDir: join(dir, 'spool'),
    items: slowly(items),
    exceptions: slowly(exceptions),
    drift: drift,
    summary: {
      name: 'hold',
      runId: '20261122T101300Z',
      asOfCut: '2026-11-22T10:13:00.000Z',
      toolVersion: '0.1.0',
      specSha256: '0'.repeat(64),
      startedAt: '2026-11-22T10:14:00.000Z',
      finishedAt: '2026-11-22T11:00:00.000Z',
      duplicates: 4,
    },
    jobYaml: 'name: hold # as given\n',
    jobResolved: { name: 'hold', budget: 600 },
    custodyLogPath: logPath,
  });
}

describe('renderReports', () => {
  it('writes every reports/ tag file with sizes that match their bytes', async () => {
    const { tagFiles } = await render();
    expect(tagFiles.map((t) => t.path)).toEqual([
      'reports/counts.csv',
      'reports/custody.jsonl',
      'reports/drift.csv',
      'reports/exceptions.csv',
      'reports/items.csv',
      'reports/job.resolved.json',
      'reports/job.yaml',
      'reports/summary.json',
    ]);
    for (const t of tagFiles) expect((await collect(t.open())).length).toBe(t.size);
    const yaml = tagFiles.find((t) => t.path === 'reports/job.yaml')!;
    expect((await collect(yaml.open())).toString()).toBe('name: hold # as given\n');
  });

  it('writes RFC 4180 CSV that an independent reader parses back to the same cells', async () => {
    await render();
    const file = join(dir, 'spool', 'items.csv');
    const raw = await readFile(file, 'utf8');
    expect(raw.startsWith('kind,id,path,sha256,md5,size,custodian,original_name,')).toBe(true);
    expect(raw.endsWith('\r\n')).toBe(true);
    const rows = python<string[][]>(
      'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))))',
      file,
    );
    expect(rows).toHaveLength(4);
    expect(rows[2]![7]).toBe('evil, "quoted"\r\nname.bashrc');
    expect(rows[1]!.slice(0, 6)).toEqual([
      'chat',
      'claude_chat_1',
      'data/chats/claude_chat_1.json',
      'a'.repeat(64),
      'b'.repeat(32),
      '100',
    ]);
    expect(rows[1]![12]).toBe('req_1');
  });

  it('derives counts (custodian × kind) and the summary from the rows', async () => {
    const { summary, counts } = await render();
    expect(counts.map((c) => [c.custodian, c.kind, c.items, c.bytes, c.exceptions, c.drift])).toEqual([
      ['', 'user', 1, 10, 0, 0],
      ['alice@example.com', 'chat', 1, 100, 0, 1],
      ['alice@example.com', 'file', 1, 50, 1, 0],
    ]);
    expect(summary.counts).toMatchObject({
      items: 3,
      bytes: 160,
      byKind: { chat: 1, file: 1, user: 1 },
      exceptions: 2,
      retryableExceptions: 1,
      exceptionsByReason: { custodian_not_found: 1, not_found_after_listing: 1 },
      drift: 1,
      duplicates: 4,
    });
    expect(summary.status).toBe('gaps');
    const onDisk = JSON.parse(await readFile(join(dir, 'spool', 'summary.json'), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(summary)));
  });

  it('writes headers even when there are no rows', async () => {
    await writeFile(join(dir, 'x'), '');
    const { summary } = await renderReports({
      spoolDir: join(dir, 'empty'),
      items: [],
      exceptions: [],
      drift: [],
      summary: {
        name: 'n',
        runId: 'r',
        asOfCut: 'c',
        toolVersion: 'v',
        specSha256: 's',
        startedAt: 'a',
        finishedAt: 'b',
      },
      jobYaml: '',
      jobResolved: {},
      custodyLogPath: join(dir, 'x'),
    });
    expect(summary.status).toBe('complete');
    expect(await readFile(join(dir, 'empty', 'exceptions.csv'), 'utf8')).toBe(
      'kind,id,reason,retryable,custodian,parent_id,endpoint,http_status,request_id,detail,at\r\n',
    );
  });
});
