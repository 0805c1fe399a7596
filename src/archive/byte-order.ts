/**
 * Compares two strings in the byte order of their UTF-8 (the order BagIt tools and `sort` give
 * manifest lines) without encoding them: UTF-8 keeps code point order, and UTF-16 code units
 * compare in code point order except where a surrogate meets another unit, which is left to
 * Buffer.compare (rare: astral characters, or lone surrogates that UTF-8 replaces). Sorting
 * 180,000 payload paths made ~6 million Buffers when every comparison encoded both strings.
 */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800)
      return Buffer.compare(Buffer.from(a), Buffer.from(b));
    return x - y;
  }
  return a.length - b.length;
}
