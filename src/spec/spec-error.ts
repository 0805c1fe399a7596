/**
 * The one error a bad spec produces, carrying every diagnostic. Rendered like yaml's
 * prettifyError (HOUSE-STYLE §5):
 *
 *   jobs/hold.yaml:12:10: /scope/created_at/gte: must be an RFC 3339 timestamp ... [timestamp]
 *      12 |     gte: 2026-01-01
 *         |          ^
 */
import { ExportError } from '../errors.js';
import { redactKeys } from './finding.js';
import type { Diagnostic } from './types.js';

export class SpecError extends ExportError {
  readonly diagnostics: Diagnostic[];
  readonly sourceText: string | undefined;

  constructor(diagnostics: Diagnostic[], sourceText?: string) {
    const sorted = sortDiagnostics(diagnostics.map((d) => ({ ...d, message: redactKeys(d.message) })));
    const errors = sorted.filter((d) => d.severity === 'error');
    const file = sorted[0]?.file ?? 'job spec';
    const summary = `${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the job spec`;
    super('spec_invalid', `${summary}\n${formatDiagnostics(sorted, sourceText)}`);
    this.name = 'SpecError';
    this.diagnostics = sorted;
    this.sourceText = sourceText;
  }

  /** Every diagnostic with its source line and a caret. */
  format(): string {
    return formatDiagnostics(this.diagnostics, this.sourceText);
  }
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.line - b.line ||
      a.col - b.col ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      a.path.localeCompare(b.path),
  );
}

/** One diagnostic's header line: `<file>:<line>:<col>: <json-path>: <message> [code]`. */
function formatHeader(d: Diagnostic): string {
  // No position (unreadable file): there is no path worth naming either.
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}: ${d.path}` : d.file;
  const level = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${level}${redactKeys(d.message)} [${d.code}]`;
}

export function formatDiagnostics(diagnostics: Diagnostic[], sourceText?: string): string {
  const lines = sourceText?.split(/\r?\n/) ?? [];
  const out: string[] = [];
  for (const d of diagnostics) {
    out.push(formatHeader(d));
    const src = d.line > 0 ? lines[d.line - 1] : undefined;
    if (src === undefined) continue;
    const gutter = String(d.line).padStart(5);
    // Tabs would throw the caret off; a pasted key must never be echoed back.
    const shown = redactKeys(src.replace(/\t/g, ' '));
    out.push(`${gutter} | ${shown}`);
    out.push(`${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, d.col - 1))}^`);
  }
  return out.join('\n');
}
