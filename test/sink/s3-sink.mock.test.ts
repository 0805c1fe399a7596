/** Pins the exact S3 requests the sink makes (aws-sdk-client-mock). */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink } from '../../src/sink/create-sink.js';
import { crc32Base64 } from '../../src/sink/hash-stream.js';
import { S3Sink } from '../../src/sink/s3-sink.js';
import { noise } from '../archive/fixtures.js';
import { crc32 } from 'node:zlib';
import { createHash } from 'node:crypto';

const MiB = 1024 * 1024;
const ref = { name: 'hold', runId: '20261122T101300Z' };
const KEY = 'exports/hold/20261122T101300Z/hold-20261122T101300Z.zip';
const RETAIN = new Date('2033-01-01T00:00:00Z');

const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
});
const s3 = mockClient(client);
const notFound = (): NotFound => new NotFound({ message: 'not found', $metadata: { httpStatusCode: 404 } });
const httpError = (name: string, code: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: 'client', message: name, $metadata: { httpStatusCode: code } });

function lockedSink(extra: Partial<ConstructorParameters<typeof S3Sink>[0]> = {}): S3Sink {
  return new S3Sink({
    client,
    bucket: 'vault',
    prefix: 'exports',
    kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abcd',
    objectLock: { mode: 'COMPLIANCE', retainUntil: RETAIN },
    legalHold: true,
    storageClass: 'STANDARD_IA',
    partSize: 5 * MiB,
    queueSize: 1,
    ...extra,
  });
}

const LOCK_PARAMS = {
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abcd',
  ObjectLockMode: 'COMPLIANCE',
  ObjectLockRetainUntilDate: RETAIN,
  ObjectLockLegalHoldStatus: 'ON',
  StorageClass: 'STANDARD_IA',
};

beforeEach(() => {
  s3.reset();
});
afterEach(() => {
  s3.reset();
});

describe('S3Sink requests', () => {
  it('uploads in multipart with SSE-KMS, Object Lock, legal hold, storage class, full-object CRC32, If-None-Match', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({
      ETag: `"etag-${input.PartNumber}"`,
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v1', ETag: '"x-3"' });
    s3.on(PutObjectCommand).resolves({});
    const data = noise(11 * MiB);
    const written = await lockedSink().writeArchive(ref, Readable.from([data]));

    const create = s3.commandCalls(CreateMultipartUploadCommand);
    expect(create).toHaveLength(1);
    expect(create[0]!.args[0].input).toMatchObject({
      Bucket: 'vault',
      Key: KEY,
      ContentType: 'application/zip',
      ChecksumAlgorithm: 'CRC32',
      ChecksumType: 'FULL_OBJECT',
      ...LOCK_PARAMS,
    });
    const parts = s3.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
    expect(parts.map((p) => [p.PartNumber, (p.Body as Buffer).length, p.UploadId])).toEqual([
      [1, 5 * MiB, 'up-1'],
      [2, 5 * MiB, 'up-1'],
      [3, 1 * MiB, 'up-1'],
    ]);
    expect(parts.every((p) => p.ChecksumAlgorithm === 'CRC32')).toBe(true);
    const complete = s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input;
    expect(complete).toMatchObject({
      Bucket: 'vault',
      Key: KEY,
      UploadId: 'up-1',
      IfNoneMatch: '*',
      ChecksumType: 'FULL_OBJECT',
    });
    expect(complete.MultipartUpload?.Parts?.map((p) => [p.PartNumber, p.ETag])).toEqual([
      [1, '"etag-1"'],
      [2, '"etag-2"'],
      [3, '"etag-3"'],
    ]);
    // The sidecar: sha256sum format, same protection, never overwriting.
    const sidecar = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    const sha = createHash('sha256').update(data).digest('hex');
    expect(sidecar).toMatchObject({
      Bucket: 'vault',
      Key: `${KEY}.sha256`,
      IfNoneMatch: '*',
      ...LOCK_PARAMS,
    });
    expect(sidecar.Body).toBe(`${sha}  hold-20261122T101300Z.zip\n`);
    expect(written).toMatchObject({
      bytes: data.length,
      sha256: sha,
      crc32: crc32Base64(crc32(data)),
      versionId: 'v1',
      parts: 3,
    });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when a part fails', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    s3.on(UploadPartCommand).resolvesOnce({ ETag: '"e1"' }).rejects(httpError('InternalError', 500));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const promise = lockedSink().writeArchive(ref, Readable.from([noise(11 * MiB)]));
    await expect(promise).rejects.toMatchObject({ code: 'upload_failed', retryable: true });
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'vault', Key: KEY, UploadId: 'up-2' },
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when the seal stream fails, keeping the seal error', async () => {
    let partSent!: () => void;
    const firstPart = new Promise<void>((resolve) => (partSent = resolve));
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-3' });
    s3.on(UploadPartCommand).callsFake(() => {
      partSent();
      return { ETag: '"e"' };
    });
    s3.on(AbortMultipartUploadCommand).resolves({});
    async function* failing(): AsyncGenerator<Buffer> {
      yield noise(6 * MiB);
      yield noise(1 * MiB);
      await firstPart;
      throw Object.assign(new Error('seal broke'), { code: 'archive_error' });
    }
    await expect(lockedSink().writeArchive(ref, Readable.from(failing()))).rejects.toThrow(/seal broke/u);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('refuses to overwrite an existing archive key', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1 });
    await expect(lockedSink().writeArchive(ref, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
      code: 'destination_exists',
    });
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('maps a lost If-None-Match race (412) to destination_exists', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).rejects(httpError('PreconditionFailed', 412));
    await expect(
      lockedSink().writeArchive(ref, Readable.from([Buffer.from('small zip')])),
    ).rejects.toMatchObject({
      code: 'destination_exists',
    });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Key: KEY,
      IfNoneMatch: '*',
      ChecksumAlgorithm: 'CRC32',
    });
  });
});

