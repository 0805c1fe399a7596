/**
 * Inputs for the people renderers: a small run whose API-derived values are hostile (markup,
 * quotes, URLs, control and bidi characters). `hostile(origin)` points the URLs at a canary.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CustodyLog } from '../../../src/archive/custody-log.js';
import { LOAD_FILE_COLUMNS } from '../../../src/produce/load-file.js';
import { countActivities } from '../../../src/produce/people/activity-timeline.js';
import type {
  ChatListing,
  PeopleCountRow,
  PeopleDriftRow,
  PeopleExceptionRow,
  PeopleSpec,
  PeopleSummary,
  ReportInput,
} from '../../../src/produce/people/types.js';

export const SPEC: PeopleSpec = {
  name: 'acme-v-globex-hold',
  matter: 'Acme Corp. v. Globex Inc., No. 26-cv-01234',
  description:
    'Preservation of the Claude Enterprise data\nof the three custodians named in the hold notice.',
  scope: {
    organizations: 'all',
    custodians: ['dana.whitfield@acme.example', 'marco.ilves@acme.example'],
    include: ['directory', 'activities', 'chats', 'files', 'projects'],
    created_at: { gte: '2026-01-01T00:00:00Z', lt: '2026-07-01T00:00:00Z' },
  },
};

export const SUMMARY: PeopleSummary = {
  name: 'acme-v-globex-hold',
  runId: '20261122T101300Z',
  asOfCut: '2026-11-22T10:13:00Z',
  matter: 'Acme Corp. v. Globex Inc., No. 26-cv-01234',
  status: 'gaps',
  toolVersion: '0.1.0',
  specSha256: 'a'.repeat(64),
  startedAt: '2026-11-22T10:14:00Z',
  finishedAt: '2026-11-22T10:44:00Z',
  counts: {
    documents: 4321,
    records: 987,
    payloadFiles: 5555,
    payloadBytes: 123_456_789,
    exceptions: 2,
    retryableExceptions: 1,
    drift: 1,
  },
};

/** The load file's columns, as the production stage writes them. */
export const DAT_COLUMNS = LOAD_FILE_COLUMNS;

export const COUNTS: PeopleCountRow[] = [
  {
    custodian: 'dana.whitfield@acme.example',
    kind: 'chat',
    documents: 3,
    records: 0,
    bytes: 3000,
    exceptions: 1,
    drift: 0,
  },
  {
    custodian: 'dana.whitfield@acme.example',
    kind: 'file',
    documents: 7,
    records: 0,
    bytes: 70_000,
    exceptions: 0,
    drift: 1,
  },
  {
    custodian: 'marco.ilves@acme.example',
    kind: 'chat',
    documents: 11,
    records: 0,
    bytes: 11_000,
    exceptions: 0,
    drift: 0,
  },
  { custodian: '', kind: 'user', documents: 0, records: 42, bytes: 4200, exceptions: 0, drift: 0 },
  { custodian: '', kind: 'activity', documents: 0, records: 900, bytes: 90_000, exceptions: 1, drift: 0 },
];

/** Values an attacker controls through the API (chat titles, names, details, types). */
export function hostile(origin: string) {
  return {
    chatName: `<script>alert(1)</script><img src="${origin}/chat-name.png" onerror="alert(2)">"'&`,
    custodian: `"><img src=${origin}/custodian.png>@acme.example`,
    detail: `<a href="${origin}/detail">click</a> <style>@import url(${origin}/detail.css)</style>`,
    type: `<link rel=stylesheet href="${origin}/type.css">`,
    textPath: `${origin}/transcript.txt`,
    id: `claude_chat_"onmouseover="alert(3)`,
    terminal: 'Acme \u001b[31mRED\u001b[0m \u202eevil\u202c\r\nContact-Name: Mallory',
  };
}

export function exceptionRows(origin: string): PeopleExceptionRow[] {
  const h = hostile(origin);
  return [
    {
      kind: 'file',
      id: h.id,
      reason: 'not_found_after_listing',
      retryable: false,
      custodian: h.custodian,
      parentId: 'claude_chat_1',
      httpStatus: 404,
      detail: h.detail,
    },
    {
      kind: 'chat',
      id: 'claude_chat_2',
      reason: 'retries_exhausted',
      retryable: true,
      custodian: 'dana.whitfield@acme.example',
      parentId: null,
      httpStatus: 503,
      detail: null,
    },
  ];
}

export const DRIFT: PeopleDriftRow[] = [
  {
    kind: 'file',
    id: 'claude_file_9',
    change: 'updated_after_cut',
    changedAt: '2026-11-22T10:20:00Z',
    inArchive: true,
    custodian: 'dana.whitfield@acme.example',
  },
];

export function chatRows(origin: string): ChatListing[] {
  const h = hostile(origin);
  return [
    {
      custodian: 'dana.whitfield@acme.example',
      docid: 'ACMEHOLD-000001',
      name: 'Quarterly numbers',
      createdAt: '2026-03-01T09:00:00Z',
      updatedAt: '2026-03-02T09:00:00Z',
      textPath: 'data/review/text/ACMEHOLD-000001.txt',
    },
    {
      custodian: h.custodian,
      docid: 'ACMEHOLD-000005',
      name: h.chatName,
      createdAt: '2026-03-03T09:00:00Z',
      updatedAt: null,
      textPath: h.textPath,
    },
    {
      custodian: '',
      custodianNote: 'api_user_null',
      docid: 'ACMEHOLD-000009',
      name: null,
      createdAt: null,
      updatedAt: null,
      textPath: '../../../etc/passwd',
      deleted: true,
    },
  ];
}

/** A real custody log (the writer the pipeline uses), its lines as sealed. */
export async function custodyLines(dir: string, extra: Record<string, unknown> = {}): Promise<string[]> {
  let t = Date.parse('2026-11-22T10:14:00Z');
  const log = await CustodyLog.open(join(dir, 'custody.jsonl'), { now: () => new Date((t += 1000)) });
  await log.append('run_start', { tool: '0.1.0' });
  await log.append('stage_start', { stage: 'chats', ...extra });
  await log.append('stage_end', { stage: 'chats' });
  await log.append('seal', { payloadFiles: 5555 });
  await log.close();
  return (await readFile(join(dir, 'custody.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
}

/** Activity lines: 2 on 2026-03-01; 2 on 2026-03-02 UTC (one written at -01:00, one hostile type); 1 undated. */
export function activityLines(origin: string): string[] {
  const h = hostile(origin);
  return [
    JSON.stringify({ id: 'activity_1', type: 'claude_chat_created', created_at: '2026-03-01T09:00:00Z' }),
    JSON.stringify({ id: 'activity_2', type: 'claude_chat_created', created_at: '2026-03-01T10:00:00Z' }),
    JSON.stringify({
      id: 'activity_3',
      type: 'claude_file_uploaded',
      created_at: '2026-03-01T23:30:00-01:00',
    }),
    JSON.stringify({ id: 'activity_4', type: h.type, created_at: '2026-03-02T09:00:00Z' }),
    JSON.stringify({ id: 'activity_5', type: 'claude_chat_viewed', created_at: 'yesterday' }),
  ];
}

/** The whole report input, hostile values pointing at `origin`. */
export async function reportInput(origin: string, dir: string): Promise<ReportInput> {
  return {
    spec: SPEC,
    summary: SUMMARY,
    counts: COUNTS,
    exceptions: exceptionRows(origin),
    drift: DRIFT,
    custodyLines: await custodyLines(dir, { note: hostile(origin).detail }),
    timeline: await countActivities(activityLines(origin)),
    chats: chatRows(origin),
  };
}
