/** Human-readable verify output: one verdict line, then one line per problem (code, file, detail). */
import type { VerifyReport } from './verify-archive.js';
import type { VolumeSetReport } from './volume-group.js';

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

/** A volume set: one verdict line for the set, each volume's report, then the set's own problems. */
export function formatVolumeSet(set: VolumeSetReport): string {
  const count = set.volumes.length + set.problems.filter((p) => p.code === 'volume_missing').length;
  const head = `${set.ok ? 'OK' : 'FAILED'} volume set: ${set.volumes.length} of ${count} volume(s) found\n`;
  const problems = set.problems.map(
    (p) => `  ${p.code.padEnd(18)} ${p.path === undefined ? '' : `${p.path}: `}${p.message}\n`,
  );
  return head + set.volumes.map(formatVerifyReport).join('') + problems.join('');
}
