import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  canonicalJson,
  loadSpecFile,
  loadSpecText,
  parseDestinationUri,
  parseDuration,
  parseSize,
  sha256Hex,
  SpecError,
} from '../../src/spec/index.js';
import { ENV, errorsOf, fail, load, MINIMAL, NOW, yaml } from './helpers.js';

describe('resolved spec', () => {
  it('fills every default', () => {
    const { spec } = load(yaml(...MINIMAL));
    expect(spec).toEqual({
      version: 1,
      name: 't',
      source: {
        base_url: 'https://api.anthropic.com',
        api_key_env: 'ANTHROPIC_COMPLIANCE_ACCESS_KEY',
        requests_per_minute: 540,
        allow_above_documented_limit: false,
        max_concurrency: 8,
        timeouts: {
          connect: '10s',
          connect_ms: 10_000,
          headers: '60s',
          headers_ms: 60_000,
          body_idle: '60s',
          body_idle_ms: 60_000,
        },
      },
      scope: {
        organizations: 'all',
        custodians: 'all',
        include: [
          'directory',
          'activities',
          'chats',
          'files',
          'generated_files',
          'chat_artifacts',
          'projects',
          'code_artifacts',
        ],
      },
      consistency: {
        indexing_lag: '1m',
        indexing_lag_ms: 60_000,
        overlap: '5m',
        overlap_ms: 300_000,
        quiescence: { interval: '2m', interval_ms: 120_000, max_passes: 3 },
      },
      archive: { compression: 'auto', max_part_size: '64MiB', max_part_size_bytes: 64 * 1024 * 1024 },
      destination: { uri: 'out/archives', force_path_style: false },
      state_dir: '.state',
      on_missing_scope: 'error',
    });
  });

  it('strips a trailing slash from base_url and keeps 4 lists as written', () => {
    const { spec } = load(
      yaml(
        'version: 1',
        'name: t',
        'source: { base_url: "https://api.anthropic.com/" }',
        'scope:',
        '  custodians: [user_01ABC, b@x.example]',
        ...MINIMAL.slice(3),
      ),
    );
    expect(spec.source.base_url).toBe('https://api.anthropic.com');
    expect(spec.scope.custodians).toEqual(['user_01ABC', 'b@x.example']);
  });

  it('hashes the meaning, not the formatting: comments, order and explicit defaults do not matter', () => {
    const a = load(yaml(...MINIMAL));
    const b = load(
      yaml(
        '# a comment',
        'destination: { uri: out/archives }',
        'scope:',
        '  organizations: all',
        'name: "t"',
        'version: 1',
        'source:',
        '  requests_per_minute: 540',
      ),
    );
    expect(b.sha256).toBe(a.sha256);
    expect(b.canonicalJson).toBe(a.canonicalJson);
    expect(a.sha256).toBe(sha256Hex(a.canonicalJson));
    const c = load(yaml(...MINIMAL, 'source: { requests_per_minute: 541 }'));
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 'é' }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":"é","z":1}]},"b":1}',
    );
  });

  it('allows more than 600 rpm with the explicit override', () => {
    const { spec } = load(
      yaml(...MINIMAL, 'source:', '  requests_per_minute: 5400', '  allow_above_documented_limit: true'),
    );
    expect(spec.source.requests_per_minute).toBe(5400);
  });

  it('reports every problem at once, sorted by position', () => {
    const e = fail(
      yaml(
        'version: 1',
        'name: Bad Name',
        'source: { requests_per_minute: 601, base_url: "http://example.com" }',
        'scope:',
        '  inclde: [chats]',
        '  created_at: { gte: 2026-05-01T00:00:00Z, lte: 2026-04-01T00:00:00Z }',
        'destination: { uri: "s3://x" }',
      ),
    );
    expect(errorsOf(e).map((d) => [d.line, d.code])).toEqual([
      [2, 'slug'],
      [3, 'rpm_over_limit'],
      [3, 'insecure_base_url'],
      [5, 'unknown_key'],
      [6, 'window_order'],
      [7, 's3_uri'],
    ]);
    expect(e.message.split('\n')[0]).toBe('job.yaml: 6 problems in the job spec');
  });

  it('renders file:line:col: path: message, the source line and a caret under the column', () => {
    const e = fail(yaml(...MINIMAL, 'consistency:', '  overlap: 5 minutes'));
    const lines = e.format().split('\n');
    expect(lines[0]).toMatch(/^job\.yaml:7:12: \/consistency\/overlap: .* \[duration\]$/);
    expect(lines[1]).toBe('    7 |   overlap: 5 minutes');
    expect(lines[2]).toBe(`      | ${' '.repeat(11)}^`);
  });

  it('never echoes a pasted key: not in messages, not in the rendered source line, not in --json diagnostics', () => {
    const key = 'sk-ant-api01-ZZsecretZZsecretZZsecretZZ';
    const e = fail(yaml(...MINIMAL, 'source:', `  api_key_env: ${key}`, `# ${key}`));
    expect(
      errorsOf(e)
        .filter((d) => d.code === 'api_key_in_file')
        .map((d) => d.line),
    ).toEqual([7, 8]);
    expect(e.message).not.toContain('ZZsecret');
    expect(e.format()).not.toContain('ZZsecret');
    expect(JSON.stringify(e.diagnostics)).not.toContain('ZZsecret');
  });

  it('warns (does not fail) when the key variable is unset, or a type is merely unknown', () => {
    const loaded = loadSpecText(
      yaml(...MINIMAL, 'scope:', '  activity_types: [brand_new_feature_used]').replace('scope: {}\n', ''),
      'job.yaml',
      {
        now: NOW,
        env: {},
      },
    );
    expect(loaded.warnings.map((w) => [w.code, w.path])).toEqual([
      ['unknown_activity_type', '/scope/activity_types/0'],
      ['api_key_env_unset', '/'],
    ]);
  });

  it('judges "in the future" against the injected clock', () => {
    const text = yaml(
      ...MINIMAL.slice(0, 2),
      'scope:',
      '  created_at: { gte: 2026-12-01T00:00:00Z }',
      ...MINIMAL.slice(3),
    );
    expect(() => load(text)).toThrow(SpecError);
    expect(load(text, new Date('2027-01-01T00:00:00Z')).spec.scope.created_at).toEqual({
      gte: '2026-12-01T00:00:00Z',
    });
  });

  it('refuses a file that is not UTF-8 instead of guessing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-enc-'));
    const file = join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.from('version: 1\nname: t\nmatter: caf\xe9\n', 'latin1'));
    await expect(loadSpecFile(file)).rejects.toMatchObject({ diagnostics: [{ code: 'file_unreadable' }] });
  });

  it('reads files and reports unreadable ones as spec errors (exit 2)', async () => {
    await expect(loadSpecFile('/nonexistent/job.yaml')).rejects.toMatchObject({
      code: 'spec_invalid',
      diagnostics: [{ code: 'file_unreadable', line: 0 }],
    });
  });
});

