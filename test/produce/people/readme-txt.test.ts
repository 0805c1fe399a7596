/**
 * README.txt: plain CRLF text under 100 columns whatever the spec holds, naming every code a
 * reader meets (reasons, drift changes, load-file columns), the folders of the kinds in scope and
 * only those; and its verification commands, run as written from a bag root, really verify.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestLine } from '../../../src/archive/bag-text.js';
import { renderReadmeTxt } from '../../../src/produce/people/readme-txt.js';
import { DRIFT_TEXT, REASON_TEXT } from '../../../src/produce/people/vocabulary.js';
import { DAT_COLUMNS, SPEC, SUMMARY } from './fixtures.js';

const readme = (over: Partial<typeof SPEC> = {}, columns = DAT_COLUMNS): string =>
  renderReadmeTxt({ spec: { ...SPEC, ...over }, summary: SUMMARY, datColumns: columns });

const linesOf = (text: string): string[] => text.split('\r\n').slice(0, -1);

describe('renderReadmeTxt', () => {
  it('is CRLF text, no line over 100 columns, no control or bidi character, even from a hostile spec', () => {
    const text = readme({
      matter: `Acme \u001b[2J\u001b[31mRED \u202eevil\u202c\r\nSecond line ${'x'.repeat(250)}`,
      description: `tab\there\u2028and ${'y'.repeat(130)}`,
      scope: { ...SPEC.scope, custodians: Array.from({ length: 60 }, (_, i) => `person${i}@acme.example`) },
    });
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/gu, '')).not.toMatch(/[\r\n]/u);
    // eslint-disable-next-line no-control-regex
    const forbidden = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
    expect(text.replace(/\r\n/gu, '')).not.toMatch(forbidden);
    for (const line of linesOf(text)) expect([...line].length, line).toBeLessThanOrEqual(100);
    expect(text).toContain('Matter:         Acme [2J [31mRED evil Second line');
    // 60 custodians: 40 named, the rest counted.
    expect(text).toContain('person39@acme.example and 20 more');
    expect(text).not.toContain('person40@acme.example');
  });

  it('names every exception reason, drift change and load-file column', () => {
    const text = readme();
    const lines = linesOf(text);
    for (const code of [...Object.keys(REASON_TEXT), ...Object.keys(DRIFT_TEXT)])
      expect(
        lines.some((l) => l.startsWith(`  ${code} `) || l === `  ${code}`),
        code,
      ).toBe(true);
    for (const column of DAT_COLUMNS)
      expect(
        lines.some((l) => l.startsWith(`  ${column} `)),
        column,
      ).toBe(true);
    expect(text).toContain('þ (U+00FE)');
    expect(text).toContain('U+0014');
    expect(text).toContain('® (U+00AE)');
  });

  it('lists the folders of the kinds in scope, and no others', () => {
    const text = readme();
    for (const folder of [
      'data/directory/',
      'data/activities/',
      'data/chats/',
      'data/files/',
      'data/projects/',
    ])
      expect(text).toContain(`    ${folder}`);
    for (const folder of ['data/sessions/', 'data/code_artifacts/', 'data/generated_files/'])
      expect(text).not.toContain(folder);
    for (const path of ['data/review/loadfile.dat', 'data/review/rsmf/', 'data/review/text/', 'report.html'])
      expect(text).toContain(path);
    const withSessions = readme({ scope: { ...SPEC.scope, include: [...SPEC.scope.include, 'sessions'] } });
    expect(withSessions).toContain('    data/sessions/');
    expect(withSessions).toContain('one file per chat and session');
  });

  it('states the counts and status of the run', () => {
    const text = readme();
    expect(text).toContain('4,321 documents, 987 data-set records; 5,555 files under data/');
    expect(text).toContain('GAPS: 2 items');
    expect(text).toContain('2026-11-22T10:13:00Z');
  });

  it('gives verification commands that work as written from the bag root', () => {
    const commands = linesOf(readme())
      .filter((l) => l.startsWith('    sha256sum -c '))
      .map((l) => l.trim());
    expect(commands).toEqual(['sha256sum -c manifest-sha256.txt', 'sha256sum -c tagmanifest-sha256.txt']);
    // A bag root as the sealer writes it (its manifest line format), one payload and one tag file.
    const bag = mkdtempSync(join(tmpdir(), 'people-readme-bag-'));
    const put = (path: string, body: string): string => {
      mkdirSync(dirname(join(bag, path)), { recursive: true });
      writeFileSync(join(bag, path), body);
      return manifestLine(createHash('sha256').update(body).digest('hex'), path);
    };
    writeFileSync(join(bag, 'manifest-sha256.txt'), put('data/chats/claude_chat_1.json', '{"chat":{}}\n'));
    writeFileSync(join(bag, 'tagmanifest-sha256.txt'), put('README.txt', readme()));
    for (const command of commands) {
      const [tool, ...args] = command.split(' ');
      const out = execFileSync(tool!, args, { cwd: bag, encoding: 'utf8' });
      expect(
        out
          .trim()
          .split('\n')
          .every((l) => l.endsWith(': OK')),
      ).toBe(true);
    }
    // And they fail when a payload file changed.
    writeFileSync(join(bag, 'data/chats/claude_chat_1.json'), '{"chat":{"edited":true}}\n');
    expect(() =>
      execFileSync('sha256sum', ['-c', 'manifest-sha256.txt'], { cwd: bag, stdio: 'pipe' }),
    ).toThrow();
  });

  it('is a pure function of its input', () => {
    expect(readme()).toBe(readme());
  });
});
