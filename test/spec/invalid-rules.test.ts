import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../src/errors.js';
import type { DiagnosticCode } from '../../src/spec/index.js';
import { errorsOf, fail, yaml } from './helpers.js';

interface Case {
  name: string;
  text: string;
  code: DiagnosticCode;
  path: string;
  line: number;
  suggestion?: string;
}

const head = ['version: 1', 'name: t'];
const dest = ['destination:', '  uri: out/archives'];
const s3 = ['destination:', '  uri: s3://bucket-a/exports'];

/** One spec with exactly the listed scope lines (lines 3.. of the file). */
const withScope = (...scope: string[]): string => yaml(...head, 'scope:', ...scope, ...dest);

const CASES: Case[] = [
  // ---- dates, windows, durations
  {
    name: 'date without time',
    text: withScope('  created_at:', '    gte: 2026-01-01'),
    code: 'timestamp',
    path: '/scope/created_at/gte',
    line: 5,
  },
  {
    name: 'timestamp without offset',
    text: withScope('  created_at:', '    gte: 2026-01-01T00:00:00'),
    code: 'timestamp',
    path: '/scope/created_at/gte',
    line: 5,
  },
  {
    name: '30 February',
    text: withScope('  updated_at:', '    lt: 2026-02-30T00:00:00Z'),
    code: 'timestamp',
    path: '/scope/updated_at/lt',
    line: 5,
  },
  {
    name: 'lower-case t and z',
    text: withScope('  created_at:', '    gte: 2026-01-01t00:00:00z'),
    code: 'timestamp',
    path: '/scope/created_at/gte',
    line: 5,
  },
  {
    name: 'leap second (valid RFC 3339, not comparable)',
    text: withScope('  created_at:', '    lt: 2016-12-31T23:59:60Z'),
    code: 'timestamp',
    path: '/scope/created_at/lt',
    line: 5,
  },
  {
    name: '`all` inside a list',
    text: withScope('  organizations: [all]'),
    code: 'organization_id',
    path: '/scope/organizations/0',
    line: 4,
  },
  {
    name: 'inverted window',
    text: withScope('  created_at:', '    gte: 2026-03-01T00:00:00Z', '    lt: 2026-02-01T00:00:00Z'),
    code: 'window_order',
    path: '/scope/created_at/lt',
    line: 6,
  },
  {
    name: 'empty half-open window',
    text: withScope('  created_at: { gte: 2026-03-01T00:00:00Z, lt: 2026-03-01T00:00:00Z }'),
    code: 'window_order',
    path: '/scope/created_at/lt',
    line: 4,
  },
  {
    name: 'two lower bounds',
    text: withScope('  created_at:', '    gte: 2026-01-01T00:00:00Z', '    gt: 2026-01-02T00:00:00Z'),
    code: 'window_bounds',
    path: '/scope/created_at/gt',
    line: 6,
  },
  {
    name: 'window bound in the future',
    text: withScope('  updated_at:', '    gte: 2027-01-01T00:00:00+01:00'),
    code: 'window_future',
    path: '/scope/updated_at/gte',
    line: 5,
  },
  {
    name: 'window with no bounds',
    text: withScope('  created_at: {}'),
    code: 'empty',
    path: '/scope/created_at',
    line: 4,
  },
  {
    name: 'duration in words',
    text: yaml(...head, 'scope: {}', 'consistency:', '  overlap: 5 minutes', ...dest),
    code: 'duration',
    path: '/consistency/overlap',
    line: 5,
  },
  {
    name: 'duration without a unit',
    text: yaml(...head, 'scope: {}', 'consistency:', '  quiescence:', '    interval: 120', ...dest),
    code: 'duration',
    path: '/consistency/quiescence/interval',
    line: 6,
  },
  {
    name: 'zero timeout',
    text: yaml(...head, 'source:', '  timeouts:', '    connect: 0s', 'scope: {}', ...dest),
    code: 'range',
    path: '/source/timeouts/connect',
    line: 5,
  },
  // ---- source
  {
    name: 'budget above the documented limit',
    text: yaml(...head, 'source:', '  requests_per_minute: 900', 'scope: {}', ...dest),
    code: 'rpm_over_limit',
    path: '/source/requests_per_minute',
    line: 4,
  },
  {
    name: 'plain http to a remote host',
    text: yaml(...head, 'source:', '  base_url: http://api.anthropic.com', 'scope: {}', ...dest),
    code: 'insecure_base_url',
    path: '/source/base_url',
    line: 4,
  },
  {
    name: 'base_url with a path',
    text: yaml(
      ...head,
      'source:',
      '  base_url: https://api.anthropic.com/v1/compliance',
      'scope: {}',
      ...dest,
    ),
    code: 'base_url_path',
    path: '/source/base_url',
    line: 4,
  },
  {
    name: 'base_url not a URL',
    text: yaml(...head, 'source:', '  base_url: api.anthropic.com', 'scope: {}', ...dest),
    code: 'url',
    path: '/source/base_url',
    line: 4,
  },
  {
    name: 'api_key_env with a space',
    text: yaml(...head, 'source:', '  api_key_env: MY KEY', 'scope: {}', ...dest),
    code: 'env_name',
    path: '/source/api_key_env',
    line: 4,
  },
  {
    name: 'pasted key as a value',
    text: yaml(
      ...head,
      'source:',
      '  api_key_env: sk-ant-api01-AbCdEfGhIjKlMnOpQrStUv',
      'scope: {}',
      ...dest,
    ),
    code: 'api_key_in_file',
    path: '/source/api_key_env',
    line: 4,
  },
  {
    name: 'pasted key in a comment',
    text: yaml(...head, '# key for later: sk-ant-api01-AbCdEfGhIjKlMnOpQrStUv', 'scope: {}', ...dest),
    code: 'api_key_in_file',
    path: '/',
    line: 3,
  },
  // ---- activity filters
  {
    name: 'include and exclude activity types together',
    text: withScope(
      '  activity_types: [claude_chat_created]',
      '  exclude_activity_types: [claude_chat_viewed]',
    ),
    code: 'activity_filter_conflict',
    path: '/scope/exclude_activity_types',
    line: 5,
  },
  {
    name: 'activity filter without activities',
    text: withScope('  include: [chats]', '  activity_types: [claude_chat_created]'),
    code: 'activity_filter_unused',
    path: '/scope/activity_types',
    line: 5,
  },
  {
    name: 'misspelt activity type',
    text: withScope('  activity_types:', '    - claude_chat_creatd'),
    code: 'activity_type',
    path: '/scope/activity_types/0',
    line: 5,
    suggestion: 'claude_chat_created',
  },
  // ---- destination
  {
    name: 'bucket with capitals and underscore',
    text: yaml(...head, 'scope: {}', 'destination:', '  uri: s3://Legal_Holds/x'),
    code: 's3_uri',
    path: '/destination/uri',
    line: 5,
  },
  {
    name: 's3 URI without a bucket',
    text: yaml(...head, 'scope: {}', 'destination:', '  uri: s3://'),
    code: 's3_uri',
    path: '/destination/uri',
    line: 5,
  },
  {
    name: 's3 prefix with an empty segment',
    text: yaml(...head, 'scope: {}', 'destination:', '  uri: s3://bucket-a/claude//holds'),
    code: 's3_uri',
    path: '/destination/uri',
    line: 5,
  },
  {
    name: 'unsupported scheme',
    text: yaml(...head, 'scope: {}', 'destination:', '  uri: gs://bucket-a/x'),
    code: 'destination_uri',
    path: '/destination/uri',
    line: 5,
  },
  {
    name: 'object lock on a local destination',
    text: yaml(...head, 'scope: {}', ...dest, '  object_lock:', '    legal_hold: true'),
    code: 's3_option_on_local',
    path: '/destination/object_lock',
    line: 7,
  },
  {
    name: 'retention mode without a date',
    text: yaml(...head, 'scope: {}', ...s3, '  object_lock:', '    mode: COMPLIANCE'),
    code: 'object_lock_incomplete',
    path: '/destination/object_lock/mode',
    line: 7,
  },
  {
    name: 'retain_until in the past',
    text: yaml(
      ...head,
      'scope: {}',
      ...s3,
      '  object_lock:',
      '    mode: GOVERNANCE',
      '    retain_until: 2026-01-01T00:00:00Z',
    ),
    code: 'retain_until_past',
    path: '/destination/object_lock/retain_until',
    line: 8,
  },
  {
    name: 'lower-case lock mode',
    text: yaml(...head, 'scope: {}', ...s3, '  object_lock:', '    mode: compliance', '    retain_days: 30'),
    code: 'enum',
    path: '/destination/object_lock/mode',
    line: 7,
    suggestion: 'COMPLIANCE',
  },
  {
    name: 'misspelt storage class',
    text: yaml(...head, 'scope: {}', ...s3, '  storage_class: GLACIAR'),
    code: 'enum',
    path: '/destination/storage_class',
    line: 6,
    suggestion: 'GLACIER',
  },
  {
    name: 'sse without a key id',
    text: yaml(...head, 'scope: {}', ...s3, '  sse: {}'),
    code: 'required',
    path: '/destination/sse/kms_key_id',
    line: 6,
  },
  {
    name: 'region not a region',
    text: yaml(...head, 'scope: {}', ...s3, '  region: Europe'),
    code: 'region',
    path: '/destination/region',
    line: 6,
  },
  {
    name: 'part size below the S3 minimum',
    text: yaml(...head, 'scope: {}', 'archive:', '  max_part_size: 1MiB', ...dest),
    code: 'part_size',
    path: '/archive/max_part_size',
    line: 5,
  },
  {
    name: 'size in lower case units',
    text: yaml(...head, 'scope: {}', 'archive:', '  max_part_size: 64mb', ...dest),
    code: 'size',
    path: '/archive/max_part_size',
    line: 5,
  },
  {
    name: 'unknown on_missing_scope policy',
    text: yaml(...head, 'scope: {}', ...dest, 'on_missing_scope: ignore'),
    code: 'enum',
    path: '/on_missing_scope',
    line: 6,
  },
];

describe('invalid job specs: dates, windows, rules', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$name → $code at $path line $line', (c) => {
    const e = fail(c.text);
    expect(e.code).toBe('spec_invalid');
    expect(exitCodeFor(e)).toBe(EXIT.usage);
    const hit = errorsOf(e).find((d) => d.code === c.code && d.path === c.path);
    expect(hit, JSON.stringify(e.diagnostics, null, 1)).toBeDefined();
    expect(hit!.line).toBe(c.line);
    expect(hit!.col).toBeGreaterThanOrEqual(1);
    expect(hit!.file).toBe('job.yaml');
    if (c.suggestion !== undefined) expect(hit!.suggestion).toBe(c.suggestion);
    // The rendered form names file:line:col and the path, then the line and a caret.
    expect(e.format()).toContain(`job.yaml:${hit!.line}:${hit!.col}: ${c.path}: `);
  });
});
