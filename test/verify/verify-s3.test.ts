/** verify over S3 (real s3rver, ranged reads); the `verify` command: test/cli/verify.test.ts. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WrittenArchive } from '../../src/sink/sink.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { startS3rver, type S3rverHandle } from '../sink/s3rver-harness.js';
import { buildArchive } from './bag-builder.js';

let s3: S3rverHandle;
let dir: string;
let written: WrittenArchive;
const KEY = 'exports/legal-hold/20261122T101300Z/legal-hold-20261122T101300Z.zip';
const BAD = 'tampered/legal-hold-20261122T101300Z.zip';
/** No sidecar; the run's custody log beside the zip instead. */
const LONE = 'lone/legal-hold-20261122T101300Z.zip';

/**
 * A client for the same s3rver whose requests for `denied` keys name an unknown access key, so
 * the server answers them with a real 403 (as S3 does for a key the reader may not read).
 */
function clientDenying(denied: readonly string[]): S3Client {
  type Request = { path: string; headers: Record<string, string | undefined> };
  const inner = s3.client.config.requestHandler as { handle(request: Request, options?: unknown): unknown };
  return new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestHandler: {
      handle: (request: Request, options?: unknown) => {
        if (denied.some((key) => request.path.endsWith(`/${key}`))) {
          const auth = request.headers['authorization'] ?? '';
          request.headers['authorization'] = auth.replace('Credential=S3RVER/', 'Credential=DENIED/');
        }
        return inner.handle(request, options);
      },
    },
  });
}

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
  await s3.client.send(new PutObjectCommand({ Bucket: 'archive', Key: LONE, Body: zip }));
  const custody = await readFile(join(dir, 'custody.jsonl'));
  await s3.client.send(new PutObjectCommand({ Bucket: 'archive', Key: 'lone/custody.jsonl', Body: custody }));
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

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

  it('names a sidecar S3 answers 404 for, and checks the custody log beside the zip', async () => {
    const report = await verifyArchive(`s3://archive/${LONE}`, { client: s3.client });
    expect(report.problems.map((p) => [p.code, p.path])).toEqual([
      ['sidecar_missing', `s3://archive/${LONE}.sha256`],
    ]);
    expect(report.sidecar).toEqual({ location: `s3://archive/${LONE}.sha256`, sha256: null });
    expect(report.custodyBeside).toEqual({ location: 's3://archive/lone/custody.jsonl', entries: 3 });
  });

  it('takes a 403 on the custody log beside as absent, but fails on a 403 for the sidecar', async () => {
    const client = clientDenying(['custody.jsonl']);
    const report = await verifyArchive(`s3://archive/${LONE}`, { client });
    expect(report.problems.map((p) => p.code)).toEqual(['sidecar_missing']);
    expect(report.custodyBeside).toBeNull();
    await expect(
      verifyArchive(`s3://archive/${KEY}`, { client: clientDenying([`${KEY.split('/').pop()}.sha256`]) }),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });
});
