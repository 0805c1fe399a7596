/**
 * S3 sink: a lib-storage multipart upload fed straight from the seal stream (parts are buffered
 * `queueSize × partSize` at most, never the archive), with SSE-KMS, Object Lock retention, legal
 * hold, storage class and a full-object CRC32 checksum (ChecksumType FULL_OBJECT) that read-back
 * compares through HeadObject's checksum mode. Servers that do not report checksums (s3rver,
 * some S3-compatible stores) are read back byte for byte instead, and the result says so.
 *
 * Never overwrites: HeadObject before writing, and `If-None-Match: *` on the write itself
 * (lib-storage passes it to PutObject and CompleteMultipartUpload), so a racing writer loses.
 * lib-storage aborts the multipart upload on any failure (`leavePartsOnError: false`).
 */
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type { StorageClass, S3Client } from '@aws-sdk/client-s3';
import { ExportError } from '../errors.js';
import type { BagSource } from '../verify/bag-source.js';
import { HashStream, digestStream } from './hash-stream.js';
import { readBackS3 } from './s3-read-back.js';
import { listS3Runs, openS3Stored, s3LockOf } from './s3-stored.js';
import {
  archiveFileName,
  archiveRelativePath,
  beside,
  sidecarText,
  type ArchiveRef,
  type PreflightCheck,
  type PreflightOptions,
  type ReadBackResult,
  type Sink,
  type WrittenArchive,
} from './sink.js';
import { awsS3, awsStorage, newS3Client } from '../aws-sdk.js';

export interface S3SinkOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix without leading/trailing slash; '' for the bucket root. */
  readonly prefix: string;
  readonly kmsKeyId?: string;
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly retainUntil: Date };
  readonly legalHold?: boolean;
  readonly storageClass?: StorageClass;
  /** Multipart part size (≥ 5 MiB); default 16 MiB. */
  readonly partSize?: number;
  /** Parts in flight; default 2 (memory ≈ partSize × (queueSize + 1)). */
  readonly queueSize?: number;
  /** Read back the bytes even when the server reports a full-object checksum. */
  readonly readBackBytes?: boolean;
  /** A body read whole (read-back, adoption) that sends nothing this long fails; default 120 s. */
  readonly bodyIdleMs?: number;
}

const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

/** The sink's S3 client (its connect timeout: src/aws-sdk.ts newS3Client). */
export const createS3Client = newS3Client;

interface AwsErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const status = (error: unknown): number | undefined => (error as AwsErrorLike).$metadata?.httpStatusCode;
const describe = (error: unknown): string => {
  const e = error as AwsErrorLike;
  const code = status(error);
  // No HTTP status: a network failure or a timeout, whose message says which (never a secret).
  const what = code === undefined ? (e.message === undefined ? '' : ` (${e.message})`) : ` (HTTP ${code})`;
  return `${e.name ?? 'Error'}${what}${e.$metadata?.requestId === undefined ? '' : ` request-id ${e.$metadata.requestId}`}`;
};

export class S3Sink implements Sink {
  readonly root: string;
  private readonly options: S3SinkOptions;

  constructor(options: S3SinkOptions) {
    this.options = options;
    this.root = `s3://${options.bucket}${options.prefix === '' ? '' : `/${options.prefix}`}`;
  }

  /** The options in force (for logs and the custody record; holds no secret). */
  get settings(): Omit<S3SinkOptions, 'client'> {
    const { client: _client, ...rest } = this.options;
    return rest;
  }

  key(relative: string): string {
    return this.options.prefix === '' ? relative : `${this.options.prefix}/${relative}`;
  }

  locationOf(ref: ArchiveRef): string {
    return `s3://${this.options.bucket}/${this.key(archiveRelativePath(ref))}`;
  }

