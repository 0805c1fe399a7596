import { describe, expect, it } from 'vitest';
import { byteOrder } from '../../src/archive/byte-order.js';

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const sign = (n: number): number => Math.sign(n);

describe('byteOrder', () => {
  it('orders strings as Buffer.compare orders their UTF-8, astral and lone surrogates included', () => {
    // Characters where UTF-16 order and UTF-8 order disagree (U+E000.. vs surrogate pairs), and prefixes.
    const alphabet = [
      'a',
      'B',
      '/',
      '.',
      'é',
      'Ω',
      '\uE000',
      '\uFF5E',
      '😀',
      '𝄞',
      '\uD800',
      '\uDC00',
      '~',
      '',
    ];
    let seed = 7;
    const pick = (): string => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return alphabet[seed % alphabet.length] ?? '';
    };
    const strings = Array.from({ length: 400 }, () => Array.from({ length: 1 + (seed % 5) }, pick).join(''));
    const mismatches: string[] = [];
    for (const a of strings) {
      for (const b of strings.slice(0, 60)) {
        if (sign(byteOrder(a, b)) !== sign(utf8Order(a, b))) mismatches.push(`${a} | ${b}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect([...strings].sort(byteOrder)).toEqual([...strings].sort(utf8Order));
  });
});
