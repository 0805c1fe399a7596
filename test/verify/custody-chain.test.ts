import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodyLog, verifyCustodyChain } from '../../src/archive/custody-log.js';
import { checkCustodyChain } from '../../src/verify/custody-chain.js';

// The verifier checks the chain with its own code; these tests pin it to what the writer writes
// and to the writer's own check, line by line and code by code, on intact and tampered logs.
let dir: string;
let lines: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'custody-chain-'));
  let t = Date.parse('2026-11-22T10:00:00Z');
  const log = await CustodyLog.open(join(dir, 'c.jsonl'), { now: () => new Date((t += 1000)) });
  await log.append('run_start', { operator: 'alice' });
  await log.append('stage_end', { stage: 'chats', items: 12 });
  await log.append('seal', { files: 3 });
  await log.append('run_end', { exit: 0 });
  await log.close();
  lines = (await readFile(join(dir, 'c.jsonl'), 'utf8')).split('\n').slice(0, -1);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const verdict = (text: string): { entries: number; problems: [number, string][] } => {
  const r = checkCustodyChain(text);
  return { entries: r.entries, problems: r.problems.map((p) => [p.line, p.code]) };
};
const writersVerdict = (text: string): { entries: number; problems: [number, string][] } => {
  const r = verifyCustodyChain(text.split('\n'));
  return { entries: r.entries, problems: r.problems.map((p) => [p.line, p.code]) };
};

describe('the verifier’s custody chain check', () => {
  it('accepts the log the writer wrote, counting every entry', () => {
    const text = `${lines.join('\n')}\n`;
    expect(verdict(text)).toEqual({ entries: 4, problems: [] });
  });

  it('names the line an edit, a deletion, a reorder, bad JSON or a bad entry breaks', () => {
    const edited = [...lines];
    edited[1] = edited[1]!.replace('"items":12', '"items":13');
    const cases: [string, string[], [number, string][]][] = [
      ['edit', edited, [[3, 'chain_broken']]],
      [
        'deletion',
        [lines[0]!, lines[2]!, lines[3]!],
        [
          [2, 'chain_broken'],
          [2, 'seq_gap'],
          [3, 'seq_gap'],
        ],
      ],
      [
        'reorder',
        [lines[0]!, lines[2]!, lines[1]!, lines[3]!],
        [
          [2, 'chain_broken'],
          [2, 'seq_gap'],
          [3, 'chain_broken'],
          [3, 'seq_gap'],
          [4, 'chain_broken'],
        ],
      ],
      [
        'bad json',
        [lines[0]!, '{"seq":1', lines[2]!, lines[3]!],
        [
          [2, 'invalid_json'],
          [3, 'chain_broken'],
        ],
      ],
      [
        'bad entry',
        [lines[0]!, '[1,2]', lines[2]!, lines[3]!],
        [
          [2, 'invalid_entry'],
          [3, 'chain_broken'],
        ],
      ],
    ];
    for (const [name, tampered, expected] of cases) {
      const text = `${tampered.join('\n')}\n`;
      expect(verdict(text).problems, name).toEqual(expected);
      // Two independent implementations of one format agree.
      expect(verdict(text), name).toEqual(writersVerdict(text));
    }
  });
});
