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
  // ---- YAML itself
  {
    name: 'unclosed flow sequence',
    text: yaml(...head, 'scope: { organizations: [org_a }', ...dest),
    code: 'yaml_syntax',
    path: '/scope/organizations',
    line: 3,
  },
  {
    name: 'tab indentation',
    text: yaml(...head, 'scope:', '\torganizations: all', ...dest),
    code: 'yaml_syntax',
    path: '/',
    line: 4,
  },
  {
    name: 'duplicate key',
    text: yaml(...head, 'scope: {}', ...dest, 'name: again'),
    code: 'yaml_duplicate_key',
    path: '/name',
    line: 6,
  },
  {
    name: 'two documents',
    text: yaml(...head, 'scope: {}', ...dest, '---', 'name: other'),
    code: 'yaml_multiple_documents',
    path: '/',
    line: 6,
  },
  { name: 'empty file', text: '# nothing here\n', code: 'not_a_mapping', path: '/', line: 1 },
  { name: 'a list, not a mapping', text: yaml('- version: 1'), code: 'not_a_mapping', path: '/', line: 1 },
  // ---- required keys, unknown and misspelt keys
  {
    name: 'missing destination',
    text: yaml(...head, 'scope: {}'),
    code: 'required',
    path: '/destination',
    line: 1,
  },
  {
    name: 'missing destination.uri',
    text: yaml(...head, 'scope: {}', 'destination:', '  region: us-east-1'),
    code: 'required',
    path: '/destination/uri',
    line: 5,
  },
  {
    name: 'misspelt top-level key',
    text: yaml(...head, 'scope: {}', 'destinaton:', '  uri: x', ...dest),
    code: 'unknown_key',
    path: '/destinaton',
    line: 4,
    suggestion: 'destination',
  },
  {
    name: 'misspelt nested key',
    text: withScope('  custodains: all'),
    code: 'unknown_key',
    path: '/scope/custodains',
    line: 4,
    suggestion: 'custodians',
  },
  {
    name: 'camelCase key',
    text: yaml(...head, 'source:', '  baseUrl: https://api.anthropic.com', 'scope: {}', ...dest),
    code: 'unknown_key',
    path: '/source/baseUrl',
    line: 4,
    suggestion: 'base_url',
  },
  {
    name: 'key in the wrong section',
    text: yaml(...head, 'requests_per_minute: 300', 'scope: {}', ...dest),
    code: 'unknown_key',
    path: '/requests_per_minute',
    line: 3,
  },
  // ---- wrong types and values
  {
    name: 'version 2',
    text: yaml('version: 2', 'name: t', 'scope: {}', ...dest),
    code: 'const',
    path: '/version',
    line: 1,
  },
  {
    name: 'name not a slug',
    text: yaml('version: 1', 'name: My Hold', 'scope: {}', ...dest),
    code: 'slug',
    path: '/name',
    line: 2,
  },
  {
    name: 'rpm as text',
    text: yaml(...head, 'source:', '  requests_per_minute: fast', 'scope: {}', ...dest),
    code: 'type',
    path: '/source/requests_per_minute',
    line: 4,
  },
  {
    name: 'rpm zero',
    text: yaml(...head, 'source:', '  requests_per_minute: 0', 'scope: {}', ...dest),
    code: 'range',
    path: '/source/requests_per_minute',
    line: 4,
  },
  {
    name: 'fractional concurrency',
    text: yaml(...head, 'source:', '  max_concurrency: 2.5', 'scope: {}', ...dest),
    code: 'type',
    path: '/source/max_concurrency',
    line: 4,
  },
  {
    name: 'yes is not a boolean in YAML 1.2',
    text: yaml(...head, 'scope: {}', ...s3, '  force_path_style: yes'),
    code: 'type',
    path: '/destination/force_path_style',
    line: 6,
  },
  {
    name: 'organizations: everything',
    text: withScope('  organizations: everything'),
    code: 'organization_id',
    path: '/scope/organizations',
    line: 4,
  },
  {
    name: 'organizations: empty list',
    text: withScope('  organizations: []'),
    code: 'empty',
    path: '/scope/organizations',
    line: 4,
  },
  {
    name: 'bad organization id',
    text: withScope('  organizations:', '    - org_a', '    - acme'),
    code: 'organization_id',
    path: '/scope/organizations/1',
    line: 6,
  },
  {
    name: 'custodian neither email nor user id',
    text: withScope('  custodians: [alice@example.com, bob]'),
    code: 'custodian',
    path: '/scope/custodians/1',
    line: 4,
  },
  {
    name: 'same custodian email twice, different case',
    text: withScope('  custodians:', '    - alice@example.com', '    - Alice@Example.com'),
    code: 'duplicate_item',
    path: '/scope/custodians/1',
    line: 6,
  },
  {
    name: 'unknown content kind',
    text: withScope('  include: [chats, chat]'),
    code: 'enum',
    path: '/scope/include/1',
    line: 4,
    suggestion: 'chats',
  },
  {
    name: 'content kind listed twice',
    text: withScope('  include:', '    - chats', '    - files', '    - chats'),
    code: 'duplicate_item',
    path: '/scope/include/2',
    line: 7,
  },
];

describe('invalid job specs: YAML, keys, types', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
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
