import { createHash } from 'node:crypto';
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
    ['report 100%.pdf', 'report 100_.pdf'],
    ['Résumé #1 %20 & more.md', 'Résumé #1 _20 & more.md'],
    ['x%0Ay.txt', 'x_0Ay.txt'],
    ['line\nbreak\r.txt', 'linebreak.txt'],
    ['wide space\u3000', 'wide space'],
    ['nbsp\u00a0.txt\u00a0', 'nbsp\u00a0.txt'],
    ['\u3000lead', '_lead'],
    ['CON .txt', '_CON .txt'],
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
      'report 100%.pdf',
      'a\r\nb%0D',
      'trailing\u3000',
      'what?<>|*".txt',
      'CON .txt',
    ]) {
      expect(unsafePathReason(`files/claude_file_1/${safeName(n)}`)).toBeNull();
    }
  });
});

describe('safeSegment', () => {
  it('passes well-formed ids through unchanged', () => {
    for (const id of ['claude_file_01HX', 'a_b', 'A', `x${'y'.repeat(127)}`, 'Abc', 'abc']) {
      expect(safeSegment(id)).toBe(id);
    }
  });

  it('maps every hostile id to its own safe segment, and back to the same one each time', () => {
    const ids = [
      'a/b',
      'a\\b',
      'a_b',
      'A/b',
      '..',
      '.',
      '',
      'CON',
      'con',
      'COM1',
      'x%41',
      'xA',
      'x%41\r\n',
      '-rf',
      '_rf',
      'a~b',
      'é',
      'e\u0301',
      '\ud800',
      '\ud801',
      'x'.repeat(300),
      `${'x'.repeat(300)}y`,
      'x'.repeat(129),
    ];
    const segments = ids.map((id) => safeSegment(id));
    expect(new Set(segments).size).toBe(ids.length);
    // Case-insensitive file systems: changed ids stay apart when folded too.
    const changed = segments.filter((s, i) => s !== ids[i]);
    expect(new Set(changed.map((s) => s.toLowerCase())).size).toBe(changed.length);
    for (const s of segments) {
      expect(unsafePathReason(s)).toBeNull();
      expect(unsafePathReason(`files/${s}/metadata.json`)).toBeNull();
      expect(unsafePathReason(`sessions/local/${s}.json`)).toBeNull();
      expect(s).not.toMatch(/[%\r\n]/u);
    }
    expect(ids.map((id) => safeSegment(id))).toEqual(segments);
  });

  it('keeps the readable part and adds the SHA-256 of the original id', () => {
    const hash = (id: string) =>
      createHash('sha256').update(Buffer.from(id, 'utf16le')).digest('hex').slice(0, 32);
    expect(safeSegment('a/b')).toBe(`a_b~${hash('a/b')}`);
    expect(safeSegment('a\\b')).toBe(`a_b~${hash('a\\b')}`);
    expect(safeSegment('..')).toBe(`__~${hash('..')}`);
    expect(safeSegment('CON')).toBe(`CON~${hash('CON')}`);
    expect(safeSegment('x%41')).toBe(`x_41~${hash('x%41')}`);
    expect(safeSegment('')).toBe(`id~${hash('')}`);
    expect(safeSegment('-rf')).toBe(`_rf~${hash('-rf')}`);
    expect(safeSegment('x'.repeat(300))).toBe(`${'x'.repeat(64)}~${hash('x'.repeat(300))}`);
  });

  it('never lands a changed id on an id that passes unchanged', () => {
    // `a/b` cleaned with an `_`-joined suffix would be this well-formed id.
    const lookalike = `a_b_${createHash('sha256').update(Buffer.from('a/b', 'utf16le')).digest('hex').slice(0, 32)}`;
    expect(safeSegment(lookalike)).toBe(lookalike);
    expect(safeSegment('a/b')).not.toBe(lookalike);
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
    ['files/x/report 100%.pdf', '"%" in path'],
    ['files/x/a%0Ab', '"%" in path'],
    ['files/x/a\nb', 'line break in path'],
    ['files/x/a\rb', 'line break in path'],
    ['files/x/what?.txt', 'character Windows forbids'],
    ['files/x:y/a', 'character Windows forbids'],
    ['files/x/name.', 'segment starts with whitespace or ends with "." or whitespace'],
    ['files/x/name\u3000', 'segment starts with whitespace or ends with "." or whitespace'],
    ['files/ x/a', 'segment starts with whitespace or ends with "." or whitespace'],
    ['files/CON/a', 'Windows device name'],
    ['files/x/aux.txt', 'Windows device name'],
    ['files/x/com1 .tar.gz', 'Windows device name'],
  ])('%j: %s', (path, reason) => {
    expect(unsafePathReason(path)).toBe(reason);
  });

  it('accepts ordinary bag paths', () => {
    for (const p of ['chats/claude_chat_1.json', 'files/f/Résumé (v2) #1 & more.md', 'files/f/_CON.txt']) {
      expect(unsafePathReason(p)).toBeNull();
    }
  });
});
