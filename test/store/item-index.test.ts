import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyedFingerprint, newFingerprintKey } from '../../src/store/item-fingerprint.js';
import type { IndexEntry } from '../../src/store/types.js';
import { indexHarness, sha, type Harness } from './item-index-harness.js';

let dir: string;
let h: Harness | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'item-index-'));
});
afterEach(async () => {
  await h?.close();
  h = null;
  await rm(dir, { recursive: true, force: true });
});

const open = async (options: Parameters<typeof indexHarness>[1] = {}): Promise<Harness> =>
  (h = await indexHarness(dir, options));

/** Every key gives back its entry, and `isAt` knows stored items by their line. */
function expectAll(x: Harness, entries: readonly (readonly [string, string, IndexEntry])[]): void {
  for (const [kind, id, e] of entries) {
    expect(x.index.get(kind, id)).toEqual(e);
    expect(x.index.has(kind, id)).toBe(true);
    expect(x.index.offset(kind, id)).toBe(e.offset);
    if (e.offset >= 0) expect(x.index.isAt(kind, id, e.offset)).toBe(true);
  }
}

describe('item index (entries in typed arrays, the rest read back from the journal line)', () => {
  it('gives back every entry exactly as set, server-given strings included, before and after the write', async () => {
    const x = await open();
    const entries: [string, string, IndexEntry][] = [
      ['chat', 'c1', x.put('chat', 'c1', { signals: 'abcd' })],
      ['chat', 'c2', x.put('chat', 'c2', { updatedAt: null, heldBy: 'run-1' })],
      // A hostile updated_at and signals, and a hash not in hex.
      [
        'file',
        'f.1',
        x.put('file', 'f.1', { updatedAt: 'n.s_-\u0000\u0002😀', hash: 'NOT-HEX.1', signals: '3.x_' }),
      ],
      ['file', 'f2', x.put('file', 'f2', { updatedAt: 's', excluded: true })],
      ['user', '', x.put('user', '', { updatedAt: '', hash: '' })],
    ];
    expect((await stat(x.path)).size).toBe(0); // none written yet: answered from memory
    expectAll(x, entries);
    await x.writer.flush();
    x.put('chat', 'later'); // lets the index drop the written lines from memory
    expectAll(x, entries);
    expect(x.index.get('chat', 'f2')).toBeUndefined();
    expect(x.index.offset('project', 'x')).toBeUndefined();
    expect(x.index.isAt('chat', 'c1', entries[1]![2].offset)).toBe(false);
  });

  it('counts stored items per kind in the order one Map over every item gives, left-out items aside', async () => {
    const x = await open();
    x.put('chat', 'x1', { excluded: true }); // left out first: chat's place comes from x1 once stored
    x.put('user', 'u1');
    x.put('chat', 'x2');
    x.put('file', 'f1', { excluded: true }); // only left out: no count
    expect([...x.index.countsByKind()]).toEqual([
      ['user', 1],
      ['chat', 1],
    ]);
    const stored = x.put('chat', 'x1', { hash: sha('x1 stored') }); // stored now, keeps its first place
    expect([...x.index.countsByKind()]).toEqual([
      ['chat', 2],
      ['user', 1],
    ]);
    expect(x.index.storedIds('chat')).toEqual(['x1', 'x2']);
    expect(x.index.storedIds('file')).toEqual([]);
    await x.writer.flush();
    x.put('role', 'r1');
    expect(x.index.get('chat', 'x1')).toEqual(stored);
    expect(x.index.storedIds('chat')).toEqual(['x1', 'x2']);
  });

  it('an item left out, then stored: the excluded line first, the record line after', async () => {
    const x = await open();
    const left = x.put('chat', 'c', { excluded: true, hash: sha('first') });
    await x.writer.flush();
    x.put('chat', 'other');
    expect(x.index.get('chat', 'c')).toEqual(left);
    expect(x.index.offset('chat', 'c')).toBe(-1);
    expect([...x.index.countsByKind()]).toEqual([['chat', 1]]);
    const stored = x.put('chat', 'c', { hash: sha('second'), signals: 's' });
    expect(stored.offset).toBeGreaterThan(0);
    await x.writer.flush();
    x.put('chat', 'third');
    expect(x.index.get('chat', 'c')).toEqual(stored);
    expect(x.index.isAt('chat', 'c', stored.offset)).toBe(true);
    expect([...x.index.countsByKind()]).toEqual([['chat', 3]]);
    expect(x.index.storedIds('chat')).toEqual(['c', 'other', 'third']);
  });

  it('two items with one fingerprint: both found, each its own, deleting one leaves the other', async () => {
    // Every key collides (a negative number, too: any number is taken): only the kind and id on
    // the line tell items apart.
    const x = await open({ fingerprint: () => -7 });
    const a = x.put('chat', 'a', { signals: 'sa' });
    const b = x.put('chat', 'b', { signals: 'sb' });
    const fileA = x.put('file', 'a');
    const c = x.put('chat', 'c', { excluded: true });
    const all: [string, string, IndexEntry][] = [
      ['chat', 'a', a],
      ['chat', 'b', b],
      ['file', 'a', fileA],
      ['chat', 'c', c],
    ];
    expectAll(x, all);
    await x.writer.flush();
    x.put('user', 'u');
    expectAll(x, all);
    expect(x.index.get('chat', 'd')).toBeUndefined();
    expect(x.index.isAt('file', 'a', a.offset)).toBe(false); // chat a's line, not file a's

    x.index.delete('chat', 'a');
    expect(x.index.has('chat', 'a')).toBe(false);
    expectAll(x, all.slice(1));
    expect(x.index.storedIds('chat')).toEqual(['b']);
    const again = x.put('chat', 'a', { signals: 'again' }); // back, at the end of the order
    expect(x.index.get('chat', 'a')).toEqual(again);
    expect(x.index.storedIds('chat')).toEqual(['b', 'a']);
    expect(x.index.get('chat', 'b')).toEqual(b);
  });

  it('a line appended but not yet in the file (its write held) is answered from memory', async () => {
    const x = await open();
    const first = x.put('chat', 'first');
    await x.writer.flush();
    const release = x.gate();
    const held = x.put('chat', 'held', { signals: 'sig' });
    const flushed = x.writer.flush(); // the write starts and waits at the gate
    const replaced = x.put('chat', 'first', { hash: sha('newer') });
    expect((await stat(x.path)).size).toBeLessThanOrEqual(held.offset);
    expect(x.index.get('chat', 'held')).toEqual(held);
    expect(x.index.get('chat', 'first')).toEqual(replaced);
    expect(replaced.offset).not.toBe(first.offset);
    release();
    await flushed;
    await x.writer.flush();
    x.put('chat', 'next');
    expect(x.index.get('chat', 'held')).toEqual(held);
    expect(x.index.get('chat', 'first')).toEqual(replaced);
  });

  it('grows past several doublings and compacts after deletes, order and answers kept', async () => {
    const x = await open();
    const n = 12_000; // the table starts at 1,024 slots: five doublings
    const entries: [string, string, IndexEntry][] = [];
    for (let i = 0; i < n; i += 1) {
      const kind = i % 3 === 0 ? 'file' : 'chat';
      entries.push([kind, `id-${i}`, x.put(kind, `id-${i}`, { excluded: i % 7 === 0 })]);
      if (i % 1000 === 999) await x.writer.flush();
    }
    await x.writer.flush();
    x.put('user', 'u');
    expectAll(x, entries);
    // Delete three items in four (more than the live ones): the entries are compacted.
    for (const [kind, id] of entries.filter((_, i) => i % 4 !== 0)) x.index.delete(kind, id);
    const kept = entries.filter((_, i) => i % 4 === 0);
    expectAll(x, kept);
    for (const [kind, id] of entries.filter((_, i) => i % 4 !== 0)) expect(x.index.has(kind, id)).toBe(false);
    const storedChats = kept.filter(([k, , e]) => k === 'chat' && e.offset >= 0).map(([, id]) => id);
    expect(x.index.storedIds('chat')).toEqual(storedChats);
    const expected = new Map<string, number>();
    for (const [kind, , e] of [...kept, ['user', 'u', { offset: 0 }] as const])
      if (e.offset >= 0) expected.set(kind, (expected.get(kind) ?? 0) + 1);
    expect([...x.index.countsByKind()]).toEqual([...expected]);
    expect([...expected.keys()]).toEqual(['chat', 'file', 'user']); // item 0 (a file) is left out
  });

  it('hostile ids: NUL, astral, lone surrogates, a newline, 10 KB and 70 KB ids are distinct and round-trip', async () => {
    const x = await open();
    const ids = ['a\u0000b', 'a', 'a\u0000', '😀', '\ud83d', '\ude00', '\ud800', '\udc00', 'x\ny', '', 'é'];
    ids.push('i'.repeat(10 * 1024), 'L'.repeat(70 * 1024)); // the last line is too long for its length to be kept
    const entries = ids.map((id, i): [string, string, IndexEntry] => [
      'chat',
      id,
      x.put('chat', id, { hash: sha(`h${i}`) }),
    ]);
    entries.push(['chat\u0000a', 'b', x.put('chat\u0000a', 'b')]); // vs chat + `a\0b`
    expectAll(x, entries);
    await x.writer.flush();
    x.put('user', 'u');
    expectAll(x, entries);
    expect(x.index.storedIds('chat')).toEqual(ids);
    expect(x.index.get('chat', 'a\u0000c')).toBeUndefined();
  });

  it('the fingerprint tells lone surrogates apart (UTF-8 would make them all U+FFFD)', () => {
    const prints = new Set<number>();
    const fingerprint = keyedFingerprint(newFingerprintKey());
    for (let u = 0xd800; u < 0xe000; u += 1) prints.add(fingerprint('chat', `x${String.fromCharCode(u)}`));
    // 2,048 keys in 2^32 values: a few equal by chance at most; one value each under UTF-8.
    expect(prints.size).toBeGreaterThan(2040);
  });
});
