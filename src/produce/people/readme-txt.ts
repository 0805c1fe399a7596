/**
 * `README.txt` at the bag root: what the archive is, for someone who has never heard of this
 * tool. Plain UTF-8 text with CRLF line ends (every editor, Windows Notepad included, shows it
 * as lines; `cat` and `less` too), no line over 78 characters (always under 100, long tokens are
 * broken). Values from the spec are cleaned of control and bidi characters before they are
 * wrapped. A pure function of its input: the same run gives the same bytes.
 */
import type { ContentKind } from '../../spec/types.js';
import { describeList, describeWindow, formatBytes, formatCount, KIND_WORDS, plural } from './format.js';
import { oneLine, wrap } from './plain-text.js';
import type { ReadmeInput } from './types.js';
import { DAT_COLUMN_TEXT, DRIFT_TEXT, REASON_TEXT } from './vocabulary.js';

const WIDTH = 78;
/** Column where a labelled value starts (`Matter:       …`). */
const LABEL = 16;
/** Custodians and organizations listed by name before the rest are only counted. */
const MAX_LISTED = 40;

const para = (text: string): string[] => wrap(text, WIDTH);
const labelled = (label: string, text: string): string[] =>
  wrap(text, WIDTH, label.padEnd(LABEL), ' '.repeat(LABEL));
/** A term and its explanation, the explanation hanging under it when the term is long. */
const term = (name: string, text: string, indent = 2, col = 28): string[] => {
  const head = `${' '.repeat(indent)}${name}`;
  return head.length < col - 1
    ? wrap(text, WIDTH, head.padEnd(col), ' '.repeat(col))
    : [head, ...wrap(text, WIDTH, ' '.repeat(col))];
};
const heading = (title: string): string[] => ['', title, '-'.repeat(title.length)];
const code = (...lines: string[]): string[] => ['', ...lines.map((l) => `    ${l}`), ''];

/** Where each content kind lands under data/ (the collect stage's layout). */
const DATA_FOLDERS: Readonly<Record<ContentKind, [path: string, what: string]>> = {
  directory: [
    'data/directory/',
    'organizations, users, roles, groups and group members (.jsonl, one API record a line); ' +
      'settings/<organization>.json',
  ],
  activities: ['data/activities/', 'activities.jsonl: the Activity Feed (audit trail), one event a line'],
  chats: ['data/chats/', '<chat id>.json: {"chat": …, "messages": […]}, the API records verbatim'],
  files: ['data/files/', '<file id>/<safe name>, the file as uploaded, and metadata.json'],
  generated_files: ['data/generated_files/', '<id>/<safe name>, and metadata.json'],
  chat_artifacts: ['data/chat_artifacts/', '<version id>.json, one per artifact version'],
  projects: [
    'data/projects/',
    '<project id>/project.json, attachments.jsonl, collaborators.jsonl, documents/',
  ],
  code_artifacts: ['data/code_artifacts/', '<artifact id>/artifact.json, versions/<version id>/'],
  sessions: ['data/sessions/', 'session transcripts and metadata'],
};