describe('applyOverrides', () => {
  const demoish = yaml(
    'version: 1',
    'name: demo',
    'source: { base_url: "http://127.0.0.1:8787" }',
    'scope: {}',
    'destination:',
    '  uri: s3://compliance-demo/exports',
    '  endpoint: http://127.0.0.1:4569',
    '  force_path_style: true',
  );

  it('applies ports and state dir, re-validates and re-hashes, keeping the source text', () => {
    const loaded = load(demoish);
    const next = applyOverrides(
      loaded,
      {
        base_url: 'http://127.0.0.1:40001/',
        destination_endpoint: 'http://127.0.0.1:40002',
        state_dir: '/tmp/s',
      },
      { now: NOW, env: ENV },
    );
    expect(next.spec.source.base_url).toBe('http://127.0.0.1:40001');
    expect(next.spec.destination.endpoint).toBe('http://127.0.0.1:40002');
    expect(next.spec.state_dir).toBe('/tmp/s');
    expect(next.spec.consistency.overlap_ms).toBe(300_000);
    expect(next.sourceText).toBe(loaded.sourceText);
    expect(next.sha256).not.toBe(loaded.sha256);
    expect(next.sha256).toBe(sha256Hex(next.canonicalJson));
    // No override, same hash.
    expect(applyOverrides(loaded, {}, { now: NOW, env: ENV }).sha256).toBe(loaded.sha256);
  });

  it('rejects an override that breaks a rule', () => {
    const loaded = load(demoish);
    try {
      applyOverrides(loaded, { base_url: 'http://sandbox.example.com' }, { now: NOW, env: ENV });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      expect((e as SpecError).diagnostics.map((d) => [d.code, d.path, d.line])).toEqual([
        ['insecure_base_url', '/source/base_url', 3],
      ]);
    }
  });
});

describe('units and destinations', () => {
  it('parses durations and sizes', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1.5h')).toBeUndefined();
    expect(parseDuration('5 m')).toBeUndefined();
    expect(parseSize('64MiB')).toBe(67_108_864);
    expect(parseSize('5GB')).toBe(5_000_000_000);
    expect(parseSize('64mb')).toBeUndefined();
  });

  it('parses destination URIs', () => {
    expect(parseDestinationUri('s3://bucket-a')).toEqual({ kind: 's3', bucket: 'bucket-a', prefix: '' });
    expect(parseDestinationUri('s3://bucket-a/a/b/')).toEqual({
      kind: 's3',
      bucket: 'bucket-a',
      prefix: 'a/b',
    });
    expect(parseDestinationUri('file:///var/exports/x%20y')).toEqual({
      kind: 'local',
      path: '/var/exports/x y',
    });
    expect(parseDestinationUri('./out')).toEqual({ kind: 'local', path: './out' });
    // A drive letter and an explicit ./name: stay local paths; a URI lookalike does not.
    expect(parseDestinationUri('C:\\exports')).toEqual({ kind: 'local', path: 'C:\\exports' });
    expect(parseDestinationUri('./s3:x')).toEqual({ kind: 'local', path: './s3:x' });
    expect(() => parseDestinationUri('s3:/bucket-a/x')).toThrow(/two slashes/);
    expect(() => parseDestinationUri('s3://192.168.0.1/x')).toThrow(/IP address/);
    expect(() => parseDestinationUri('file://server/share')).toThrow(/local path/);
  });
});
