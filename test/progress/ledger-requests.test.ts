/**
 * A resumed run's earlier requests, counted from the request ledger by a chunked scan that reads
 * `path` without parsing each line: the same counts as parsing every line as JSON, on a ledger
 * with escaped paths, blank lines, a line without a path and a last line torn by a kill.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerRequests } from '../../src/progress/plan-totals.js';
import { stageOfPath } from '../../src/progress/progress-model.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The obvious way: every line parsed. */
function reference(text: string) {
  let requests = 0;
  const requestsByKind: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    requests += 1;
    let path = '';
    try {
      const v = (JSON.parse(line) as { path?: unknown }).path;
      path = typeof v === 'string' ? v : '';
    } catch {
      path = '';
    }
    const kind = stageOfPath(path);
    if (kind !== null) requestsByKind[kind] = (requestsByKind[kind] ?? 0) + 1;
  }
  return { requests, requestsByKind };
}

const entry = (path: string, i: number): string =>
  JSON.stringify({
    ts: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
    method: 'GET',
    path,
    query: 'limit=100',
    status: 200,
  });

const PATHS = [
  '/v1/compliance/organizations',
  '/v1/compliance/apps/chats',
  '/v1/compliance/apps/chats/claude_chat_1/messages',
  '/v1/compliance/apps/chats/files/claude_file_1/content',
  '/v1/compliance/apps/projects',
  '/v1/compliance/apps/code/artifacts/a1/versions/v1',
  '/v1/compliance/activities',
  '/v1/compliance/apps/chats/odd"quote/messages',
  '/v1/compliance/apps/chats/back\\slash/messages',
];

describe('ledger requests', () => {
  it('counts as parsing every line would, over chunk boundaries, with escapes and a torn last line', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i += 1) lines.push(entry(PATHS[(i * 7) % PATHS.length]!, i));
    lines.splice(100, 0, '', '   ', '{"ts":"x","method":"GET","status":null}');
    const torn = entry('/v1/compliance/apps/projects', 1).slice(0, 40);
    const text = `${lines.join('\n')}\n${torn}`;
    expect(text.length).toBeGreaterThan(3 * 1024 * 1024); // several 1 MiB chunks
    const path = join(dir, 'requests.jsonl');
    await writeFile(path, text);
    const got = await ledgerRequests(path);
    expect(got).toEqual(reference(text));
    expect(got.requests).toBe(60_002);
    expect(Object.keys(got.requestsByKind).length).toBeGreaterThan(3);
  });

  it('is nothing for a ledger that does not exist', async () => {
    expect(await ledgerRequests(join(dir, 'absent.jsonl'))).toEqual({ requests: 0, requestsByKind: {} });
  });
});