export function renderReadmeTxt(input: ReadmeInput): string {
  const lines = [
    ...intro(input),
    ...scope(input),
    ...folders(input),
    ...verify(input),
    ...load(input),
    ...reports(),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

function intro({ spec, summary }: ReadmeInput): string[] {
  const title = `README: archive ${summary.name}-${summary.runId}`;
  const c = summary.counts;
  const status =
    summary.status === 'complete'
      ? 'COMPLETE: every item in scope was captured.'
      : `GAPS: ${plural(c.exceptions, 'item')} in scope missing or held only with a caveat ` +
        `(${formatCount(c.retryableExceptions)} may be captured by running the job again); ` +
        'reports/exceptions.csv names each one and why.';
  const out = [
    title,
    '='.repeat(title.length),
    '',
    ...para(
      'This folder is a sealed export of Claude Enterprise data, taken through the Anthropic ' +
        `Compliance API by compliance-export ${summary.toolVersion}. It is a BagIt bag (RFC 8493): ` +
        'every file under data/ is listed with its SHA-256 and MD5 checksums, so anyone can check ' +
        'with standard tools, without ours, that nothing was changed, added or removed. For a ' +
        'readable overview, open reports/report.html in a web browser (it works offline).',
    ),
    '',
    ...labelled('Job:', spec.name),
  ];
  const matter = oneLine(spec.matter ?? summary.matter ?? '');
  if (matter !== '') out.push(...labelled('Matter:', matter));
  const description = oneLine(spec.description ?? '');
  if (description !== '') out.push(...labelled('Description:', description));
  out.push(
    ...labelled(
      'As-of cut:',
      `${summary.asOfCut}. The archive shows the data as it stood at this moment; ` +
        'changes seen after it are listed in reports/drift.csv.',
    ),
    ...labelled('Collected:', `from ${summary.startedAt} to ${summary.finishedAt}`),
    ...labelled('Status:', status),
    ...labelled(
      'Contents:',
      `${plural(c.documents, 'document')}, ${plural(c.records, 'data-set record')}; ` +
        `${plural(c.payloadFiles, 'file')} under data/ (${formatBytes(c.payloadBytes)}); ` +
        `${plural(c.drift, 'change')} after the cut.`,
    ),
    ...labelled(
      'Job spec:',
      'reports/job.yaml as written, reports/job.resolved.json with every default; its SHA-256 ' +
        'is Job-Spec-SHA256 in bag-info.txt',
    ),
  );
  return out;
}

function scope({ spec }: ReadmeInput): string[] {
  const s = spec.scope;
  const out = [
    ...heading('SCOPE'),
    ...labelled(
      'Organizations:',
      describeList(s.organizations, 'all that the access key reaches', MAX_LISTED),
    ),
    ...labelled('Custodians:', describeList(s.custodians, 'all users', MAX_LISTED)),
    ...labelled('Content:', s.include.map((k) => KIND_WORDS[k]).join('; ')),
  ];
  const created = describeWindow(s.created_at);
  const updated = describeWindow(s.updated_at);
  out.push(...labelled('Created:', created === null ? 'any time' : `only items created ${created}`));
  if (updated !== null) out.push(...labelled('Updated:', `only items last updated ${updated}`));
  if (s.activity_types !== undefined)
    out.push(...labelled('Activities:', `only the types ${s.activity_types.join(', ')}`));
  if (s.exclude_activity_types !== undefined)
    out.push(...labelled('Activities:', `every type except ${s.exclude_activity_types.join(', ')}`));
  if (s.custodians !== 'all' && s.custodians.length > MAX_LISTED)
    out.push('', ...para('The full lists are in reports/job.resolved.json.'));
  return out;
}

function folders({ spec }: ReadmeInput): string[] {
  const data = spec.scope.include.map((k) => term(...DATA_FOLDERS[k], 4, 30)).flat();
  const sessions = spec.scope.include.includes('sessions') ? ' and session' : '';
  return [
    ...heading('WHAT EACH FOLDER HOLDS'),
    ...para('Paths are relative to this folder (the one holding README.txt).'),
    '',
    ...term('data/', 'the payload: what the API returned, verbatim', 0, 14),
    ...data,
    ...term(
      'data/review/',
      'a review copy made from the payload, for e-discovery platforms (see HOW TO LOAD IT)',
      0,
      14,
    ),
    ...term('data/review/loadfile.dat', 'Concordance DAT load file: one row per document', 4, 30),
    ...term(
      'data/review/rsmf/',
      `one RSMF 2.0 file per chat${sessions} (<id>.rsmf; <id>.partNN.rsmf when split)`,
      4,
      30,
    ),
    ...term(
      'data/review/text/',
      '<DOCID>.txt: extracted text of every chat (a plain transcript) and text-like file',
      4,
      30,
    ),
    ...term('reports/', 'about the export (tag files, checked by tagmanifest-sha256.txt)', 0, 14),
    ...term('report.html', 'readable overview: counts, gaps, drift, custody, activity, chats', 4, 30),
    ...term('summary.json', 'the counts and status, machine-readable', 4, 30),
    ...term('counts.csv', 'documents, records, bytes, gaps and drift per custodian and kind', 4, 30),
    ...term('items.csv', 'one row per document and data-set file, with hashes and paths', 4, 30),
    ...term('exceptions.csv', 'what is missing, and why (see THE REPORTS)', 4, 30),
    ...term('drift.csv', 'what changed after the as-of cut (see THE REPORTS)', 4, 30),
    ...term('custody.jsonl', 'the chain of custody: every step of the run, hash-chained', 4, 30),
    ...term('job.yaml', 'the job spec as written; job.resolved.json with every default', 4, 30),
    ...term('bagit.txt', 'BagIt version and encoding', 0, 30),
    ...term('bag-info.txt', 'the cut, the matter, sizes, tool version; who made it', 0, 30),
    ...term('manifest-sha256.txt', 'checksum of every file under data/ (also manifest-md5.txt)', 0, 30),
    ...term('tagmanifest-sha256.txt', 'checksum of every other file, this one excepted', 0, 30),
    ...term('README.txt', 'this file', 0, 30),
  ];
}

function verify({ summary }: ReadmeInput): string[] {
  const folder = `${summary.name}-${summary.runId}`;
  return [
    ...heading('HOW TO VERIFY IT WITHOUT OUR TOOL'),
    ...para(`From this folder (${folder}, the one holding README.txt):`),
    ...code('sha256sum -c manifest-sha256.txt', 'sha256sum -c tagmanifest-sha256.txt'),
    ...para(
      'Every line must say OK. The first checks every payload file, the second the reports, ' +
        'bag-info.txt and this file. On macOS, use "shasum -a 256 -c" for "sha256sum -c". A ' +
        'BagIt validator also checks that no file was added and that Payload-Oxum (the file ' +
        'count and total bytes in bag-info.txt) matches; any RFC 8493 validator works, e.g. the ' +
        "Library of Congress's bagit-python:",
    ),
    ...code('pip install bagit', 'bagit.py --validate .'),
    ...para(
      'The zip this folder came in was shipped with a checksum file beside it: ' +
        `"sha256sum -c ${folder}.zip.sha256" checks the zip as shipped. In ` +
        'reports/custody.jsonl each line\'s "prev" is the SHA-256 of the line before it (64 ' +
        'zeros for the first), so a removed, reordered or edited line breaks the chain.',
    ),
  ];
}

function load({ datColumns, spec }: ReadmeInput): string[] {
  const sessions = spec.scope.include.includes('sessions') ? ' and session' : '';
  return [
    ...heading('HOW TO LOAD IT INTO A REVIEW PLATFORM'),
    ...para('data/review/loadfile.dat is a Concordance DAT load file:'),
    '',
    ...term('encoding', 'UTF-8', 2, 22),
    ...term('field qualifier', 'þ (U+00FE) around every field', 2, 22),
    ...term('field separator', 'U+0014 (DC4, a control character; some editors show a box)', 2, 22),
    ...term('newline in a field', '® (U+00AE)', 2, 22),
    ...term('rows', 'a header row, then one row per document', 2, 22),
    ...term('paths', 'NATIVEPATH and TEXTPATH are relative to this folder', 2, 22),
    '',
    ...para('Columns, in order:'),
    '',
    ...datColumns.flatMap((c) => term(oneLine(c), DAT_COLUMN_TEXT[c] ?? '', 2, 22)),
    '',
    ...para(
      'A family (a chat with its files and artifacts, a project with its documents, a code ' +
        'artifact with its versions) has contiguous DOCIDs, the parent first; each child names ' +
        'it in PARENT_DOCID. Directory records and activities are data sets, not documents: ' +
        'they are in data/ and items.csv, not in the load file.',
    ),
    '',
    ...para(
      `data/review/rsmf/ holds one file per chat${sessions} in RSMF 2.0 (Relativity Short ` +
        'Message Format), which Relativity and other platforms that read RSMF load as a ' +
        "conversation; a chat's NATIVEPATH is its RSMF file. A conversation of more than 10,000 " +
        "events is split into <id>.part01.rsmf, <id>.part02.rsmf, ...: part 1 has the chat's " +
        'DOCID, the later parts name it in PARENT_DOCID and share its CONVERSATION_ID.',
    ),
    '',
    ...para(
      'data/review/text/<DOCID>.txt is UTF-8 text for search: a transcript of every chat, and ' +
        'the text of every file whose bytes are text. TEXTPATH is empty for the others.',
    ),
  ];
}

function reports(): string[] {
  return [
    ...heading('THE REPORTS'),
    ...para(
      'reports/exceptions.csv has one row per item in scope that the archive does not hold, or ' +
        'holds only with a caveat. "retryable" says whether running the same job again may ' +
        'capture it. The "reason" column:',
    ),
    '',
    ...Object.entries(REASON_TEXT).flatMap(([code, text]) => term(code, text)),
    '',
    ...para(
      'reports/drift.csv lists what changed in Claude after the as-of cut, while the export ran. ' +
        'The "change" column:',
    ),
    '',
    ...Object.entries(DRIFT_TEXT).flatMap(([code, text]) => term(code, text)),
    '',
    ...para(
      'CSV files are RFC 4180, UTF-8, with CRLF line ends and a header row. Spreadsheet ' +
        'formulas are defused: a cell that starts with =, +, -, @, a tab or a carriage return ' +
        "gets a leading ' (apostrophe), so a spreadsheet shows it as text instead of running " +
        'it; drop that one apostrophe to get the value as the API gave it. JSON, JSONL and ' +
        'metadata.json files are never altered.',
    ),
  ];
}
