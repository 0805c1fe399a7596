/** oneLine / clip / wrap: what every value passes through before a person reads it. */
import { describe, expect, it } from 'vitest';
import { clip, oneLine, wrap } from '../../../src/produce/people/plain-text.js';

describe('oneLine', () => {
  it('folds breaks and controls, drops bidi and invisible marks, replaces lone surrogates', () => {
    expect(oneLine(' a\r\nb\tc\u2028d\u0085e\u001b[0m ')).toBe('a b c d e [0m');
    expect(oneLine('file\u202etxt.exe\u200b')).toBe('filetxt.exe');
    expect(oneLine('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
    expect(oneLine('emoji 😀 kept')).toBe('emoji 😀 kept');
  });
});

describe('clip', () => {
  it('cuts at a code point, never inside a surrogate pair, and marks the cut', () => {
    expect(clip('😀😀😀', 2)).toBe('😀…');
    expect(clip('abc', 3)).toBe('abc');
  });
});

describe('wrap', () => {
  it('never exceeds the width, breaking words longer than a line', () => {
    const text = `short words then ${'x'.repeat(150)} and more words to wrap around the line end`;
    const lines = wrap(text, 40, 'Label:  ', '        ');
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(40);
    expect(lines[0]!.startsWith('Label:  short words then')).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith('        '))).toBe(true);
    expect(lines.join('').replace(/Label: |\s/gu, '')).toBe(text.replace(/\s/gu, ''));
  });

  it('gives the prefix alone for empty text', () => {
    expect(wrap('', 20, 'Matter:')).toEqual(['Matter:']);
  });
});
