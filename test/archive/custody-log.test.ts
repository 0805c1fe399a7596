import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CustodyLog,
  GENESIS_HASH,
  fingerprint,
  sha256Hex,
  verifyCustodyChain,
} from '../../src/archive/custody-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'custody-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const clock = (): (() => Date) => {
  let t = Date.parse('2026-11-22T10:00:00Z');
  return () => new Date((t += 1000));
};

async function writeLog(path: string): Promise<string[]> {
  const log = await CustodyLog.open(path, { now: clock() });
  await log.append('run_start', { operator: 'alice', host: 'h1', key: fingerprint('sk-ant-secret') });
  await log.append('stage_end', { stage: 'chats', items: 12 });
  await log.append('run_end', { exit: 0 });
  await log.close();
  return (await readFile(path, 'utf8')).split('\n');
}

describe('custody log', () => {
  it('chains each entry to the SHA-256 of the line before it', async () => {
    const lines = await writeLog(join(dir, 'c.jsonl'));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    const entries = lines.slice(0, 3).map((l) => JSON.parse(l));
    expect(entries[0].prev).toBe(GENESIS_HASH);
    expect(entries[1].prev).toBe(sha256Hex(lines[0]!));
    expect(entries[2].prev).toBe(sha256Hex(lines[1]!));
    expect(entries.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(entries[0].at).toBe('2026-11-22T10:00:01.000Z');
    expect(lines.join('\n')).not.toContain('sk-ant-secret');
    const result = verifyCustodyChain(lines);
    expect(result).toMatchObject({ ok: true, entries: 3, head: sha256Hex(lines[2]!) });
  });

  it('names the line where an edit, a deletion or a reorder breaks the chain', async () => {
    const lines = (await writeLog(join(dir, 'c.jsonl'))).slice(0, 3);
    const edited = [...lines];
    edited[1] = edited[1]!.replace('"items":12', '"items":13');
    expect(verifyCustodyChain(edited).problems).toEqual([
      expect.objectContaining({ line: 3, code: 'chain_broken' }),
    ]);
    const dropped = [lines[0]!, lines[2]!];
    expect(verifyCustodyChain(dropped).problems.map((p) => [p.line, p.code])).toEqual([
      [2, 'chain_broken'],
      [2, 'seq_gap'],
    ]);
    expect(verifyCustodyChain(['{not json']).problems[0]).toMatchObject({ line: 1, code: 'invalid_json' });
  });

  it('resumes an existing log and repairs a torn last line', async () => {
    const path = join(dir, 'c.jsonl');
    await writeLog(path);
    await appendFile(path, '{"seq":3,"at":"2026-11-22T10:');
    const log = await CustodyLog.open(path);
    expect(log.entries).toBe(4); // three + the repair entry
    await log.append('run_resume');
    await log.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.map((l) => (l === '' ? '' : JSON.parse(l).event))).toEqual([
      'run_start',
      'stage_end',
      'run_end',
      'log_repaired',
      'run_resume',
      '',
    ]);
    expect(verifyCustodyChain(lines).ok).toBe(true);
  });

  it('refuses to extend a log whose chain is broken', async () => {
    const path = join(dir, 'c.jsonl');
    const lines = await writeLog(path);
    await writeFile(path, [lines[0], lines[2], ''].join('\n'));
    await expect(CustodyLog.open(path)).rejects.toMatchObject({ code: 'store_corrupt' });
  });
});
