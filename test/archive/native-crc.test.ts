import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { useNativeCrc32 } from '../../src/archive/native-crc.js';
import { noise } from './fixtures.js';

const require = createRequire(import.meta.url);

describe('native CRC-32 for archiver', () => {
  it('gives exactly the values crc-32 gives, chained or not, signed as crc-32 returns them', () => {
    const crc = require('crc-32') as { buf: (d: Uint8Array, seed?: number) => number };
    const js = crc.buf;
    const data = [Buffer.alloc(0), Buffer.from('123456789'), noise(100_003, 5), noise(70_000, 6)];
    const expected = data.map((d) => js(d));
    const chainedExpected = js(data[3]!, js(data[2]!) >>> 0);
    expect(useNativeCrc32()).toBe(true);
    expect(crc.buf).not.toBe(js);
    expect(data.map((d) => crc.buf(d))).toEqual(expected);
    expect(crc.buf(data[3]!, crc.buf(data[2]!) >>> 0)).toBe(chainedExpected);
    expect(crc.buf(Buffer.from('123456789')) >>> 0).toBe(0xcbf43926);
    expect(useNativeCrc32()).toBe(true); // idempotent
  });
});
