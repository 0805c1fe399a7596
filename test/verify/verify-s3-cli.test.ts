/** verify over S3 (real s3rver, ranged reads) and through the CLI entry point. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { WrittenArchive } from '../../src/sink/sink.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { startS3rver, type S3rverHandle } from '../sink/s3rver-harness.js';
import { buildArchive } from './bag-builder.js';

let s3: S3rverHandle;
let dir: string;
let written: WrittenArchive;
const KEY = 'exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip';
const BAD = 'tampered/legal-hold-20261122T101300Z.zip';

beforeAll(async () => {
  s3 = await startS3rver(['archive']);
  dir = await mkdtemp(join(tmpdir(), 'verify-s3-'));
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

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  const previous = process.exitCode;
  try {
    const code = await main(['node', 'compliance-export', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = previous;
  }
}

describe('verify s3://', () => {
  it('streams the archive with ranged reads and checks the sidecar', async () => {
    const report = await verifyArchive(`s3://archive/${KEY}`, { client: s3.client });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, kind: 's3', archiveSha256: written.sha256 });
    expect(report.sidecar).toEqual({ location: `s3://archive/${KEY}.sha256`, sha256: written.sha256 });
  });

  it('fails a tampered object and names the sidecar mismatch', async () => {
    const report = await verifyArchive(`s3://archive/${BAD}`, { client: s3.client });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code)).toContain('sidecar_mismatch');
  });
});

describe('compliance-export verify', () => {
  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('exits 0 with --json on a clean S3 archive (endpoint and path style from flags)', async () => {
    {
      const r = await cli([
        'verify',
        `s3://archive/${KEY}`,
        '--endpoint',
        s3.endpoint,
        '--force-path-style',
        '--region',
        'us-east-1',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out);
      expect(report).toMatchObject({ ok: true, archiveSha256: written.sha256, problems: [] });
    }
  });

  it('exits 2 on a missing target, 0 on a clean zip, and prints nothing with --quiet', async () => {
    const r = await cli(['verify', join(dir, 'missing-sidecar.zip')]);
    expect(r.code).toBe(2);
    const clean = await cli(['verify', written.location]);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/^OK /u);
    const bag = await cli(['verify', written.location, '--no-sidecar', '--quiet']);
    expect(bag).toMatchObject({ code: 0, out: '' });
  });

  it('exits 1 with the problem lines on stderr', async () => {
    const r = await cli(['verify', `s3://archive/${BAD}`, '--endpoint', s3.endpoint, '--force-path-style']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^FAILED s3:\/\/archive\/tampered\//u);
    expect(r.err).toMatch(/sidecar_mismatch/u);
  });
});
