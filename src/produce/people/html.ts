/**
 * HTML building blocks for report.html. Every value that reaches the page goes through `text`
 * (cleaned, clipped, escaped); the only URLs on the page are our own relative paths, built by
 * `transcriptHref` from a path that must look exactly like one we write, never a URL from data.
 */
import { formatCount } from './format.js';
import { clip } from './plain-text.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes the five characters that matter in text and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/gu, (c) => ESCAPES[c] ?? c);
}

/** Untrusted display text: one line, at most `max` code points, escaped. */
export function text(value: string | null | undefined, max = 200): string {
  return value === null || value === undefined ? '' : escapeHtml(clip(value, max));
}

/** A transcript path as the production stage writes it: `data/review/text/<DOCID>.txt`. */
const TEXT_PATH = /^data\/review\/text\/[A-Za-z0-9][A-Za-z0-9_-]{0,80}\.txt$/u;

/**
 * The link from `reports/report.html` to a transcript, relative so it works wherever the bag was
 * unzipped; null for anything that is not exactly one of our transcript paths.
 */
export function transcriptHref(textPath: string | null | undefined): string | null {
  return typeof textPath === 'string' && TEXT_PATH.test(textPath) ? `../${textPath}` : null;
}

/** One table row of cells that are already HTML. */
export function row(cells: readonly string[], tag: 'td' | 'th' = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

/** A table with a header row; `className` picks the column styling. */
export function table(head: readonly string[], rows: readonly string[], className = ''): string {
  const cls = className === '' ? '' : ` class="${className}"`;
  return `<table${cls}><thead>${row(head.map(escapeHtml), 'th')}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** "Showing the first N of M; the full list is in reports/<file>" when rows were left out. */
export function capNote(shown: number, total: number, file: string): string {
  return total > shown
    ? `<p class="cap">Showing ${formatCount(shown)} of ${formatCount(total)} rows; ` +
        `every row is in <code>${escapeHtml(file)}</code>.</p>`
    : '';
}
