/**
 * The content-kind registry decides for every kind whether it is a document or a data set; the
 * aggregates the kinds declare each name a data-set kind (an empty one still gets its row).
 */
import { describe, expect, it } from 'vitest';
import { ITEM_KINDS } from '../../../src/collect/index.js';
import { KINDS } from '../../../src/collect/kinds/index.js';

describe('ITEM_KINDS', () => {
  it('names the data-set kind of every aggregate a content kind declares', () => {
    const aggregates = KINDS.flatMap((k) => k.aggregates ?? []);
    expect(aggregates.length).toBeGreaterThan(0);
    const named = Object.entries(ITEM_KINDS)
      .filter(([, r]) => r.role === 'dataset' && r.aggregate !== null)
      .map(([, r]) => (r.role === 'dataset' ? r.aggregate : null));
    expect([...aggregates].sort()).toEqual([...named].sort());
  });

  it('gives document kinds distinct ranks, and parents that are documents without parents', () => {
    const docs = Object.entries(ITEM_KINDS).flatMap(([kind, r]) =>
      r.role === 'document' ? [[kind, r] as const] : [],
    );
    expect(new Set(docs.map(([, r]) => r.rank)).size).toBe(docs.length);
    for (const [, r] of docs) {
      for (const p of r.parents) {
        const parent = ITEM_KINDS[p];
        expect(parent.role === 'document' && parent.parents.length === 0, p).toBe(true);
      }
    }
  });
});
