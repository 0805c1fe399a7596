/**
 * The long lists of report.html: exceptions, drift and the custody chain. Each source is read once;
 * every row is counted, only the first rows (the custody chain: the first and the last) are kept.
 */
import { createHash } from 'node:crypto';
import type { DriftChange, ExceptionReason } from '../../archive/report-rows.js';
import { formatCount } from './format.js';
import { capNote, escapeHtml, row, table, text } from './html.js';
import type { PeopleDriftRow, PeopleExceptionRow, RowSource } from './types.js';
import { DRIFT_TEXT, REASON_TEXT } from './vocabulary.js';

const GENESIS = '0'.repeat(64);

/** Counts per code, in first-seen order; unknown codes (from a newer producer) are kept too. */
function tallyRow(code: string, meaning: string | undefined, n: number): string {
  return row([`<code>${text(code)}</code>`, text(meaning ?? ''), `${formatCount(n)}`]);
}

const cellOr = (v: string | number | null | undefined): string =>
  v === null || v === undefined ? '' : text(String(v));

export async function exceptionsSection(rows: RowSource<PeopleExceptionRow>, cap: number): Promise<string> {
  const byReason = new Map<string, number>();
  const shown: string[] = [];
  let total = 0;
  for await (const r of rows) {
    total += 1;
    byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
    if (shown.length < cap)
      shown.push(
        row([
          cellOr(r.kind),
          `<code>${cellOr(r.id)}</code>`,
          `<code>${cellOr(r.reason)}</code>`,
          r.retryable ? 'yes' : 'no',
          cellOr(r.custodian),
          cellOr(r.parentId),
          cellOr(r.httpStatus),
          text(r.detail ?? '', 300),
        ]),
      );
  }
  const head = '<section id="exceptions"><h2>Exceptions</h2>';
  if (total === 0) return `${head}<p>None: every item in scope is in the archive as served.</p></section>`;
  const reasons = [...byReason.entries()].map(([code, n]) =>
    tallyRow(code, REASON_TEXT[code as ExceptionReason], n),
  );
  return (
    `${head}<p>Items in scope that the archive does not hold, or holds only with a caveat ` +
    '("retryable": running the job again may capture them).</p>' +
    table(['Reason', 'Meaning', 'Items'], reasons) +
    table(['Kind', 'Id', 'Reason', 'Retryable', 'Custodian', 'Parent', 'HTTP', 'Detail'], shown) +
    `${capNote(shown.length, total, 'reports/exceptions.csv')}</section>`
  );
}

export async function driftSection(rows: RowSource<PeopleDriftRow>, cap: number): Promise<string> {
  const byChange = new Map<string, number>();
  const shown: string[] = [];
  let total = 0;
  for await (const r of rows) {
    total += 1;
    byChange.set(r.change, (byChange.get(r.change) ?? 0) + 1);
    if (shown.length < cap)
      shown.push(
        row([
          cellOr(r.kind),
          `<code>${cellOr(r.id)}</code>`,
          `<code>${cellOr(r.change)}</code>`,
          cellOr(r.changedAt),
          r.inArchive ? 'yes' : 'no',
          cellOr(r.custodian),
        ]),
      );
  }
  const head = '<section id="drift"><h2>Changes after the as-of cut (drift)</h2>';
  if (total === 0) return `${head}<p>None seen while the export ran.</p></section>`;
  const changes = [...byChange.entries()].map(([code, n]) =>
    tallyRow(code, DRIFT_TEXT[code as DriftChange], n),
  );
  return (
    head +
    table(['Change', 'Meaning', 'Items'], changes) +
    table(['Kind', 'Id', 'Change', 'Changed at', 'Latest state in archive', 'Custodian'], shown) +
    `${capNote(shown.length, total, 'reports/drift.csv')}</section>`
  );
}

/** The few scalar fields of an entry's data worth a glance (`stage=chats`), clipped. */
function dataGlance(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (parts.length === 4) break;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      parts.push(`${k}=${String(v)}`);
  }
  return text(parts.join(' '), 160);
}

/**
 * The custody chain as sealed: every line's SHA-256 and whether its `prev` names the line before
 * (the check `compliance-export verify` makes, redone here so the page says what it shows).
 */
export async function custodySection(lines: RowSource<string>, head: number, tail: number): Promise<string> {
  const first: string[] = [];
  const last: string[] = [];
  let expectedPrev = GENESIS;
  let count = 0;
  let firstBreak: number | null = null;
  for await (const line of lines) {
    if (line === '') continue;
    count += 1;
    const hash = createHash('sha256').update(line, 'utf8').digest('hex');
    let entry: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) entry = parsed as Record<string, unknown>;
    } catch {
      entry = null;
    }
    const linked = entry !== null && entry.prev === expectedPrev && entry.seq === count - 1;
    if (!linked && firstBreak === null) firstBreak = count;
    expectedPrev = hash;
    const html = row([
      formatCount(count - 1),
      cellOr(typeof entry?.at === 'string' ? entry.at : ''),
      `<code>${cellOr(typeof entry?.event === 'string' ? entry.event : '(not an entry)')}</code>`,
      dataGlance(entry?.data),
      `<code>${hash.slice(0, 16)}</code>`,
      linked ? 'yes' : '<span class="bad">NO</span>',
    ]);
    if (first.length < head) first.push(html);
    else {
      last.push(html);
      if (last.length > tail) last.shift();
    }
  }
  const top = '<section id="custody"><h2>Chain of custody</h2>';
  if (count === 0) return `${top}<p>No custody entries.</p></section>`;
  const verdict =
    firstBreak === null
      ? `<p>${formatCount(count)} entries; the chain is intact: each entry holds the SHA-256 of the one ` +
        `before it. Head: <code>${expectedPrev}</code>.</p>`
      : `<p class="bad">The chain is broken at entry ${formatCount(firstBreak - 1)}: its "prev" is not the ` +
        'SHA-256 of the entry before it.</p>';
  const omitted = count - first.length - last.length;
  const gap =
    omitted > 0 ? [`<tr><td colspan="6" class="cap">… ${formatCount(omitted)} entries …</td></tr>`] : [];
  const rows = [...first, ...gap, ...last];
  return (
    top +
    verdict +
    table(['#', 'Time', 'Event', 'Details', 'SHA-256 (first 16)', 'Linked'], rows) +
    (omitted > 0
      ? `<p class="cap">Every entry is in <code>${escapeHtml('reports/custody.jsonl')}</code>.</p>`
      : '') +
    '</section>'
  );
}
