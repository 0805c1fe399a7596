import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CustodyLog } from '../../src/archive/custody-log.js';
import { renderReports } from '../../src/archive/render-reports.js';
import type { DriftRow, ExceptionRow, ItemRow, ProductionCounts } from '../../src/archive/report-rows.js';
import { collect, python } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reports-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const doc = {
  parentDocid: '',
  custodianNote: null,
  textPath: '',
  recordPath: '',
  conversationId: '',
  records: null,
} as const;
const items: ItemRow[] = [
  {
    ...doc,
    docid: 'HOLD-000001',
    kind: 'chat',
    id: 'claude_chat_1',
    nativePath: 'data/review/rsmf/claude_chat_1.rsmf',
    textPath: 'data/review/text/HOLD-000001.txt',
    recordPath: 'data/chats/claude_chat_1.json',
    conversationId: 'claude_chat_1',
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
    ...doc,
    docid: 'HOLD-000002',
    parentDocid: 'HOLD-000001',
    kind: 'file',
    id: 'claude_file_1',
    nativePath: 'data/files/claude_file_1/_bashrc',
    sha256: 'c'.repeat(64),
    md5: 'd'.repeat(32),
    size: 50,
    custodian: 'alice@example.com',
    originalName: 'evil, "quoted"\r\nname.bashrc',
    sourceEndpoint: '/v1/compliance/apps/chats/files/claude_file_1/content',
  },
  {
    ...doc,
    docid: 'HOLD-000003',
    kind: 'file',
    id: 'claude_file_2',
    nativePath: 'data/files/claude_file_2/HYPERLINK_x_',
    sha256: 'e'.repeat(64),
    md5: 'f'.repeat(32),
    size: 7,
    custodian: '',
    custodianNote: 'api_user_null',
    originalName: '=HYPERLINK("http://evil.example","click")',
    sourceEndpoint: '/v1/compliance/apps/chats/files/claude_file_2/content',
  },
  {
    ...doc,
    docid: '',
    kind: 'user',
    id: '',
    nativePath: 'data/directory/users.jsonl',
    sha256: '0'.repeat(64),
    md5: '1'.repeat(32),
    size: 10,
    custodian: '',
    custodianNote: 'org_level',
    sourceEndpoint: '/v1/compliance/organizations/o/users',
    records: 3,
  },
];
/** The tally the production stage would hand over (renderReports counts nothing itself). */
const counts: ProductionCounts = {
  documents: 3,
  documentsByKind: { chat: 1, file: 2 },
  records: 3,
  recordsByKind: { user: 3 },
  payloadFiles: 9,
  payloadBytes: 999,
  reviewFiles: 2,
  exceptions: 2,
  retryableExceptions: 1,
  exceptionsByReason: { custodian_not_found: 1, not_found_after_listing: 1 },
  drift: 1,
  byCustodian: [
    { custodian: '', kind: 'file', documents: 1, records: 0, bytes: 7, exceptions: 0, drift: 0 },
    { custodian: '', kind: 'user', documents: 0, records: 3, bytes: 10, exceptions: 0, drift: 0 },
    {
      custodian: 'alice@example.com',
      kind: 'chat',
      documents: 1,
      records: 0,
      bytes: 100,
      exceptions: 0,
      drift: 1,
    },
  ],
};
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

async function inputs(): Promise<Parameters<typeof renderReports>[0]> {
  const logPath = join(dir, 'custody.jsonl');
  const log = await CustodyLog.open(logPath);
  await log.append('run_start', { operator: 'alice' });
  await log.close();
  return {
    spoolDir: join(dir, 'spool'),
    items: slowly(items),
    exceptions: slowly(exceptions),
    drift: drift,
    counts,
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
  };
}

async function render(): Promise<Awaited<ReturnType<typeof renderReports>>> {
  return renderReports(await inputs());
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
    expect(
      raw.startsWith('docid,parent_docid,kind,id,custodian,custodian_note,original_name,native_path,'),
    ).toBe(true);
    expect(raw.endsWith('\r\n')).toBe(true);
    const rows = python<string[][]>(
      'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))))',
      file,
    );
    expect(rows).toHaveLength(5);
    expect(rows[2]![6]).toBe('evil, "quoted"\r\nname.bashrc');
    expect(rows[1]!.slice(0, 4)).toEqual(['HOLD-000001', '', 'chat', 'claude_chat_1']);
    expect(rows[1]!.slice(7, 14)).toEqual([
      'data/review/rsmf/claude_chat_1.rsmf',
      'data/review/text/HOLD-000001.txt',
      'data/chats/claude_chat_1.json',
      'claude_chat_1',
      'a'.repeat(64),
      'b'.repeat(32),
      '100',
    ]);
    expect(rows[1]![18]).toBe('req_1');
    expect(rows[4]!.slice(0, 6)).toEqual(['', '', 'user', '', '', 'org_level']);
    expect(rows[4]![19]).toBe('3');
  });

  it('defuses spreadsheet formulas in every CSV: a hostile name opens as text', async () => {
    const hostile: ExceptionRow = {
      kind: 'file',
      id: '@SUM(A1:A9)',
      reason: 'checksum_mismatch',
      retryable: false,
      detail: '+cmd|"/c calc"!A0',
      endpoint: '-2+3',
    };
    await renderReports({
      ...(await inputs()),
      exceptions: [hostile],
      drift: [
        { kind: 'file', id: '\t=1+1', change: 'updated_after_cut', inArchive: true, custodian: '\r=1' },
      ],
    });
    const read = (name: string) =>
      python<string[][]>(
        'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))))',
        join(dir, 'spool', name),
      );
    expect(read('items.csv')[3]![6]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    const exception = read('exceptions.csv')[1]!;
    expect([exception[1], exception[6], exception[9]]).toEqual([
      `'@SUM(A1:A9)`,
      "'-2+3",
      `'+cmd|"/c calc"!A0`,
    ]);
    const drift = read('drift.csv')[1]!;
    expect([drift[1], drift[8]]).toEqual(["'\t=1+1", "'\r=1"]);
    // Nothing else is touched: a plain cell, a hash, a path stay as they were.
    expect(read('items.csv')[1]![2]).toBe('chat');
    // JSON stays verbatim.
    const summary = JSON.parse(await readFile(join(dir, 'spool', 'summary.json'), 'utf8')) as {
      name: string;
    };
    expect(summary.name).toBe('hold');
  });

  it('writes counts.csv and the summary from the tally it is given, the status from its exceptions', async () => {
    const { summary, counts: rows } = await render();
    expect(rows).toEqual(counts.byCustodian);
    const csv = await readFile(join(dir, 'spool', 'counts.csv'), 'utf8');
    expect(csv.split('\r\n')).toEqual([
      'custodian,kind,documents,records,bytes,exceptions,drift',
      ',file,1,0,7,0,0',
      ',user,0,3,10,0,0',
      'alice@example.com,chat,1,0,100,0,1',
      '',
    ]);
    const { byCustodian: _rows, ...totals } = counts;
    expect(summary.counts).toEqual({ ...totals, duplicates: 4 });
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
      counts: { ...counts, exceptions: 0, byCustodian: [] },
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
