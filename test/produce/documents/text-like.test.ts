/** Text decided by the bytes: UTF-8 without binary controls, not empty, within the cap. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isTextLike, TEXT_CAP_BYTES } from '../../../src/produce/text-like.js';

const chunks = (...parts: (string | number[] | Buffer)[]) => {
  const buffers = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)));
  return [buffers.reduce((n, b) => n + b.length, 0), () => Readable.from(buffers)] as const;
};

describe('isTextLike', () => {
  it('takes UTF-8 text with tabs, line ends and form feeds, a character split across chunks included', async () => {
    expect(await isTextLike(...chunks('naïve café\r\n\tcol\fpage\n'))).toBe(true);
    const e = Buffer.from('é', 'utf8');
    expect(await isTextLike(...chunks('abc', [e[0]!], [e[1]!], ' end'))).toBe(true);
    expect(await isTextLike(...chunks('\ufeffwith BOM'))).toBe(true);
  });

  it('refuses NUL, other C0 controls, invalid or truncated UTF-8, and empty bytes', async () => {
    expect(await isTextLike(...chunks('a\u0000b'))).toBe(false);
    expect(await isTextLike(...chunks('colour \u001b[31mred'))).toBe(false);
    expect(await isTextLike(...chunks([0x61, 0xff, 0x62]))).toBe(false);
    expect(await isTextLike(...chunks('ok', [0xc3]))).toBe(false);
    expect(await isTextLike(...chunks([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(false);
    expect(await isTextLike(...chunks(''))).toBe(false);
  });

  it('refuses text past the cap without reading it, and bytes that run past their stated size', async () => {
    let opened = false;
    expect(
      await isTextLike(TEXT_CAP_BYTES + 1, () => {
        opened = true;
        return Readable.from([Buffer.from('x')]);
      }),
    ).toBe(false);
    expect(opened).toBe(false);
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const stream = () => Readable.from(Array.from({ length: 17 }, () => big));
    expect(await isTextLike(10, stream)).toBe(false);
  });
});