  /** Parameters every object we write carries: encryption, retention, hold, class. */
  private objectParams(): Record<string, unknown> {
    const { kmsKeyId, objectLock, legalHold, storageClass } = this.options;
    return {
      ...(kmsKeyId === undefined ? {} : { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId }),
      ...(objectLock === undefined
        ? {}
        : { ObjectLockMode: objectLock.mode, ObjectLockRetainUntilDate: objectLock.retainUntil }),
      ...(legalHold === true ? { ObjectLockLegalHoldStatus: 'ON' } : {}),
      ...(storageClass === undefined ? {} : { StorageClass: storageClass }),
    };
  }

  async inspect(): Promise<readonly PreflightCheck[]> {
    return this.checkBucket();
  }

  async preflight(ref: ArchiveRef, options: PreflightOptions = {}): Promise<readonly PreflightCheck[]> {
    const { client, bucket } = this.options;
    const checks = [...(await this.checkBucket())];
    const key = this.key(archiveRelativePath(ref));
    const existing = await this.head(key);
    if (existing === 'exists' && options.allowExisting !== true) {
      throw new ExportError(
        'destination_exists',
        `${this.locationOf(ref)} already exists; refusing to overwrite an archive`,
      );
    }
    checks.push({
      check: 'not_exists',
      ok: existing !== 'exists',
      detail:
        existing === 'exists'
          ? `${key} exists (left by the interrupted run; adopted only if it matches)`
          : existing === 'missing'
            ? key
            : `${key} (cannot tell: 403; If-None-Match still guards the write)`,
    });
    // A multipart upload that is created and aborted proves s3:PutObject (and, with SSE-KMS,
    // kms:GenerateDataKey) without leaving an object behind, even in a bucket with default retention.
    try {
      const created = await client.send(
        new (awsS3().CreateMultipartUploadCommand)({
          Bucket: bucket,
          Key: key,
          ChecksumAlgorithm: 'CRC32',
          ChecksumType: 'FULL_OBJECT',
          ...this.objectParams(),
        }),
      );
      let detail = 'created and aborted a multipart upload';
      try {
        await client.send(
          new (awsS3().AbortMultipartUploadCommand)({ Bucket: bucket, Key: key, UploadId: created.UploadId }),
        );
      } catch (error) {
        // Some S3-compatible stores (s3rver) lack AbortMultipartUpload; the write right is proven.
        const code = status(error);
        if (code !== 405 && code !== 501) throw error;
        detail = `created a multipart upload (this store cannot abort it: ${describe(error)})`;
      }
      checks.push({ check: 'can_write', ok: true, detail });
      if (this.options.kmsKeyId !== undefined)
        checks.push({ check: 'kms', ok: true, detail: 'the key accepted the upload' });
    } catch (error) {
      throw new ExportError('destination_unreachable', `cannot write to ${this.root}: ${describe(error)}`, {
        cause: error,
      });
    }
    return checks;
  }

