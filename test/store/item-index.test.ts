import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ItemIndex } from '../../src/store/item-index.js';
import type { IndexEntry } from '../../src/store/types.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('item index (packed entries)', () => {
  it('gives back every entry exactly as set, server-given strings included', () => {
    const index = new ItemIndex();
    const entries: [string, string, IndexEntry][] = [
      ['chat', 'c1', { offset: 0, updatedAt: '2026-01-01T00:00:00Z', hash: sha('a'), signals: 'abcd' }],
      ['chat', 'c2', { offset: 123_456_789_012, updatedAt: null, hash: sha('b') }],
      // A hostile updated_at and signals with the packing's own delimiters, and a hash not in hex.
      ['file', 'f.1', { offset: 7, updatedAt: 'n.s_-\u0000\u0002😀', hash: 'NOT-HEX.1', signals: '3.x_' }],
      ['file', 'f2', { offset: -1, updatedAt: 's', hash: sha('c'), signals: '' }],
      ['user', '', { offset: 35, updatedAt: '', hash: '' }],
    ];
    for (const [kind, id, e] of entries) index.set(kind, id, e);
    for (const [kind, id, e] of entries) {
      expect(index.get(kind, id)).toEqual(e);
      expect(index.offset(kind, id)).toBe(e.offset);
      expect(index.has(kind, id)).toBe(true);
    }
    expect(index.get('chat', 'f2')).toBeUndefined();
    expect(index.offset('project', 'x')).toBeUndefined();
  });

  it('counts stored items per kind in the order one Map over every item gives, left-out items aside', () => {
    const index = new ItemIndex();
    const e = (offset: number): IndexEntry => ({ offset, updatedAt: null, hash: sha(String(offset)) });
    index.set('chat', 'x1', e(-1)); // left out first: chat's place comes from x1 once it is stored
    index.set('user', 'u1', e(10));
    index.set('chat', 'x2', e(20));
    index.set('file', 'f1', e(-1)); // only left out: no count
    expect([...index.countsByKind()]).toEqual([
      ['user', 1],
      ['chat', 1],
    ]);
    index.set('chat', 'x1', e(30)); // stored now, keeps its first place
    expect([...index.countsByKind()]).toEqual([
      ['chat', 2],
      ['user', 1],
    ]);
    expect(index.storedIds('chat')).toEqual(['x1', 'x2']);
    expect(index.storedIds('file')).toEqual([]);
  });
});
