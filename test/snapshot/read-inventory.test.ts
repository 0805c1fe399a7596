/** readInventory over real files: the lines it yields, and every way a line can be refused (by line number). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INVENTORY_LINE } from '../../src/snapshot/read-inventory.js';
import { readInventory } from '../../src/snapshot/stored-archive.js';
import type { InventoryLine } from '../../src/snapshot/types.js';
import { header, record } from './series-builder.js';

const RUN = '20261122T101300Z';
let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'read-inventory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(text: string): Promise<string> {
  n += 1;
  const path = join(dir, `inventory-${n}.jsonl`);
  await writeFile(path, text);
  return path;
}

const jsonl = (lines: unknown[]): string => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

async function readAll(path: string): Promise<InventoryLine[]> {
  const out: InventoryLine[] = [];
  for await (const line of readInventory(path)) out.push(line);
  return out;
}

/** Reads `text` expecting `chain_broken` at `line`; returns the message. */
async function refused(text: string, line: number): Promise<string> {
  const path = await file(text);
  const error = await readAll(path).then(
    () => null,
    (e: unknown) => e as { code: string; message: string },
  );
  expect(error?.code).toBe('chain_broken');
  expect(error?.message.startsWith(`${path}:${line}: `), error?.message).toBe(true);
  return error?.message ?? '';
}

describe('readInventory', () => {
  it('yields the header, then each record, as written', async () => {
    const lines = [
      header(RUN, 3, { previous: '20261121T000000Z' }),
      record('c1', RUN),
      record('c2', '20261121T000000Z', { deletedAt: '2026-11-20T00:00:00Z', signals: 'u=1' }),
      record('u1', RUN, {
        kind: 'user',
        files: [],
        row: { aggregate: 'directory/users.jsonl', sha256: 'a'.repeat(64), size: 40 },
      }),
    ];
    expect(await readAll(await file(jsonl(lines)))).toEqual(lines);
    // the last line may lack its newline; a header of zero records is a whole inventory
    expect(await readAll(await file(jsonl(lines).slice(0, -1)))).toEqual(lines);
    expect(await readAll(await file(jsonl([header(RUN, 0)])))).toEqual([header(RUN, 0)]);
  });

  it('names the line of a record that is not JSON, or not a record', async () => {
    const good = [header(RUN, 3), record('c1', RUN), record('c2', RUN), record('c3', RUN)];
    const withLine = (i: number, text: string): string =>
      good.map((l, k) => (k === i ? text : JSON.stringify(l))).join('\n') + '\n';
    await refused(withLine(2, '{"type":"record",'), 3);
    await refused(withLine(2, ''), 3);
    const bad: [string, unknown][] = [
      ['kind', 'spaceship'],
      ['id', ''],
      ['hash', 'A'.repeat(64)],
      ['updatedAt', 'yesterday'],
      ['custodian', 7],
      ['heldBy', '../20261122T101300Z'],
      ['files', [{ path: '../../etc/passwd', sha256: 'a'.repeat(64), md5: 'b'.repeat(32), size: 1 }]],
      ['files', [{ path: 'chats/x', sha256: 'a'.repeat(64), md5: 'b'.repeat(32), size: -1 }]],
      ['files', [{ path: '/abs', sha256: 'a'.repeat(64), md5: 'b'.repeat(32), size: 1 }]],
      ['files', [{ path: 'chats/%0A.json', sha256: 'a'.repeat(64), md5: 'b'.repeat(32), size: 1 }]],
      ['row', { aggregate: 'a/./b', sha256: 'a'.repeat(64), size: 1 }],
      ['extra', true],
    ];
    for (const [field, value] of bad) {
      const message = await refused(withLine(3, JSON.stringify({ ...record('c3', RUN), [field]: value })), 4);
      expect(message).toContain(field);
    }
    const { endpoint: _dropped, ...missing } = record('c3', RUN);
    expect(await refused(withLine(1, JSON.stringify(missing)), 2)).toContain('endpoint: missing');
    const both = { ...record('c3', RUN), row: { aggregate: 'd.jsonl', sha256: 'a'.repeat(64), size: 1 } };
    await refused(withLine(1, JSON.stringify(both)), 2);
  });

  it('needs a header first', async () => {
    await refused('', 1);
    await refused(jsonl([record('c1', RUN)]), 1);
    await refused(jsonl([{ ...header(RUN, 0), format: 2 }]), 1);
    await refused(jsonl([{ ...header(RUN, 0), specSha256: 'zz' }]), 1);
    await refused(jsonl([{ ...header(RUN, 0), records: 1.5 }]), 1);
    await refused(jsonl([header(RUN, 1), header(RUN, 1)]), 2);
  });

  it('holds the header to its count, both ways', async () => {
    expect(await refused(jsonl([header(RUN, 3), record('c1', RUN), record('c2', RUN)]), 3)).toContain(
      '2 record lines, the header says 3',
    );
    await refused(jsonl([header(RUN, 1), record('c1', RUN), record('c2', RUN)]), 3);
  });

  it('refuses a line over the cap and bytes that are not UTF-8', async () => {
    const long = JSON.stringify({ ...record('c1', RUN), signals: 'x'.repeat(MAX_INVENTORY_LINE) });
    await refused(`${JSON.stringify(header(RUN, 2))}\n${JSON.stringify(record('c0', RUN))}\n${long}\n`, 3);
    const latin1 = Buffer.concat([
      Buffer.from(`${JSON.stringify(header(RUN, 1))}\n`),
      Buffer.from(JSON.stringify(record('caf\u00e9', RUN)), 'latin1'),
    ]);
    const path = await file(latin1.toString('binary'));
    await writeFile(path, latin1);
    await expect(readAll(path)).rejects.toMatchObject({
      code: 'chain_broken',
      message: expect.stringContaining(`${path}:2: not UTF-8`),
    });
  });
});