  /** HeadBucket, then versioning and Object Lock when the job asks for retention or a hold. */
  private async checkBucket(): Promise<PreflightCheck[]> {
    const { client, bucket } = this.options;
    const checks: PreflightCheck[] = [];
    try {
      await client.send(new (awsS3().HeadBucketCommand)({ Bucket: bucket }));
      checks.push({ check: 'destination', ok: true, detail: `bucket ${bucket} exists` });
    } catch (error) {
      const code = status(error);
      const why =
        code === 404
          ? 'does not exist'
          : code === 403
            ? 'is not accessible with these credentials'
            : 'cannot be reached';
      throw new ExportError('destination_unreachable', `bucket ${bucket} ${why}: ${describe(error)}`, {
        cause: error,
      });
    }
    if (this.options.objectLock !== undefined || this.options.legalHold === true) {
      const versioning = await client
        .send(new (awsS3().GetBucketVersioningCommand)({ Bucket: bucket }))
        .catch((error: unknown) => {
          throw new ExportError(
            'destination_unreachable',
            `bucket ${bucket}: cannot read versioning: ${describe(error)}`,
            { cause: error },
          );
        });
      if (versioning.Status !== 'Enabled') {
        throw new ExportError(
          'destination_unreachable',
          `bucket ${bucket}: versioning is ${versioning.Status ?? 'off'}; Object Lock retention needs it Enabled`,
        );
      }
      checks.push({ check: 'versioning', ok: true, detail: 'Enabled' });
      let lockEnabled: string | undefined;
      try {
        const lock = await client.send(new (awsS3().GetObjectLockConfigurationCommand)({ Bucket: bucket }));
        lockEnabled = lock.ObjectLockConfiguration?.ObjectLockEnabled;
      } catch (error) {
        if ((error as AwsErrorLike).name !== 'ObjectLockConfigurationNotFoundError') {
          throw new ExportError(
            'destination_unreachable',
            `bucket ${bucket}: cannot read Object Lock configuration: ${describe(error)}`,
            { cause: error },
          );
        }
      }
      if (lockEnabled !== 'Enabled') {
        throw new ExportError(
          'destination_unreachable',
          `bucket ${bucket}: Object Lock is not enabled; the job asks for retention or a legal hold`,
        );
      }
      checks.push({ check: 'object_lock', ok: true, detail: 'Enabled' });
    }
    return checks;
  }

