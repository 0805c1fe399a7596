import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES, safeName, safeSegment, unsafePathReason } from '../../src/archive/safe-name.js';

describe('safeName', () => {
  it.each([
    ['../../x', 'x'],
    ['/etc/passwd', 'passwd'],
    ['C:\\x', 'x'],
    ['C:x.txt', 'x.txt'],
    ['..\\..\\windows\\system32\\evil.dll', 'evil.dll'],
    ['a\u0000b\u0007c\u001b[31m.txt', 'abc[31m.txt'],
    ['CON.txt', '_CON.txt'],
    ['con', '_con'],
    ['LPT1.tar.gz', '_LPT1.tar.gz'],
    ['Aux ', '_Aux'],
    ['.bashrc', '_bashrc'],
    ['-rf', '_rf'],
    ['--help.txt', '_help.txt'],
    ['. .evil', '_evil'],
    ['name.', 'name'],
    ['what?.txt', 'what_.txt'],
    ['report\u202egnp.exe', 'reportgnp.exe'],
    ['', 'file'],
    ['..', 'file'],
    ['/', 'file'],
    ['\u0001\u0002', 'file'],
  ])('%j → %j', (input, expected) => {
    expect(safeName(input)).toBe(expected);
  });

  it('uses the fallback for null and for nothing usable, and makes the fallback safe too', () => {
    expect(safeName(null, 'claude_file_1')).toBe('claude_file_1');
    expect(safeName('...', '.hidden')).toBe('_hidden');
  });

  it('normalises NFD twins to the same NFC name', () => {
    const nfd = 'Re\u0301sume\u0301.pdf';
    const nfc = 'R\u00e9sum\u00e9.pdf';
    expect(nfd).not.toBe(nfc);
    expect(safeName(nfd)).toBe(nfc);
    expect(safeName(nfc)).toBe(nfc);
  });

  it('caps the length in UTF-8 bytes, keeping the extension and whole code points', () => {
    const ascii = safeName(`${'x'.repeat(300)}.docx`);
    expect(Buffer.byteLength(ascii)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(ascii.endsWith('.docx')).toBe(true);
    const wide = safeName(`${'日本'.repeat(100)}.txt`); // 3 bytes each
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(wide).toMatch(/^(日本)+日?\.txt$/u);
    const emoji = safeName('😀'.repeat(100));
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(emoji).toBe('😀'.repeat(MAX_NAME_BYTES / 4));
  });

  it('gives names the path check accepts', () => {
    for (const n of [
      '../../x',
      '.bashrc',
      '-rf',
      'CON.txt',
      'a\u0000b',
      'x'.repeat(300),
      'Re\u0301sume\u0301',
    ]) {
      expect(unsafePathReason(`files/claude_file_1/${safeName(n)}`)).toBeNull();
    }
  });
});

describe('safeSegment', () => {
  it('passes well-formed ids and defuses others', () => {
    expect(safeSegment('claude_file_01HX')).toBe('claude_file_01HX');
    expect(safeSegment('../etc')).toBe('__etc');
    expect(unsafePathReason(safeSegment('../etc'))).toBeNull();
  });
});

describe('unsafePathReason', () => {
  it.each([
    ['', 'empty path'],
    ['/etc/passwd', 'absolute path'],
    ['a\\b', 'backslash in path'],
    ['c:/x', 'drive letter'],
    ['a//b', 'empty segment'],
    ['a/../b', '".." segment'],
    ['a/.git/config', 'segment starts with "." or "-"'],
    ['a/b\u0000', 'control or invisible character'],
    ['Re\u0301sume\u0301', 'not NFC'],
  ])('%j: %s', (path, reason) => {
    expect(unsafePathReason(path)).toBe(reason);
  });
});
