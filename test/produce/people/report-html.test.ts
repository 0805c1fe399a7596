/**
 * report.html as text: hostile values escaped, no reference outside the bag, counts and caps,
 * the custody chain checked, the same input giving the same bytes. The page in a real browser is
 * report-chromium.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPS, renderReportHtml } from '../../../src/produce/people/report-html.js';
import type { PeopleExceptionRow } from '../../../src/produce/people/types.js';
import { chatRows, COUNTS, custodyLines, reportInput, SPEC, SUMMARY } from './fixtures.js';

const ORIGIN = 'http://evil.example';
const tmp = (): string => mkdtempSync(join(tmpdir(), 'people-report-'));

/**
 * Every URL-bearing value of the page's real markup (escaped text is not markup): src=, href=,
 * action= and the like in any tag, and url(…) in the style element or a style attribute.
 */
function references(html: string): string[] {
  const tags = markupOnly(html);
  const attrs = tags.flatMap((tag) =>
    [
      ...tag.matchAll(
        /\s(?:src|href|action|srcset|poster|data|formaction|xlink:href)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/giu,
      ),
    ].map((m) => m[1]!.replace(/^["']|["']$/gu, '')),
  );
  const css = [
    /<style>(.*?)<\/style>/su.exec(html)?.[1] ?? '',
    ...tags.flatMap((t) => /\sstyle="([^"]*)"/u.exec(t)?.[1] ?? []),
  ];
  const urls = css.flatMap((c) => [...c.matchAll(/url\(([^)]*)\)/giu)].map((m) => m[1]!));
  return [...attrs, ...urls];
}

/** The page with every tag's text stripped: what is markup, not content. */
function markupOnly(html: string): string[] {
  return [...html.matchAll(/<[^>]*>/gu)].map((m) => m[0]);
}

async function page(): Promise<string> {
  return renderReportHtml(await reportInput(ORIGIN, tmp()));
}

describe('renderReportHtml: hostile values', () => {
  it('escapes markup from the API: no script, img, link or style element comes from data', async () => {
    const html = await page();
    const tags = markupOnly(html).map((t) => t.toLowerCase());
    expect(tags.filter((t) => /^<\/?(script|img|link|iframe|object|embed)\b/u.test(t))).toEqual([]);
    // The one style element is ours, in the head.
    expect(tags.filter((t) => t.startsWith('<style'))).toHaveLength(1);
    expect(html.indexOf('<style>')).toBeLessThan(html.indexOf('</head>'));
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=http://evil.example/custodian.png&gt;@acme.example');
    // No attribute an API value could have opened: onerror / onmouseover appear only as text.
    expect(tags.filter((t) => /\son[a-z]+\s*=/u.test(t))).toEqual([]);
    expect(html).toContain('&#39;&amp;');
  });

  it('references nothing outside the bag: no http:, https:, // or other scheme in src, href or url()', async () => {
    const html = await page();
    const refs = references(html);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:|\/\/|\\\\)/iu);
      expect(ref).toMatch(/^(?:#[a-z]+|\.\.\/data\/review\/text\/[A-Z0-9_-]+-\d{6}\.txt)$/u);
    }
    // Our CSS imports nothing and loads no font (the hostile @import is escaped text, not CSS).
    expect(/<style>(.*?)<\/style>/su.exec(html)?.[1]).not.toMatch(/@import|@font-face|url\(/iu);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
  });

  it('links a transcript only for a path of ours, relative to reports/', async () => {
    const html = await page();
    const links = [...html.matchAll(/<a href="(\.\.\/data\/[^"]+)"/gu)].map((m) => m[1]);
    // Chat 1 has a transcript path of ours; chat 5's is a URL from data, chat 9's a traversal.
    expect(links).toEqual(['../data/review/text/ACMEHOLD-000001.txt']);
    expect(html).not.toContain('etc/passwd"');
  });

  it('strips controls and bidi overrides from displayed values', async () => {
    const dir = tmp();
    const input = await reportInput(ORIGIN, dir);
    const html = await renderReportHtml({
      ...input,
      spec: { ...SPEC, matter: 'Acme \u001b[31mRED\u001b[0m \u202eevil\u202c\r\nline' },
    });
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
    expect(html).toContain('Acme [31mRED [0m evil line');
  });
});

describe('renderReportHtml: content', () => {
  it('shows the summary counts and the custodian × kind totals', async () => {
    const html = await page();
    expect(html).toContain('<dd id="n-documents">4,321</dd>');
    expect(html).toContain('<dd id="n-records">987</dd>');
    expect(html).toContain('<dd id="n-files">5,555</dd>');
    expect(html).toContain('<dd id="n-exceptions">2 (1 retryable)</dd>');
    expect(html).toContain('<dd id="n-drift">1</dd>');
    // Totals row over the COUNTS fixture: chat 3+11, file 7, user 42, activity 900; 2 gaps, 1 drift.
    const foot = /<tfoot>(.*?)<\/tfoot>/u.exec(html)?.[1] ?? '';
    const cells = [...foot.matchAll(/<td class="num">([^<]*)<\/td>/gu)].map((m) => m[1]);
    expect(cells).toEqual(['14', '7', '42', '900', '178.2 KB', '2', '1']);
    expect(COUNTS.reduce((s, r) => s + r.bytes, 0)).toBe(178_200);
  });

  it('counts every exception but shows at most CAPS.exceptions, pointing at the CSV', async () => {
    const many: PeopleExceptionRow[] = Array.from({ length: CAPS.exceptions + 37 }, (_, i) => ({
      kind: 'file',
      id: `claude_file_${i}`,
      reason: i % 2 === 0 ? 'retries_exhausted' : 'content_unavailable',
      retryable: true,
      custodian: null,
      parentId: null,
      httpStatus: null,
      detail: null,
    }));
    async function* source(): AsyncGenerator<PeopleExceptionRow> {
      yield* many;
    }
    const input = await reportInput(ORIGIN, tmp());
    const html = await renderReportHtml({ ...input, exceptions: source() });
    const section = /<section id="exceptions">(.*?)<\/section>/su.exec(html)?.[1] ?? '';
    expect(section.match(/<code>claude_file_\d+<\/code>/gu)).toHaveLength(CAPS.exceptions);
    expect(section).toContain(`Showing 500 of 537 rows; every row is in <code>reports/exceptions.csv</code>`);
    expect(section).toContain('<td><code>retries_exhausted</code></td><td>');
    expect(section).toMatch(/<code>retries_exhausted<\/code><\/td><td>[^<]*<\/td><td>269<\/td>/u);
    expect(section).toMatch(/<code>content_unavailable<\/code><\/td><td>[^<]*<\/td><td>268<\/td>/u);
  });

  it('lists chats per custodian, no-custodian last with its reason', async () => {
    const html = await page();
    const section = /<section id="chats">(.*?)<\/section>/su.exec(html)?.[1] ?? '';
    const docids = [...section.matchAll(/<code>(ACMEHOLD-\d+)<\/code>/gu)].map((m) => m[1]);
    // Byte order of custodians: '"><img…' < 'dana…'; the no-custodian group last.
    expect(docids).toEqual(['ACMEHOLD-000005', 'ACMEHOLD-000001', 'ACMEHOLD-000009']);
    expect(section).toContain('1: the API gave no user');
    expect(chatRows(ORIGIN)).toHaveLength(3);
  });

  it('checks the custody chain: intact for a real log, broken at the edited entry', async () => {
    const dir = tmp();
    const lines = await custodyLines(dir);
    const input = await reportInput(ORIGIN, dir);
    const intact = await renderReportHtml({ ...input, custodyLines: lines });
    expect(intact).toContain('4 entries; the chain is intact');
    expect(intact).not.toContain('class="bad"');
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"stage":"chats"', '"stage":"files"');
    const broken = await renderReportHtml({ ...input, custodyLines: edited });
    // Entry 2's own prev still matches; entry 3's prev names the original entry 2.
    expect(broken).toContain('The chain is broken at entry 3');
  });

  it('draws the activity timeline per UTC day with bar widths relative to the busiest day', async () => {
    const html = await page();
    const section = /<section id="activity">(.*?)<\/section>/su.exec(html)?.[1] ?? '';
    expect(section).toContain('5 activities, per day (UTC). 1 have no usable date');
    expect([...section.matchAll(/<code>(2026-\d\d-\d\d)<\/code>/gu)].map((m) => m[1])).toEqual([
      '2026-03-01',
      '2026-03-02',
    ]);
    expect([...section.matchAll(/style="width:([0-9.]+)%"/gu)].map((m) => m[1])).toEqual(['100.0', '100.0']);
  });

  it('says so when activities are out of scope, and renders an empty run', async () => {
    const html = await renderReportHtml({
      spec: SPEC,
      summary: { ...SUMMARY, status: 'complete' },
      counts: [],
      exceptions: [],
      drift: [],
      custodyLines: [],
      timeline: null,
      chats: [],
    });
    expect(html).toContain('Activities are not in the scope of this export.');
    expect(html).toContain('<span class="status complete">complete</span>');
    expect(html).toContain('No chats in this archive.');
  });

  it('is a pure function of its input: the same input gives the same bytes', async () => {
    const dir = tmp();
    const input = await reportInput(ORIGIN, dir);
    const again = { ...input, exceptions: [...(input.exceptions as PeopleExceptionRow[])] };
    expect(await renderReportHtml(input)).toBe(await renderReportHtml(again));
  });
});
