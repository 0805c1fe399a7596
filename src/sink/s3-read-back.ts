/**
 * Read-back of an uploaded archive: HeadObject in checksum mode compares S3's full-object CRC32
 * with the one computed while uploading (no download); a store that reports no checksum gets
 * the bytes read back and hashed instead. Also checks size, the retention, legal hold and
 * encryption S3 reports, and the sidecar. HeadObject only shows lock mode and legal hold to
 * callers allowed s3:GetObjectRetention / s3:GetObjectLegalHold.
 */
import type { Readable } from 'node:stream';
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { digestStream } from './hash-stream.js';
import { parseSidecar, type ReadBackResult, type WrittenArchive } from './sink.js';
import { awsS3 } from '../aws-sdk.js';

export interface ReadBackOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly kmsKeyId?: string;
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly retainUntil: Date };
  readonly legalHold?: boolean;
  readonly readBackBytes?: boolean;
  /** A body that sends nothing this long fails (tests shorten it; default 120 s). */
  readonly bodyIdleMs?: number;
}

export async function readBackS3(
  options: ReadBackOptions,
  key: string,
  zipName: string,
  written: WrittenArchive,
  signal?: AbortSignal,
): Promise<ReadBackResult> {
  const { client, bucket } = options;
  const problems: string[] = [];
  const sent = signal === undefined ? {} : { abortSignal: signal };
  const head: HeadObjectCommandOutput = await client.send(
    new (awsS3().HeadObjectCommand)({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
    sent,
  );
  const expected = { bytes: written.bytes, sha256: written.sha256, crc32: written.crc32 };
  if (head.ContentLength !== undefined && head.ContentLength !== written.bytes) {
    problems.push(`size: stored ${head.ContentLength} bytes, wrote ${written.bytes}`);
  }
  problems.push(...retentionProblems(head, options));
  const fullObjectCrc =
    head.ChecksumCRC32 !== undefined &&
    (head.ChecksumType === 'FULL_OBJECT' || !head.ChecksumCRC32.includes('-'));
  let method: ReadBackResult['method'];
  let actual: ReadBackResult['actual'];
  if (fullObjectCrc && options.readBackBytes !== true) {
    method = 'checksum';
    actual = { bytes: head.ContentLength ?? -1, crc32: head.ChecksumCRC32 ?? '' };
    if (head.ChecksumCRC32 !== written.crc32) {
      problems.push(`crc32: S3 reports ${head.ChecksumCRC32 ?? ''}, wrote ${written.crc32}`);
    }
  } else {
    method = 'bytes';
    const object = await client.send(new (awsS3().GetObjectCommand)({ Bucket: bucket, Key: key }), sent);
    const digest = await digestStream(object.Body as Readable, { signal, idleMs: options.bodyIdleMs });
    actual = digest;
    if (digest.sha256 !== written.sha256) {
      problems.push(`sha256: stored bytes hash to ${digest.sha256}, wrote ${written.sha256}`);
    }
    if (digest.bytes !== written.bytes)
      problems.push(`size: read back ${digest.bytes} bytes, wrote ${written.bytes}`);
  }
  const sidecar = await client.send(
    new (awsS3().GetObjectCommand)({ Bucket: bucket, Key: `${key}.sha256` }),
    sent,
  );
  const parsed = parseSidecar((await sidecar.Body?.transformToString('utf8')) ?? '');
  if (parsed === null || parsed.sha256 !== written.sha256 || parsed.fileName !== zipName) {
    problems.push(`sidecar ${written.sidecarLocation} does not hold "${written.sha256}  ${zipName}"`);
  }
  return { ok: problems.length === 0, method, expected, actual, problems };
}

/** What HeadObject reports against what was asked: lock mode, retain-until, legal hold, KMS. */
function retentionProblems(head: HeadObjectCommandOutput, options: ReadBackOptions): string[] {
  const problems: string[] = [];
  const lock = options.objectLock;
  if (lock !== undefined) {
    if (head.ObjectLockMode !== lock.mode) {
      problems.push(`object lock: mode is ${head.ObjectLockMode ?? 'none'}, asked ${lock.mode}`);
    }
    const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0;
    if (until < lock.retainUntil.getTime()) {
      problems.push(
        `object lock: retained until ${head.ObjectLockRetainUntilDate?.toISOString() ?? 'never'}, asked ${lock.retainUntil.toISOString()}`,
      );
    }
  }
  if (options.legalHold === true && head.ObjectLockLegalHoldStatus !== 'ON') {
    problems.push(`legal hold: ${head.ObjectLockLegalHoldStatus ?? 'OFF'}, asked ON`);
  }
  const kms = options.kmsKeyId;
  // S3 reports the key ARN; an alias cannot be matched against it, only the encryption type.
  const keyMatches = kms === undefined || kms.includes('alias/') || (head.SSEKMSKeyId ?? '').endsWith(kms);
  if (kms !== undefined && (head.ServerSideEncryption !== 'aws:kms' || !keyMatches)) {
    problems.push(
      `encryption: ${head.ServerSideEncryption ?? 'none'} ${head.SSEKMSKeyId ?? ''}, asked aws:kms ${kms}`,
    );
  }
  return problems;
}
