/**
 * report.html in a real browser: Debian's `chromium`, headless, as a child process, opening the
 * page from a folder laid out like the unzipped bag. It renders the counts we fed in; the
 * transcript link resolves to the file beside it and opens; the hostile values (which point at a
 * canary HTTP server on loopback) make the browser fetch nothing, while a control page proves this
 * harness does see a fetch; and with every host name unresolvable the page still renders.
 *
 * Skipped, saying so, only when chromium is absent and this is not CI; in CI its absence fails.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../src/produce/people/report-html.js';
import { reportInput } from './fixtures.js';

const CANDIDATES = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const CHROMIUM = CANDIDATES.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
const IN_CI = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
const SKIP = CHROMIUM === undefined && !IN_CI;
if (SKIP)
  console.warn(
    'report-chromium.test.ts: SKIPPED: no chromium at /usr/bin/chromium (set CHROMIUM=/path); ' +
      'install Debian `chromium` to run it (CI fails without it)',
  );

/** Longest a chromium run may take (under vitest's 60 s test timeout, so a hang fails with a message). */
const RUN_TIMEOUT_MS = 40_000;

/**
 * Runs chromium headless on `url` with `flags` in its own process group; resolves with its stdout
 * (the DOM for --dump-dom). The group is killed when the run ends or times out, so no renderer or
 * crash handler outlives the test (a page stuck on a dialog would otherwise hang forever).
 */
function chromium(url: string, ...flags: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'people-chromium-profile-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-crash-reporter',
    `--user-data-dir=${profile}`,
    ...flags,
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM!, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-4000)));
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`chromium ${args.join(' ')}: no result after ${RUN_TIMEOUT_MS} ms\n${err}`));
    }, RUN_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup();
      rmSync(profile, { recursive: true, force: true });
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`chromium ${args.join(' ')}: exit ${String(code)}\n${err}`));
    });
  });
}

/** The text of the element with this id in a serialized DOM. */
function byId(dom: string, id: string): string | undefined {
  return new RegExp(`<dd id="${id}">([^<]*)</dd>`, 'u').exec(dom)?.[1];
}

describe.skipIf(SKIP)('report.html in headless Chromium', () => {
  let canary: Server;
  let origin: string;
  const hits: string[] = [];
  let bag: string;
  let pageUrl: string;

  beforeAll(async () => {
    canary = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('canary');
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
    // The unzipped bag: <bag>/reports/report.html and <bag>/data/review/text/<DOCID>.txt.
    bag = join(mkdtempSync(join(tmpdir(), 'people-bag-')), 'acme-v-globex-hold-20261122T101300Z');
    mkdirSync(join(bag, 'reports'), { recursive: true });
    mkdirSync(join(bag, 'data', 'review', 'text'), { recursive: true });
    writeFileSync(
      join(bag, 'data', 'review', 'text', 'ACMEHOLD-000001.txt'),
      'TRANSCRIPT-OF-ACMEHOLD-000001\n',
    );
    const html = await renderReportHtml(
      await reportInput(origin, mkdtempSync(join(tmpdir(), 'people-custody-'))),
    );
    writeFileSync(join(bag, 'reports', 'report.html'), html);
    pageUrl = pathToFileURL(join(bag, 'reports', 'report.html')).href;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => canary.close(() => resolve()));
    rmSync(join(bag, '..'), { recursive: true, force: true });
  });

  it('renders the counts we fed in, and nothing from the API became markup', async () => {
    const dom = await chromium(pageUrl, '--dump-dom');
    expect(byId(dom, 'n-documents')).toBe('4,321');
    expect(byId(dom, 'n-records')).toBe('987');
    expect(byId(dom, 'n-files')).toBe('5,555');
    expect(byId(dom, 'n-exceptions')).toBe('2 (1 retryable)');
    expect(byId(dom, 'n-drift')).toBe('1');
    const foot = /<tfoot>(.*?)<\/tfoot>/su.exec(dom)?.[1] ?? '';
    expect([...foot.matchAll(/<td class="num">([^<]*)<\/td>/gu)].map((m) => m[1])).toEqual([
      '14',
      '7',
      '42',
      '900',
      '178.2 KB',
      '2',
      '1',
    ]);
    // The parsed DOM holds no element the hostile values tried to inject.
    expect(dom).not.toMatch(/<(script|img|link|iframe)\b/iu);
    expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('links the transcript relatively, and the link opens the file in the bag', async () => {
    const dom = await chromium(pageUrl, '--dump-dom');
    const hrefs = [...dom.matchAll(/<a href="([^"#][^"]*)"/gu)].map((m) => m[1]!);
    expect(hrefs).toEqual(['../data/review/text/ACMEHOLD-000001.txt']);
    const target = new URL(hrefs[0]!, pageUrl);
    expect(fileURLToPath(target)).toBe(join(bag, 'data', 'review', 'text', 'ACMEHOLD-000001.txt'));
    expect(readFileSync(target, 'utf8')).toBe('TRANSCRIPT-OF-ACMEHOLD-000001\n');
    const opened = await chromium(target.href, '--dump-dom');
    expect(opened).toContain('TRANSCRIPT-OF-ACMEHOLD-000001');
  });

  it('makes no request: hostile URLs pointing at a loopback canary are never fetched', async () => {
    hits.length = 0;
    await chromium(pageUrl, '--dump-dom');
    expect(hits).toEqual([]);
  });

  it('control: the same harness sees a fetch when a page does make one', async () => {
    const control = join(bag, 'reports', 'control.html');
    writeFileSync(control, `<!DOCTYPE html><meta charset="utf-8"><img src="${origin}/control.png">`);
    hits.length = 0;
    await chromium(pathToFileURL(control).href, '--dump-dom');
    expect(hits).toContain('/control.png');
  });

  it('still renders with every host name unresolvable (no network)', async () => {
    const dom = await chromium(pageUrl, '--host-resolver-rules=MAP * ~NOTFOUND', '--dump-dom');
    expect(byId(dom, 'n-documents')).toBe('4,321');
    expect(dom).toContain('id="chats"');
  });
});

describe('chromium for the report test', () => {
  it.runIf(IN_CI)('is installed in CI', () => {
    expect(CHROMIUM, 'CI must install Debian chromium (see .ci/run)').toBeDefined();
  });
});
