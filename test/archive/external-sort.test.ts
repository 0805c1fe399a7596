/**
 * The sort's line reader: run files are read through one small buffer, so a line, or a character
 * of one, may be split across two reads. What `writeLines` wrote comes back value for value, and a
 * damaged line is an `archive_error` naming the file and the line.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLines, writeLines, type LineShape } from '../../src/archive/external-sort.js';

const STRINGS: LineShape<[string, number]> = {
  what: 'test line',
  is: (v): v is [string, number] =>
    Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'number',
};

async function collect<T>(values: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of values) out.push(v);
  return out;
}

describe('readLines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'external-sort-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /** What `readLines` gives back of the values `writeLines` wrote, one JSON line each. */
  const roundTrip = async (name: string, values: [string, number][]): Promise<[string, number][]> => {
    const path = join(dir, name);
    await writeLines(
      path,
      values.map((v) => `${JSON.stringify(v)}\n`),
    );
    return collect(readLines(path, STRINGS));
  };

  it('reads back what writeLines wrote across read boundaries, multi-byte characters split between reads', async () => {
    // Lines of 1 to 3 KB of 1-, 2-, 3- and 4-byte characters, U+2028 (not a line break in JSON
    // lines) among them: ~2 MB, so hundreds of reads end inside a line and many inside a character.
    const alphabet = ['a', 'é', '€', '𝄞', '\u2028', '"', '\\'];
    const values: [string, number][] = [];
    for (let i = 0; i < 1500; i += 1) {
      let text = '';
      for (let j = 0; j < 300 + ((i * 37) % 700); j += 1) text += alphabet[(i + j * 3) % alphabet.length];
      values.push([text, i]);
    }
    expect(await roundTrip('round-trip', values)).toEqual(values);
  });

  it('reads lines many times longer than one read', async () => {
    const values: [string, number][] = [
      ['x'.repeat(100_000), 1],
      ['€'.repeat(70_000), 2],
      ['', 3],
    ];
    expect(await roundTrip('long-lines', values)).toEqual(values);
  });

  it('reads a last line without its newline, and an empty file as nothing', async () => {
    const path = join(dir, 'no-final-newline');
    await writeFile(path, '["a",1]\n["b",2]');
    expect(await collect(readLines(path, STRINGS))).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    const empty = join(dir, 'empty');
    await writeFile(empty, '');
    expect(await collect(readLines(empty, STRINGS))).toEqual([]);
  });

  it('names the file and line of a line that is not JSON, or not of the shape', async () => {
    const broken = join(dir, 'broken');
    await writeFile(broken, '["a",1]\n["b",2]\n["c",\n');
    await expect(collect(readLines(broken, STRINGS))).rejects.toMatchObject({
      code: 'archive_error',
      message: expect.stringMatching(new RegExp(`^${broken}: line 3 is not JSON \\(`, 'u')),
    });
    const other = join(dir, 'other');
    await writeFile(other, '["a",1]\n{"a":1}\n');
    await expect(collect(readLines(other, STRINGS))).rejects.toMatchObject({
      code: 'archive_error',
      message: `${other}: line 2 is not a test line`,
    });
  });
});
