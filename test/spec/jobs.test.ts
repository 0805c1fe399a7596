import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  docidPrefixOf,
  DOCUMENTED_RPM_LIMIT,
  loadSpecFile,
  parseDestinationUri,
} from '../../src/spec/index.js';
import { snapshotModeOf } from '../../src/spec/types.js';
import type { LoadedSpec } from '../../src/spec/index.js';

const JOBS = new URL('../../jobs/', import.meta.url);
const files = readdirSync(JOBS).filter((f) => f.endsWith('.yaml'));
const env = { ANTHROPIC_COMPLIANCE_ACCESS_KEY: 'x', COMPLIANCE_SANDBOX_KEY: 'x' };

async function job(name: string): Promise<LoadedSpec> {
  // The real clock: the examples must stay valid as time passes (no retain_until, past windows).
  return loadSpecFile(new URL(name, JOBS).pathname, { env });
}

describe('jobs/', () => {
  it('holds the five example jobs', () => {
    expect(files.sort()).toEqual([
      'cold-storage-snapshot.yaml',
      'demo.yaml',
      'legal-hold.yaml',
      'nightly-snapshot.yaml',
      'regulator-request.yaml',
    ]);
  });

  it.each(files)('%s validates with no warnings and points editors at the schema', async (file) => {
    const loaded = await job(file);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
    const first = readFileSync(new URL(file, JOBS), 'utf8').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=../schemas/job.schema.json');
  });

  it('demo.yaml targets the loopback sandbox and local S3 with a scaled, acknowledged budget', async () => {
    const { spec } = await job('demo.yaml');
    expect(spec.source.base_url).toBe('http://127.0.0.1:8787');
    expect(spec.source.api_key_env).toBe('COMPLIANCE_SANDBOX_KEY');
    expect(spec.source.requests_per_minute).toBeGreaterThan(DOCUMENTED_RPM_LIMIT);
    expect(spec.source.allow_above_documented_limit).toBe(true);
    expect(spec.consistency.indexing_lag_ms).toBeLessThan(60_000);
    expect(spec.consistency.quiescence.interval_ms).toBeLessThan(60_000);
    expect(spec.destination).toMatchObject({
      uri: 's3://compliance-demo/exports',
      endpoint: 'http://127.0.0.1:4569',
      force_path_style: true,
      region: 'us-east-1',
    });
    expect(parseDestinationUri(spec.destination.uri)).toEqual({
      kind: 's3',
      bucket: 'compliance-demo',
      prefix: 'exports',
    });
  });

  it('legal-hold.yaml: custodians by email, every kind, legal hold and SSE-KMS', async () => {
    const { spec } = await job('legal-hold.yaml');
    expect(Array.isArray(spec.scope.custodians) && spec.scope.custodians.every((c) => c.includes('@'))).toBe(
      true,
    );
    expect([...spec.scope.include].sort()).toEqual(
      [
        'activities',
        'chat_artifacts',
        'chats',
        'code_artifacts',
        'directory',
        'files',
        'generated_files',
        'projects',
        'sessions',
      ].sort(),
    );
    expect(spec.destination.object_lock?.legal_hold).toBe(true);
    expect(spec.destination.sse?.kms_key_id).toMatch(/^arn:aws:kms:/);
    expect(parseDestinationUri(spec.destination.uri).kind).toBe('s3');
    expect(docidPrefixOf(spec)).toBe('ACMEHOLD');
    expect(Object.keys(spec.archive.bag_info ?? {}).sort()).toEqual([
      'bag_group_identifier',
      'contact_email',
      'contact_name',
      'source_organization',
    ]);
  });

  it('demo.yaml numbers its documents DEMO-… and names a source organization', async () => {
    const { spec } = await job('demo.yaml');
    expect(docidPrefixOf(spec)).toBe('DEMO');
    expect(spec.archive.bag_info?.source_organization).toBeDefined();
  });

  it('regulator-request.yaml: two orgs, a date window, activities', async () => {
    const { spec } = await job('regulator-request.yaml');
    expect(spec.scope.organizations).toHaveLength(2);
    expect(spec.scope.created_at).toEqual({ gte: '2026-01-01T00:00:00Z', lt: '2026-07-01T00:00:00Z' });
    expect(spec.scope.include).toContain('activities');
  });

  it('cold-storage-snapshot.yaml: all orgs, incremental updated_at with overlap, COMPLIANCE retention', async () => {
    const { spec } = await job('cold-storage-snapshot.yaml');
    expect(spec.scope.organizations).toBe('all');
    expect(spec.scope.updated_at?.gte).toBeDefined();
    expect(spec.consistency.overlap_ms).toBe(30 * 60_000);
    expect(spec.destination.object_lock).toMatchObject({ mode: 'COMPLIANCE', retain_days: 2557 });
  });

  it('nightly-snapshot.yaml: an incremental snapshot series of every kind, no retain_days lock', async () => {
    const { spec } = await job('nightly-snapshot.yaml');
    expect(snapshotModeOf(spec)).toBe('incremental');
    expect(spec.snapshot?.max_chain).toBe(7);
    expect(spec.scope.organizations).toBe('all');
    expect(spec.scope.updated_at).toBeUndefined();
    expect(spec.scope.include).toContain('sessions');
    // Under retain_days every earlier archive's lock ends before a new snapshot's: all full.
    expect(spec.destination.object_lock?.retain_days).toBeUndefined();
    expect(parseDestinationUri(spec.destination.uri).kind).toBe('s3');
  });
});
