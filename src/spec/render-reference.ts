/**
 * The README's job-spec reference, generated from schemas/job.schema.json so the two cannot
 * drift (test/spec/readme-sync.test.ts fails when README.md is stale; `npm run docs:spec` fixes it).
 */
import { JOB_SCHEMA, type SchemaNode } from './check-schema.js';

export const README_START = '<!-- spec-reference:start -->';
export const README_END = '<!-- spec-reference:end -->';

interface Row {
  key: string;
  type: string;
  def: string;
  description: string;
}

function deref(node: SchemaNode): SchemaNode {
  const ref = node.$ref;
  const target =
    ref?.startsWith('#/$defs/') === true ? JOB_SCHEMA.$defs?.[ref.slice('#/$defs/'.length)] : undefined;
  // Sibling keywords (description, default) win over the referenced definition's.
  return target === undefined ? node : { ...target, ...node };
}

const REF_TYPES: Record<string, string> = {
  '#/$defs/duration': 'duration',
  '#/$defs/size': 'size',
  '#/$defs/timestamp': 'timestamp',
  '#/$defs/window': 'window',
  '#/$defs/activity_type_list': 'list of activity types',
};

function typeOf(node: SchemaNode): string {
  if (node.$ref !== undefined && REF_TYPES[node.$ref] !== undefined) return REF_TYPES[node.$ref] ?? '';
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum !== undefined) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (Array.isArray(node.type)) {
    const items = node.else?.items?.$ref?.split('/').pop() ?? 'item';
    return `\`all\` or list of ${items.replace(/_/g, ' ')}s`;
  }
  if (node.type === 'array') {
    const items = node.items === undefined ? undefined : deref(node.items);
    if (items?.enum !== undefined) return `list of ${items.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
    return 'list';
  }
  if (node.type === 'string' && node.format === 'uri') return 'URL';
  if (node.type === 'string' && node.format === 'email') return 'email address';
  if (node.type === 'object') return 'mapping';
  if (node.type === 'integer') {
    const range =
      node.minimum !== undefined && node.maximum !== undefined ? ` ${node.minimum}–${node.maximum}` : '';
    return `integer${range}`;
  }
  return typeof node.type === 'string' ? node.type : 'value';
}

function defaultOf(node: SchemaNode, required: boolean): string {
  if (required) return '**required**';
  if (node.default === undefined) return '—';
  if (typeof node.default === 'object' && node.default !== null && !Array.isArray(node.default)) return '';
  if (Array.isArray(node.default)) return 'see description';
  return `\`${typeof node.default === 'string' ? node.default : JSON.stringify(node.default)}\``;
}

function rows(node: SchemaNode, prefix: string, out: Row[]): Row[] {
  const required = new Set(node.required ?? []);
  for (const [key, raw] of Object.entries(node.properties ?? {})) {
    const child = deref(raw);
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push({
      key: `\`${path}\``,
      type: typeOf(child),
      def: defaultOf(child, required.has(key)),
      description: (child.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' '),
    });
    if (child.type === 'object' && child.properties !== undefined) rows(child, path, out);
  }
  return out;
}

/** The markdown between the README markers (markers excluded), ending with a newline. */
export function renderSpecReference(): string {
  const table = rows(JOB_SCHEMA, '', []);
  const window = deref({ $ref: '#/$defs/window' });
  const defs = JOB_SCHEMA.$defs ?? {};
  const lines = [
    '<!-- generated from schemas/job.schema.json by `npm run docs:spec`; do not edit by hand -->',
    '',
    `${JOB_SCHEMA.description ?? ''}`,
    '',
    'Start each file with `# yaml-language-server: $schema=../schemas/job.schema.json` so editors',
    'complete and check it. Unknown keys are errors (with a "did you mean" for typos). Check a file',
    'with `compliance-export validate <file>`: each problem prints as',
    '`<file>:<line>:<col>: <json-path>: <message> [code]` with the source line and a caret; exit code 2.',
    'Examples: `jobs/demo.yaml` (what `npm start` runs), `jobs/legal-hold.yaml`, `jobs/regulator-request.yaml`,',
    '`jobs/cold-storage-snapshot.yaml`.',
    '',
    'The loader fills every default below and computes the canonical JSON of the result (keys sorted)',
    'and its SHA-256: `compliance-export validate --json` prints both, and each archive records them',
    '(`reports/job.resolved.json`, the spec hash in `bag-info.txt` and the custody log). Relative paths',
    '(`state_dir`, a local `destination.uri`) are relative to the working directory at run time.',
    '',
    '| Key | Type | Default | Meaning |',
    '|---|---|---|---|',
    ...table.map((r) => `| ${r.key} | ${r.type} | ${r.def} | ${r.description} |`),
    '',
    '**Value formats**',
    '',
    `- *duration*: ${defs.duration?.description ?? ''}`,
    `- *size*: ${defs.size?.description ?? ''}`,
    `- *timestamp*: ${defs.timestamp?.description ?? ''}`,
    `- *window*: ${window.description ?? ''} ` +
      Object.entries(window.properties ?? {})
        .map(([k, v]) => `\`${k}\`: ${v.description ?? ''}`)
        .join(' '),
    '',
    '**Rules beyond the shape** (each has a stable code, shown in brackets)',
    '',
    '- Window bounds must be ordered (`window_order`), one lower and one upper bound at most (`window_bounds`), not in the future (`window_future`).',
    '- `source.requests_per_minute` above 600 needs `source.allow_above_documented_limit: true` (`rpm_over_limit`).',
    '- `source.base_url` must be https unless its host is loopback (`insecure_base_url`) and must be an origin without a path (`base_url_path`).',
    '- `destination.uri` must be a valid `s3://bucket/prefix` (`s3_uri`) or a local path / `file:///` URL (`destination_uri`); S3-only options with a local destination are errors (`s3_option_on_local`).',
    '- `destination.object_lock`: a mode needs `retain_until` or `retain_days` and vice versa (`object_lock_incomplete`); `retain_until` must be in the future (`retain_until_past`).',
    '- `archive.max_part_size` must be between 5MiB and 5GiB (`part_size`).',
    '- `archive.max_volume_size` must be at least 1MiB and cannot be combined with `snapshot` or `archive.bag_info.bag_group_identifier` (`volume_size`).',
    '- `scope.activity_types` and `scope.exclude_activity_types` cannot be combined (`activity_filter_conflict`) and need `activities` in `scope.include` (`activity_filter_unused`); a near-miss of a known type is an error (`activity_type`), an unknown type a warning.',
    '- Anything that looks like an API key (`sk-ant-…`) anywhere in the file, comments included, is an error (`api_key_in_file`): name the environment variable in `source.api_key_env` instead.',
    '',
  ];
  return lines.join('\n');
}

/** README text with the generated block replaced. */
export function replaceReferenceBlock(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start)
    throw new Error('README.md lacks the spec-reference markers');
  return `${readme.slice(0, start + README_START.length)}\n${renderSpecReference()}${readme.slice(end)}`;
}
