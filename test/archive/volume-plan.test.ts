/**
 * The volume planner on plain inputs: a document's files (its items row paths and its record's
 * folder) never split, rows sharing a path packed together, units in byte order of their first
 * path, a unit over the limit alone, and each volume's manifest hash that of its own files.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planVolumes, volumeLabel, type VolumeFile } from '../../src/archive/volume-plan.js';

const file = (path: string, size: number): VolumeFile => ({
  path,
  size,
  sha256: createHash('sha256').update(path).digest('hex'),
});
/** A file's weight against the limit: its bytes and its two manifest lines. */
const weight = (f: VolumeFile): number => f.size + 2 * Buffer.byteLength(`data/${f.path}`) + 64 + 32 + 6;

const FILES = [
  file('chats/c1.json', 100),
  file('review/rsmf/c1.rsmf', 300),
  file('review/text/D-1.txt', 50),
  file('files/f1/report.pdf', 400),
  file('files/f1/metadata.json', 20),
  file('files/f1/extra-part.bin', 30), // no row names it: it goes with the record's folder
  file('review/text/D-2.txt', 40),
  file('chats/c2.json', 200),
  file('review/rsmf/c2.rsmf', 200),
  file('review/loadfile.dat', 90),
];
const ITEMS = [
  ['data/review/rsmf/c1.rsmf', 'data/review/text/D-1.txt', 'data/chats/c1.json'],
  ['data/files/f1/report.pdf', 'data/review/text/D-2.txt', 'data/files/f1/metadata.json'],
  ['data/review/rsmf/c2.rsmf', '', 'data/chats/c2.json'],
];

describe('planVolumes', () => {
  it('keeps each document whole, in byte order of its first path, and every file once', () => {
    // Weights: c1 888, c2 688, f1 1104, the load file 240.
    expect(weight(FILES[0]!) + weight(FILES[1]!) + weight(FILES[2]!)).toBe(888);
    const plan = planVolumes(FILES, ITEMS, 1400);
    const where = new Map<string, number>();
    for (const v of plan.volumes) for (const p of v.paths) where.set(p, v.index);
    expect([...where.keys()].sort()).toEqual(FILES.map((f) => f.path).sort());
    for (const row of ITEMS) {
      const at = new Set(row.filter((p) => p !== '').map((p) => where.get(p.slice(5))));
      expect(at.size).toBe(1);
    }
    expect(where.get('files/f1/extra-part.bin')).toBe(where.get('files/f1/report.pdf'));
    // Units by first path: chats/c1.json, chats/c2.json, files/f1/…, review/loadfile.dat.
    expect(plan.volumes.map((v) => v.paths[0])).toEqual([
      'chats/c1.json',
      'chats/c2.json',
      'files/f1/extra-part.bin',
    ]);
    expect(where.get('review/loadfile.dat')).toBe(3); // fits beside files/f1
    expect(plan.volumes.every((v) => v.count === 3)).toBe(true);
    expect(plan.oversized).toEqual([]);
    for (const v of plan.volumes) {
      const lines = v.paths.map((p) => `${FILES.find((f) => f.path === p)!.sha256}  data/${p}\n`).join('');
      expect(v.manifestSha256).toBe(createHash('sha256').update(lines).digest('hex'));
    }
  });

  it('packs rows that share a path as one unit', () => {
    const shared = [...ITEMS, ['data/chats/c2.json', 'data/review/text/D-1.txt', '']];
    const plan = planVolumes(FILES, shared, 700);
    const c1 = plan.volumes.find((v) => v.paths.includes('chats/c1.json'));
    expect(c1?.paths).toContain('chats/c2.json');
  });

  it('gives a unit larger than the limit a volume of its own, and says which', () => {
    const plan = planVolumes(FILES, ITEMS, 700);
    const f1 = plan.volumes.find((v) => v.paths.includes('files/f1/report.pdf'));
    expect(f1?.paths).toEqual([
      'files/f1/extra-part.bin',
      'files/f1/metadata.json',
      'files/f1/report.pdf',
      'review/text/D-2.txt',
    ]);
    expect(plan.oversized.map((o) => [o.first, o.files, o.volume])).toEqual([
      ['chats/c1.json', 3, 1],
      ['files/f1/extra-part.bin', 4, 3],
    ]);
    // c2 (688) fits on its own after the oversized c1; the load file starts afresh after f1.
    expect(plan.volumes.map((v) => v.paths.length)).toEqual([3, 2, 4, 1]);
  });

  it('is one volume when everything fits, and the same plan for the same input in any order', () => {
    expect(planVolumes(FILES, ITEMS, 10_000).volumes).toHaveLength(1);
    const a = planVolumes(FILES, ITEMS, 500);
    const b = planVolumes([...FILES].reverse(), [...ITEMS].reverse(), 500);
    expect(b).toEqual(a);
  });

  it('labels volumes with at least three digits', () => {
    expect(volumeLabel(2, 3)).toBe('vol002-of-003');
    expect(volumeLabel(7, 1200)).toBe('vol0007-of-1200');
  });
});