describe('S3Sink preflight', () => {
  it('checks bucket, versioning, Object Lock, absence and write rights (create + abort a multipart)', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(GetObjectLockConfigurationCommand).resolves({
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
    });
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'probe' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const checks = await lockedSink().preflight(ref);
    expect(checks.map((c) => [c.check, c.ok])).toEqual([
      ['destination', true],
      ['versioning', true],
      ['object_lock', true],
      ['not_exists', true],
      ['can_write', true],
      ['kms', true],
    ]);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toMatchObject({
      Key: KEY,
      ...LOCK_PARAMS,
    });
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'vault',
      Key: KEY,
      UploadId: 'probe',
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    [
      'a missing bucket',
      () => s3.on(HeadBucketCommand).rejects(httpError('NotFound', 404)),
      'destination_unreachable',
    ],
    [
      'versioning off',
      () => s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' }),
      'destination_unreachable',
    ],
    [
      'no Object Lock',
      () =>
        s3
          .on(GetObjectLockConfigurationCommand)
          .rejects(httpError('ObjectLockConfigurationNotFoundError', 404)),
      'destination_unreachable',
    ],
    ['an existing archive', () => s3.on(HeadObjectCommand).resolves({}), 'destination_exists'],
    [
      'no write right',
      () => s3.on(CreateMultipartUploadCommand).rejects(httpError('AccessDenied', 403)),
      'destination_unreachable',
    ],
  ])('fails on %s', async (_label, arrange, code) => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(GetObjectLockConfigurationCommand).resolves({
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
    });
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'probe' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    arrange();
    await expect(lockedSink().preflight(ref)).rejects.toMatchObject({ code });
  });

  it('skips the retention checks when no retention is asked', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'probe' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const sink = createSink({ uri: 's3://plain/p', force_path_style: false }, { client });
    await sink.preflight(ref);
    expect(s3.commandCalls(GetBucketVersioningCommand)).toHaveLength(0);
    expect(s3.commandCalls(GetObjectLockConfigurationCommand)).toHaveLength(0);
  });
});

describe('S3Sink read-back', () => {
  const written = {
    location: `s3://vault/${KEY}`,
    sidecarLocation: `s3://vault/${KEY}.sha256`,
    bytes: 5,
    sha256: 'a'.repeat(64),
    crc32: 'NhCmhg==',
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's stream mixin type, faked
  const sidecarBody = (text: string): any => ({ transformToString: async () => text });

  it('compares the full-object CRC32 from HeadObject (checksum mode) and the retention it reports', async () => {
    s3.on(HeadObjectCommand).resolves({
      ContentLength: 5,
      ChecksumCRC32: 'NhCmhg==',
      ChecksumType: 'FULL_OBJECT',
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: RETAIN,
      ObjectLockLegalHoldStatus: 'ON',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abcd',
    });
    s3.on(GetObjectCommand, { Key: `${KEY}.sha256` }).resolves({
      Body: sidecarBody(`${'a'.repeat(64)}  hold-20261122T101300Z.zip\n`),
    });
    const result = await lockedSink().readBack(ref, written);
    expect(result).toMatchObject({ ok: true, method: 'checksum', problems: [] });
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'vault',
      Key: KEY,
      ChecksumMode: 'ENABLED',
    });
    expect(s3.commandCalls(GetObjectCommand, { Key: KEY })).toHaveLength(0);
  });

  it('names every mismatch: checksum, legal hold, retention, sidecar', async () => {
    s3.on(HeadObjectCommand).resolves({
      ContentLength: 5,
      ChecksumCRC32: 'AAAAAA==',
      ChecksumType: 'FULL_OBJECT',
      ObjectLockMode: 'GOVERNANCE',
    });
    s3.on(GetObjectCommand, { Key: `${KEY}.sha256` }).resolves({
      Body: sidecarBody(`${'b'.repeat(64)}  hold-20261122T101300Z.zip\n`),
    });
    const result = await lockedSink().readBack(ref, written);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.split(':')[0])).toEqual([
      'object lock',
      'object lock',
      'legal hold',
      'encryption',
      'crc32',
      `sidecar s3`,
    ]);
  });
});
