/** `compliance-export verify` in-process: a clean and a tampered archive, over S3 (s3rver) and on disk. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../src/errors.js';
import type { WrittenArchive } from '../../src/sink/sink.js';
import { startS3rver, type S3rverHandle } from '../sink/s3rver-harness.js';
import { buildArchive } from '../verify/bag-builder.js';
import { runCli } from './run-cli.js';

let s3: S3rverHandle;
let dir: string;
let written: WrittenArchive;
const KEY = 'exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip';
const BAD = 'tampered/legal-hold-20261122T101300Z.zip';

beforeAll(async () => {
  s3 = await startS3rver(['archive']);
  dir = await mkdtemp(join(tmpdir(), 'verify-cli-'));
  written = await buildArchive(dir);
  const zip = await readFile(written.location);
  const sidecar = await readFile(`${written.location}.sha256`);
  await s3.client.send(new PutObjectCommand({ Bucket: 'archive', Key: KEY, Body: zip }));
  await s3.client.send(new PutObjectCommand({ Bucket: 'archive', Key: `${KEY}.sha256`, Body: sidecar }));
  const bad = Buffer.from(zip);
  bad[bad.length - 200] = bad[bad.length - 200]! ^ 0xff; // inside the central directory's last records
  await s3.client.send(new PutObjectCommand({ Bucket: 'archive', Key: BAD, Body: bad }));
  await s3.client.send(new PutObjectCommand({ Bucket: 'archive', Key: `${BAD}.sha256`, Body: sidecar }));
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

describe('compliance-export verify', () => {
  // The AWS SDK reads its credentials from the process environment, not from io.env.
  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('exits 0 with --json on a clean S3 archive (endpoint and path style from flags)', async () => {
    const r = await runCli([
      'verify',
      `s3://archive/${KEY}`,
      '--endpoint',
      s3.endpoint,
      '--force-path-style',
      '--region',
      'us-east-1',
      '--json',
    ]);
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ ok: true, archiveSha256: written.sha256, problems: [] });
  });

  it('exits 2 on a missing target, 0 on a clean zip, and prints nothing with --quiet', async () => {
    const r = await runCli(['verify', join(dir, 'missing-sidecar.zip')]);
    expect(r.code).toBe(EXIT.usage);
    const clean = await runCli(['verify', written.location]);
    expect(clean.code).toBe(EXIT.ok);
    expect(clean.out).toMatch(/^OK /u);
    const bag = await runCli(['verify', written.location, '--no-sidecar', '--quiet']);
    expect(bag).toMatchObject({ code: EXIT.ok, out: '' });
  });

  it('exits 1 with the problem lines on stderr', async () => {
    const r = await runCli([
      'verify',
      `s3://archive/${BAD}`,
      '--endpoint',
      s3.endpoint,
      '--force-path-style',
    ]);
    expect(r.code).toBe(EXIT.failure);
    expect(r.err).toMatch(/^FAILED s3:\/\/archive\/tampered\//u);
    expect(r.err).toMatch(/sidecar_mismatch/u);
  });
});