  private async head(key: string, checksum = false): Promise<'exists' | 'missing' | 'unknown'> {
    try {
      await this.options.client.send(
        new (awsS3().HeadObjectCommand)({
          Bucket: this.options.bucket,
          Key: key,
          ...(checksum ? { ChecksumMode: 'ENABLED' } : {}),
        }),
      );
      return 'exists';
    } catch (error) {
      const code = status(error);
      if (code === 404) return 'missing';
      if (code === 403) return 'unknown';
      throw new ExportError('destination_unreachable', `HeadObject ${key}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async writeArchive(ref: ArchiveRef, body: Readable): Promise<WrittenArchive> {
    const key = this.key(archiveRelativePath(ref));
    if ((await this.head(key)) === 'exists') {
      body.destroy();
      throw new ExportError(
        'destination_exists',
        `${this.locationOf(ref)} already exists; refusing to overwrite an archive`,
      );
    }
    const hasher = new HashStream();
    // pipeline (not pipe) so a seal error reaches the upload, which then aborts the multipart.
    let sourceError: Error | undefined;
    pipeline(body, hasher, (error) => {
      if (error !== null && error !== undefined) sourceError = error;
    });
    const upload = new (awsStorage().Upload)({
      client: this.options.client,
      partSize: this.options.partSize ?? DEFAULT_PART_SIZE,
      queueSize: this.options.queueSize ?? 2,
      leavePartsOnError: false,
      params: {
        Bucket: this.options.bucket,
        Key: key,
        Body: hasher,
        ContentType: 'application/zip',
        ChecksumAlgorithm: 'CRC32',
        ChecksumType: 'FULL_OBJECT',
        IfNoneMatch: '*',
        ...this.objectParams(),
      },
    });
    let parts = 0;
    upload.on('httpUploadProgress', (p) => {
      parts = Math.max(parts, p.part ?? 0);
    });
    let versionId: string | undefined;
    try {
      const result = await upload.done();
      versionId = result.VersionId;
    } catch (error) {
      body.destroy();
      hasher.destroy();
      // A seal failure arrives here through the body; report it, not its echo (the multipart is aborted).
      if (sourceError !== undefined) throw sourceError;
      if (error instanceof ExportError) throw error;
      const exists = status(error) === 412;
      throw new ExportError(
        exists ? 'destination_exists' : 'upload_failed',
        `${exists ? 'archive appeared while uploading' : 'upload failed'}: ${this.locationOf(ref)}: ${describe(error)}${exists ? '' : ' (multipart upload aborted)'}`,
        { cause: error, retryable: !exists },
      );
    }
    const digest = hasher.digest();
    const sidecarKey = `${key}.sha256`;
    await this.putIfAbsent(
      sidecarKey,
      sidecarText(digest.sha256, archiveFileName(ref)),
      'text/plain; charset=utf-8',
    );
    return {
      location: `s3://${this.options.bucket}/${key}`,
      sidecarLocation: `s3://${this.options.bucket}/${sidecarKey}`,
      ...digest,
      ...(versionId === undefined ? {} : { versionId }),
      parts: Math.max(parts, 1),
    };
  }

  private async putIfAbsent(key: string, bytes: Uint8Array | string, contentType: string): Promise<void> {
    // HeadObject too: not every S3-compatible store honours If-None-Match on PUT.
    if ((await this.head(key)) === 'exists') {
      throw new ExportError(
        'destination_exists',
        `s3://${this.options.bucket}/${key} already exists; refusing to overwrite`,
      );
    }
    try {
      await this.options.client.send(
        new (awsS3().PutObjectCommand)({
          Bucket: this.options.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ChecksumAlgorithm: 'CRC32',
          IfNoneMatch: '*',
          ...this.objectParams(),
        }),
      );
    } catch (error) {
      const exists = status(error) === 412;
      throw new ExportError(
        exists ? 'destination_exists' : 'upload_failed',
        `PutObject s3://${this.options.bucket}/${key}: ${describe(error)}`,
        { cause: error, retryable: !exists },
      );
    }
  }

  async putBeside(
    ref: ArchiveRef,
    fileName: string,
    bytes: Uint8Array | string,
    contentType: string,
  ): Promise<string> {
    const key = this.key(beside(ref, fileName));
    await this.putIfAbsent(key, bytes, contentType);
    return `s3://${this.options.bucket}/${key}`;
  }

  async readBack(ref: ArchiveRef, written: WrittenArchive, signal?: AbortSignal): Promise<ReadBackResult> {
    const key = this.key(archiveRelativePath(ref));
    try {
      return await readBackS3(this.options, key, archiveFileName(ref), written, signal);
    } catch (error) {
      signal?.throwIfAborted(); // a stop, not an unreachable destination
      throw new ExportError('destination_unreachable', `read-back of ${key}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async digestStored(ref: ArchiveRef, signal?: AbortSignal): Promise<WrittenArchive | null> {
    const key = this.key(archiveRelativePath(ref));
    let object;
    try {
      object = await this.options.client.send(
        new (awsS3().GetObjectCommand)({ Bucket: this.options.bucket, Key: key }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    } catch (error) {
      signal?.throwIfAborted(); // a stop, not an unreachable destination
      if (status(error) === 404 || (error as AwsErrorLike).name === 'NoSuchKey') return null;
      throw new ExportError('destination_unreachable', `GetObject ${key}: ${describe(error)}`, {
        cause: error,
      });
    }
    let digest;
    try {
      digest = await digestStream(object.Body as Readable, { signal, idleMs: this.options.bodyIdleMs });
    } catch (error) {
      signal?.throwIfAborted();
      throw new ExportError(
        'destination_unreachable',
        `GetObject ${key}: reading the body: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
    return {
      location: `s3://${this.options.bucket}/${key}`,
      sidecarLocation: `s3://${this.options.bucket}/${key}.sha256`,
      ...digest,
      ...(object.VersionId === undefined ? {} : { versionId: object.VersionId }),
    };
  }

  // Snapshot chain reads (s3-stored.ts).
  listRuns(name: string): Promise<string[]> {
    return listS3Runs(this.options, name);
  }

  openStored(ref: ArchiveRef): Promise<BagSource | null> {
    return openS3Stored(this.options, ref);
  }

  lockOf(ref: ArchiveRef): Promise<{ retainUntil: string | null; legalHold: boolean } | null> {
    return s3LockOf(this.options, ref);
  }
}
