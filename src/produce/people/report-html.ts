/**
 * `reports/report.html`: one self-contained page a lawyer or auditor opens from the unzipped
 * folder, offline. Inline CSS only, no script, no font, no image, no URL but our own relative
 * links to transcripts; a Content-Security-Policy forbids every fetch in case anything slipped
 * through. Every value from the API is cleaned and escaped (html.ts). Tables are capped (CAPS),
 * each saying where the full list is. A pure function of its input: same run, same bytes.
 */
import type { ItemKind } from '../../archive/report-rows.js';
import { formatBytes, formatCount, describeList, describeWindow, KIND_WORDS } from './format.js';
import { capNote, escapeHtml, table, text } from './html.js';
import { chatsSection, timelineSection } from './report-chats.js';
import { custodySection, driftSection, exceptionsSection } from './report-lists.js';
import type { PeopleCountRow, ReportInput } from './types.js';

/** Most rows a table shows; the CSVs hold every row. */
export const CAPS = {
  custodians: 500,
  exceptions: 500,
  drift: 500,
  custodyHead: 200,
  custodyTail: 200,
  chatsPerCustodian: 200,
  chats: 2000,
  timelineBars: 400,
} as const;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0 auto;max-width:1200px;padding:0 1.5rem 3rem}
h1{font-size:1.6rem;margin:1.5rem 0 .25rem}h2{font-size:1.25rem;margin:2.2rem 0 .6rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}nav a{margin-right:1rem}a{color:#0a58ca}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.2rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}td code{overflow-wrap:anywhere}
th{background:#f6f8fa;white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tfoot td{font-weight:600;background:#f6f8fa}
.status{display:inline-block;padding:.05rem .5rem;border-radius:.3rem;font-weight:600}.complete{background:#dafbe1;color:#116329}.gaps{background:#fff1e5;color:#953800}
.cap{color:#57606a;font-style:italic}.bad{color:#cf222e;font-weight:600}.muted{color:#57606a}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
.barcell{width:40%;min-width:8rem}.bar{height:.8rem;background:#54aeff;min-width:1px}
`
  .trim()
  .replace(/\n/gu, '');

export async function renderReportHtml(input: ReportInput): Promise<string> {
  const { summary } = input;
  // Each source is read once, in page order.
  const exceptions = await exceptionsSection(input.exceptions, CAPS.exceptions);
  const drift = await driftSection(input.drift, CAPS.drift);
  const custody = await custodySection(input.custodyLines, CAPS.custodyHead, CAPS.custodyTail);
  const chats = await chatsSection(input.chats, CAPS.chatsPerCustodian, CAPS.chats);
  const title = `${summary.name}-${summary.runId}`;
  const body = [
    `<h1>Archive ${escapeHtml(title)}</h1>`,
    '<p class="muted">A sealed export of Claude Enterprise data (BagIt, RFC 8493). README.txt in the ' +
      'archive folder says how to verify and load it without any special tool.</p>',
    '<nav><a href="#summary">Summary</a><a href="#counts">Counts</a><a href="#exceptions">Exceptions</a>' +
      '<a href="#drift">Drift</a><a href="#custody">Custody</a><a href="#activity">Activity</a>' +
      '<a href="#chats">Chats</a></nav>',
    summarySection(input),
    countsSection(input.counts),
    exceptions,
    drift,
    custody,
    timelineSection(input.timeline, CAPS.timelineBars),
    chats,
  ];
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    '<meta name="referrer" content="no-referrer">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}: export report</title><style>${STYLE}</style></head>\n<body>\n` +
    `${body.join('\n')}\n</body></html>\n`
  );
}

function fact(label: string, valueHtml: string, id?: string): string {
  return `<dt>${escapeHtml(label)}</dt><dd${id === undefined ? '' : ` id="${id}"`}>${valueHtml}</dd>`;
}

function summarySection({ spec, summary }: ReportInput): string {
  const c = summary.counts;
  const s = spec.scope;
  const status =
    summary.status === 'complete'
      ? '<span class="status complete">complete</span> every item in scope was captured'
      : `<span class="status gaps">gaps</span> ${formatCount(c.exceptions)} missing or held with a ` +
        'caveat: see <a href="#exceptions">Exceptions</a>';
  const windows = [
    ['created', describeWindow(s.created_at)],
    ['last updated', describeWindow(s.updated_at)],
  ]
    .filter(([, w]) => w !== null)
    .map(([what, w]) => `items ${what ?? ''} ${w ?? ''}`);
  const facts = [
    fact('Job', text(spec.name)),
    fact('Matter', text(spec.matter ?? summary.matter ?? '—', 500)),
    spec.description === undefined ? '' : fact('Description', text(spec.description, 5000)),
    fact('As-of cut', `${text(summary.asOfCut)} <span class="muted">(the data as it stood then)</span>`),
    fact('Collected', `${text(summary.startedAt)} to ${text(summary.finishedAt)}`),
    fact('Status', status, 'status'),
    fact('Documents', formatCount(c.documents), 'n-documents'),
    fact('Data-set records', formatCount(c.records), 'n-records'),
    fact('Payload files', formatCount(c.payloadFiles), 'n-files'),
    fact('Payload size', `${formatBytes(c.payloadBytes)} (${formatCount(c.payloadBytes)} bytes)`, 'n-bytes'),
    fact(
      'Exceptions',
      `${formatCount(c.exceptions)} (${formatCount(c.retryableExceptions)} retryable)`,
      'n-exceptions',
    ),
    fact('Changes after the cut', formatCount(c.drift), 'n-drift'),
    fact('Organizations', text(describeList(s.organizations, 'all that the access key reaches', 20), 2000)),
    fact('Custodians', text(describeList(s.custodians, 'all users', 20), 2000)),
    fact('Content', text(s.include.map((k) => KIND_WORDS[k]).join('; '), 1000)),
    windows.length === 0 ? '' : fact('Time window', text(windows.join('; '), 500)),
    fact('Tool', text(`compliance-export ${summary.toolVersion}`)),
    fact('Job spec SHA-256', `<code>${text(summary.specSha256)}</code>`),
  ];
  return `<section id="summary"><h2>Summary</h2><dl class="facts">${facts.join('')}</dl></section>`;
}

/** Column order of the counts table; `records` marks the data-set kinds (counted as records). */
const KIND_COLUMNS: Readonly<Record<ItemKind, { rank: number; records: boolean }>> = {
  chat: { rank: 0, records: false },
  file: { rank: 1, records: false },
  generated_file: { rank: 2, records: false },
  chat_artifact: { rank: 3, records: false },
  project: { rank: 4, records: false },
  project_document: { rank: 5, records: false },
  code_artifact: { rank: 6, records: false },
  code_artifact_version: { rank: 7, records: false },
  session: { rank: 8, records: false },
  organization: { rank: 9, records: true },
  user: { rank: 10, records: true },
  role: { rank: 11, records: true },
  group: { rank: 12, records: true },
  group_member: { rank: 13, records: true },
  setting: { rank: 14, records: true },
  activity: { rank: 15, records: true },
  project_attachment: { rank: 16, records: true },
  project_collaborator: { rank: 17, records: true },
};

interface CustodianTotals {
  readonly cells: Map<ItemKind, number>;
  bytes: number;
  exceptions: number;
  drift: number;
}

/** Custodians × kinds, one row per custodian (capped), and a totals row over every row. */
function countsSection(counts: readonly PeopleCountRow[]): string {
  const byCustodian = new Map<string, CustodianTotals>();
  const total: CustodianTotals = { cells: new Map(), bytes: 0, exceptions: 0, drift: 0 };
  const kinds = new Set<ItemKind>();
  for (const r of counts) {
    let t = byCustodian.get(r.custodian);
    if (t === undefined) {
      t = { cells: new Map(), bytes: 0, exceptions: 0, drift: 0 };
      byCustodian.set(r.custodian, t);
    }
    kinds.add(r.kind);
    for (const acc of [t, total]) {
      acc.cells.set(r.kind, (acc.cells.get(r.kind) ?? 0) + r.documents + r.records);
      acc.bytes += r.bytes;
      acc.exceptions += r.exceptions;
      acc.drift += r.drift;
    }
  }
  const columns = [...kinds].sort((a, b) => KIND_COLUMNS[a].rank - KIND_COLUMNS[b].rank);
  const numbers = (t: CustodianTotals): string[] => [
    ...columns.map((k) => formatCount(t.cells.get(k) ?? 0)),
    formatBytes(t.bytes),
    formatCount(t.exceptions),
    formatCount(t.drift),
  ];
  const custodians = [...byCustodian.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : 1));
  const shown = custodians.slice(0, CAPS.custodians);
  const rows = shown.map((c) => {
    const name =
      c === '' ? '<span class="muted">(no custodian: organization-level or unknown user)</span>' : text(c);
    return numberRow(name, numbers(byCustodian.get(c) ?? total));
  });
  const head = [
    'Custodian',
    ...columns.map((k) => (KIND_COLUMNS[k].records ? `${k} (records)` : k)),
    'Bytes',
    'Exceptions',
    'Drift',
  ];
  const foot = `<tfoot>${numberRow('All custodians', numbers(total))}</tfoot>`;
  const body =
    counts.length === 0
      ? '<p>No items.</p>'
      : table(head, rows, 'counts').replace('</table>', `${foot}</table>`);
  return (
    '<section id="counts"><h2>Counts per custodian and kind</h2>' +
    '<p class="muted">Documents (one load-file row each) and, for data-set kinds, records.</p>' +
    `${body}${capNote(shown.length, custodians.length, 'reports/counts.csv')}</section>`
  );
}

/** A label cell (HTML) and right-aligned number cells. */
function numberRow(labelHtml: string, numbers: readonly string[]): string {
  return `<tr><td>${labelHtml}</td>${numbers.map((n) => `<td class="num">${n}</td>`).join('')}</tr>`;
}
