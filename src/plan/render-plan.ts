/**
 * ExportPlan → the text `plan` prints (pure). Tables are plain aligned columns so the output can
 * be pasted into a ticket or a review memo as is.
 */
import { renderBytes } from './render-bytes.js';
import type { CountKind, ExportPlan, KindCounts } from './types.js';

const SHORT: Record<CountKind, string> = {
  organizations: 'orgs',
  users: 'users',
  roles: 'roles',
  groups: 'groups',
  chats: 'chats',
  projects: 'projects',
  code_artifacts: 'code_art',
  code_artifact_versions: 'versions',
  activities: 'activities',
  local_sessions: 'local_sess',
  remote_sessions: 'remote_sess',
};

const STATE_TEXT: Record<ExportPlan['state']['status'], string> = {
  none: 'no state yet: a run starts fresh',
  same_spec: 'state of this spec exists: a run resumes it',
  different_spec: 'holds state of a DIFFERENT spec: a run refuses without --force',
};

/** At most this many custodian rows in text; `--json` has them all. */
const MAX_CUSTODIAN_ROWS = 25;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  return `${h}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const num = (n: number): string => n.toLocaleString('en-US');

/** Aligned table: the first column left, the others right, unless `leftCols` names more left columns. */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  leftCols: readonly number[] = [0],
): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (leftCols.includes(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function kindsIn(rows: readonly KindCounts[]): CountKind[] {
  const seen = new Set<CountKind>();
  for (const r of rows) for (const k of Object.keys(r) as CountKind[]) seen.add(k);
  return (Object.keys(SHORT) as CountKind[]).filter((k) => seen.has(k));
}

export function renderPlan(plan: ExportPlan): string {
  const out: string[] = [];
  out.push(
    `Plan for job "${plan.job.name}" (${plan.job.file}, spec sha256 ${plan.job.specSha256.slice(0, 16)}…)`,
  );
  if (plan.job.matter !== null) out.push(`Matter: ${plan.job.matter}`);
  out.push(
    `Source: ${plan.source.baseUrl}   budget ${num(plan.source.requestsPerMinute)} requests/min, ` +
      `${plan.source.maxConcurrency} in flight`,
    `As-of cut if started now: ${plan.asOfCut}`,
    `Destination: ${plan.destination.uri} (${plan.destination.check.detail}; nothing written)`,
    `  archive would be: ${plan.destination.archivePattern}`,
    `State: ${plan.state.dir} (${STATE_TEXT[plan.state.status]})`,
    `Content kinds: ${plan.include.join(', ')}`,
  );
  if (plan.snapshotBase === null)
    out.push('Snapshot: incremental, but no base at the destination: a full snapshot');
  else if (plan.snapshotBase !== undefined) {
    const b = plan.snapshotBase;
    out.push(
      `Snapshot: a delta on ${b.runId} (cut ${b.asOfCut}, ${num(b.records)} documents); ` +
        `${num(b.unchanged)} listed items unchanged there are not counted below`,
    );
  }
  for (const g of plan.scopeGaps)
    out.push(`  scope gap: ${g.kind} (the key lacks ${g.scope}; recorded as a gap)`);

  out.push('', 'Per organization (from listings):');
  const orgRows = plan.organizations.map((o) => o.counts);
  const orgKinds = kindsIn(orgRows).filter((k) => k !== 'organizations');
  out.push(
    ...table(
      ['organization', ...orgKinds.map((k) => SHORT[k])],
      plan.organizations.map((o) => [
        `${o.name} (${o.uuid.slice(0, 8)})`,
        ...orgKinds.map((k) => num(o.counts[k] ?? 0)),
      ]),
    ).map((l) => `  ${l}`),
  );
  const totalKinds = kindsIn([plan.totals]);
  out.push(
    '',
    'Totals:',
    ...totalKinds.map((k) => `  ${k.padEnd(24)} ${num(plan.totals[k] ?? 0).padStart(10)}`),
  );

  const cust = plan.custodians;
  out.push(
    '',
    `Per custodian (${cust.requested === 'all' ? 'all users' : `${cust.requested.length} requested`}, ` +
      `${num(cust.counts.length)} with listed items):`,
  );
  if (cust.counts.length > 0) {
    const shown = cust.counts.slice(0, MAX_CUSTODIAN_ROWS);
    const kinds = kindsIn(shown.map((c) => c.counts));
    out.push(
      ...table(
        ['custodian', ...kinds.map((k) => SHORT[k])],
        shown.map((c) => [c.custodian, ...kinds.map((k) => num(c.counts[k] ?? 0))]),
      ).map((l) => `  ${l}`),
    );
    if (cust.counts.length > shown.length)
      out.push(`  … ${num(cust.counts.length - shown.length)} more (see --json)`);
  }
  for (const c of cust.notFound) out.push(`  not found: ${c} (would be a custodian_not_found gap)`);

  const e = plan.estimate;
  out.push('', 'Estimated requests:');
  out.push(
    ...table(
      ['part', 'requests', 'basis'],
      e.lines.map((l) => [l.part, num(l.requests), `${l.basis}${l.assumed ? ' *' : ''}`]),
      [0, 2],
    ).map((l) => `  ${l}`),
  );
  out.push(
    `  total ${e.lowerBound ? 'at least ' : ''}${num(e.requests)} requests; at ${num(e.requestsPerMinute)}/min ` +
      `about ${formatDuration(e.durationSeconds)}${e.lowerBound ? ' or more' : ''}`,
    '  * assumed or from activity-feed hints. Assumptions:',
    ...e.assumptions.map((a) => `    - ${a}`),
    ...renderBytes(plan, ([head = [], ...rows]) => table(head, rows, [0, 2])),
    '',
    `This survey sent ${num(plan.survey.requests)} listing requests and wrote nothing.`,
  );
  return `${out.join('\n')}\n`;
}
