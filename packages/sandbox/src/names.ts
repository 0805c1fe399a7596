/**
 * Vocabulary for generated data, including hostile file names: exporters must
 * treat names as untrusted (§3.10) and these are the cases that break naive path handling.
 */

// prettier-ignore
export const WORDS = [
  'audit', 'quarterly', 'revenue', 'draft', 'policy', 'contract', 'review', 'summary', 'analysis',
  'budget', 'forecast', 'roadmap', 'incident', 'customer', 'migration', 'schema', 'release', 'notes',
  'hiring', 'plan', 'vendor', 'risk', 'legal', 'privacy', 'retention', 'security', 'design', 'launch',
  'metrics', 'report', 'the', 'a', 'of', 'and', 'to', 'in', 'for', 'with', 'on', 'we', 'should',
  'please', 'can', 'you', 'explain', 'why', 'how', 'compare', 'table', 'deadline', 'approve',
  'données', 'résumé', 'naïve', 'straße', '東京', 'データ', 'проект', 'отчёт', 'تقرير', '🙂',
] as const;

// prettier-ignore
export const FIRST_NAMES = [
  'Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis',
  'Radia', 'Leslie', 'Shafi', 'Tim', 'Karen', 'Niklaus', 'Zoë', 'José', 'Søren', 'Łukasz', '美咲',
  'Олег', 'Aoife', 'Nguyễn',
] as const;

// prettier-ignore
export const LAST_NAMES = [
  'Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton',
  'Ritchie', 'Perlman', 'Lamport', 'Goldwasser', 'Berners-Lee', 'Spärck Jones', 'Wirth', "O'Brien",
  'García', 'Kierkegaard', 'Wałęsa', '佐藤', 'Иванов', 'Ní Bhriain', 'Văn',
] as const;

export const MODELS = ['claude-opus-4-7', 'claude-opus-5', 'claude-sonnet-4-5', 'claude-opus-5-5'] as const;

export const FILE_TYPES: readonly { ext: string; mime: string; body: 'text' | 'binary'; magic: string }[] = [
  { ext: 'txt', mime: 'text/plain', body: 'text', magic: '' },
  { ext: 'md', mime: 'text/markdown', body: 'text', magic: '' },
  { ext: 'csv', mime: 'text/csv', body: 'text', magic: '' },
  { ext: 'pdf', mime: 'application/pdf', body: 'binary', magic: '%PDF-1.7\n' },
  { ext: 'png', mime: 'image/png', body: 'binary', magic: '\x89PNG\r\n\x1a\n' },
  {
    ext: 'xlsx',
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    body: 'binary',
    magic: 'PK\x03\x04',
  },
  // Word uploads may be stored as extracted text while keeping their MIME type (§3.10 newest).
  {
    ext: 'docx',
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    body: 'text',
    magic: '',
  },
  { ext: 'json', mime: 'application/json', body: 'text', magic: '' },
];

/**
 * Hostile and awkward names. Each gets a real file with its own bytes. The two `report.pdf`
 * entries are different files with the same name; the two `café.txt` are NFC/NFD twins.
 */
export const HOSTILE_NAMES: readonly string[] = [
  '../../x',
  '../../../etc/passwd',
  '/etc/shadow',
  'C:\\Windows\\System32\\drivers\\etc\\hosts',
  '\\\\server\\share\\payload.txt',
  'line\nbreak\tand\rcontrol\u0001\u001f.txt',
  'nul\u0000byte.txt',
  `${'a'.repeat(296)}.txt`,
  `${'é'.repeat(296)}.txt`,
  'CON.txt',
  'aux',
  'LPT1.log',
  'report.pdf',
  'report.pdf',
  'caf\u00e9.txt',
  'cafe\u0301.txt',
  '-rf',
  '.bashrc',
  'trailing dot.',
  'trailing space ',
  '',
  'evil\u202Etxt.exe',
  '日本語の資料.pdf',
  '📊 Q3 results.xlsx',
  'تقرير المراجعة.docx',
  'Résumé – Zoë (final) [v2] {copy} #1 %20 & more.md',
  'a/b/c.txt',
  'semi;colon"quote\'s<angle>|pipe?*.csv',
];
