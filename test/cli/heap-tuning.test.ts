/**
 * The heap's growing factor: which flag the CLI sets from the environment, that this Node knows
 * the flag, and that setting it at start-up really bounds the heap by the live set (a real child
 * process that keeps a known live set and churns garbage).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_ENV, heapGrowingFlag } from '../../src/cli/heap-tuning.js';
import { EXIT } from '../../src/errors.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('heapGrowingFlag', () => {
  it('sets 25% by default and takes a whole percent from the environment', () => {
    expect(heapGrowingFlag({}, [])).toBe('--heap-growing-percent=25');
    expect(heapGrowingFlag({ [HEAP_GROWING_ENV]: ' 60 ' }, [])).toBe('--heap-growing-percent=60');
    expect(heapGrowingFlag({ [HEAP_GROWING_ENV]: '' }, [])).toBe('--heap-growing-percent=25');
  });

  it('leaves V8 alone on 0 or off, or when Node was given the flag already', () => {
    expect(heapGrowingFlag({ [HEAP_GROWING_ENV]: 'off' }, [])).toBeNull();
    expect(heapGrowingFlag({ [HEAP_GROWING_ENV]: '0' }, [])).toBeNull();
    expect(
      heapGrowingFlag({ NODE_OPTIONS: '--max-old-space-size=512 --heap-growing-percent=50' }, []),
    ).toBeNull();
    expect(heapGrowingFlag({}, ['--heap-growing-percent=10'])).toBeNull();
  });

  it.each(['abc', '500', '-5', '25%', '2.5', '1e2'])('refuses %j, naming the variable', (value) => {
    expect(() => heapGrowingFlag({ [HEAP_GROWING_ENV]: value }, [])).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringContaining(HEAP_GROWING_ENV) }),
    );
  });
});

describe('the flag in a real Node process', () => {
  it('is one this Node knows (an unknown flag is refused on the command line)', () => {
    const known = spawnSync(process.execPath, ['--heap-growing-percent=25', '-e', '0'], { encoding: 'utf8' });
    const unknown = spawnSync(process.execPath, ['--heap-growing-percentx=25', '-e', '0'], {
      encoding: 'utf8',
    });
    expect([known.status, unknown.status]).toEqual([0, 9]);
  });

  it('set at start-up, keeps the heap near the live set while garbage churns', () => {
    // ~60 MB live, ~1.5 GB of short-lived garbage; V8's default lets the heap reach 3-4x the live set.
    const script = `
      import { getHeapStatistics } from 'node:v8';
      import { tuneHeap } from './src/cli/heap-tuning.ts';
      tuneHeap();
      const live = [];
      for (let i = 0; i < 750; i += 1) live.push(new Array(10_000).fill(i + 0.5));
      let peak = 0;
      for (let r = 0; r < 300; r += 1) {
        const junk = [];
        for (let i = 0; i < 20_000; i += 1) junk.push({ s: 'g'.repeat(40) + i, n: [i] });
        peak = Math.max(peak, getHeapStatistics().used_heap_size);
      }
      globalThis.gc();
      const kept = getHeapStatistics().used_heap_size;
      console.log(JSON.stringify({ peak, kept, n: live.length }));
    `;
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const { peak, kept } = JSON.parse(r.stdout) as { peak: number; kept: number };
    const MIB = 1024 * 1024;
    expect(kept).toBeGreaterThan(55 * MIB);
    // 25% past the live set, plus the young generation and V8's own minimum step.
    expect(peak).toBeLessThan(kept * 1.25 + 64 * MIB);
  });
});

describe('the CLI entry', () => {
  it('exits 2 on a bad setting, naming the variable, before doing anything', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, [HEAP_GROWING_ENV]: 'lots' },
    });
    expect([r.status, r.stdout]).toEqual([EXIT.usage, '']);
    expect(r.stderr).toContain(`usage: ${HEAP_GROWING_ENV}="lots"`);
  });
});
