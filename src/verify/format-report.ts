/** Human-readable verify output: one verdict line, then one line per problem (code, file, detail). */
import type { VerifyReport } from './verify-archive.js';

export function formatVerifyReport(report: VerifyReport): string {
  const f = report.facts;
  const lines: string[] = [];
  if (report.ok) {
    lines.push(
      `OK ${report.target}: bag ${f.folder}, ${f.payloadFiles} payload files (${f.payloadBytes} bytes, Payload-Oxum ${f.payloadOxum ?? '-'}), ` +
        `${f.tagFiles} tag files, manifests ${f.manifests.join(', ')}, custody chain ${f.custodyEntries} entries` +
        (report.sidecar === null ? '' : `, sidecar sha256 ${report.archiveSha256 ?? ''} matches`) +
        (report.custodyBeside === null
          ? ''
          : `, custody log beside it intact (${report.custodyBeside.entries} entries)`),
    );
  } else {
    lines.push(`FAILED ${report.target}: ${report.problems.length} problem(s)`);
    for (const p of report.problems)
      lines.push(`  ${p.code.padEnd(18)} ${p.path === undefined ? '' : `${p.path}: `}${p.message}`);
  }
  return `${lines.join('\n')}\n`;
}
