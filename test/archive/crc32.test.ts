import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/archive/crc32.js';
import { noise } from './fixtures.js';

const require = createRequire(import.meta.url);

describe('crc32', () => {
  it('gives exactly the values the crc-32 package gives, chained or not, unsigned', () => {
    const js = (require('crc-32') as { buf: (d: Uint8Array, seed?: number) => number }).buf;
    const data = [Buffer.alloc(0), Buffer.from('123456789'), noise(100_003, 5), noise(70_000, 6)];
    expect(data.map((d) => crc32(d))).toEqual(data.map((d) => js(d) >>> 0));
    expect(crc32(data[3]!, crc32(data[2]!))).toBe(js(data[3]!, js(data[2]!)) >>> 0);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});
