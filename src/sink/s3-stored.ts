/**
 * Reads of the archives an S3 destination already holds (snapshot chains): the job's run-ids from
 * a listing, a stored zip opened for ranged reads, and its Object Lock state. Read-only.
 *
 * The listing is a server's answer, so it is hostile too: a continuation token that comes back
 * again (a server walking in circles) or a walk past `MAX_LIST_PAGES` stops with
 * `destination_unreachable` instead of looping forever.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ExportError } from '../errors.js';
import type { BagSource } from '../verify/bag-source.js';
import { openS3Zip } from '../verify/zip-source.js';
import { archiveFileName, isJobName, isRunId, type ArchiveRef } from './sink.js';
import { awsS3 } from '../aws-sdk.js';

/** 1,000 keys a page: a million keys under one job is far past any real series (4 keys a run). */
export const MAX_LIST_PAGES = 1000;

export interface S3Place {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix without leading/trailing slash; '' for the bucket root. */
  readonly prefix: string;
}

interface AwsErrorLike {
  name?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const statusOf = (error: unknown): number | undefined =>
  (error as AwsErrorLike | undefined)?.$metadata?.httpStatusCode;
const describe = (error: unknown): string => {
  const e = error as AwsErrorLike;
  const code = statusOf(error);
  return `${e.name ?? 'Error'}${code === undefined ? '' : ` (HTTP ${code})`}${e.$metadata?.requestId === undefined ? '' : ` request-id ${e.$metadata.requestId}`}`;
};

const keyOf = (place: S3Place, relative: string): string =>
  place.prefix === '' ? relative : `${place.prefix}/${relative}`;

const zipKey = (place: S3Place, ref: ArchiveRef): string =>
  keyOf(place, `${ref.name}/${ref.runId}/${archiveFileName(ref)}`);

function checkedName(name: string): string {
  if (!isJobName(name)) throw new ExportError('usage', `job name ${JSON.stringify(name)} is not a safe slug`);
  return name;
}

/**
 * Run-ids under `<prefix>/<name>/` whose folder holds both `<name>-<run-id>.zip` and its
 * `.sha256`, oldest first. A prefix nothing was written under yet → []; a missing bucket is
 * `destination_unreachable` (the tool never creates one).
 */
export async function listS3Runs(place: S3Place, name: string): Promise<string[]> {
  const jobPrefix = keyOf(place, `${checkedName(name)}/`);
  const zipName = (runId: string): string => archiveFileName({ name, runId });
  /** Bit 1: the zip is there; bit 2: its sidecar. */
  const seen = new Map<string, number>();
  const tokens = new Set<string>();
  let token: string | undefined;
  for (let page = 0; ; page += 1) {
    if (page >= MAX_LIST_PAGES) {
      throw new ExportError(
        'destination_unreachable',
        `listing s3://${place.bucket}/${jobPrefix}: more than ${MAX_LIST_PAGES} pages; refusing to walk on`,
      );
    }
    let listed;
    try {
      listed = await place.client.send(
        new (awsS3().ListObjectsV2Command)({
          Bucket: place.bucket,
          Prefix: jobPrefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
    } catch (error) {
      throw new ExportError(
        'destination_unreachable',
        `listing s3://${place.bucket}/${jobPrefix}: ${describe(error)}`,
        { cause: error, retryable: statusOf(error) !== 404 && statusOf(error) !== 403 },
      );
    }
    for (const object of listed.Contents ?? []) {
      const key = object.Key;
      if (key === undefined || !key.startsWith(jobPrefix)) continue;
      const parts = key.slice(jobPrefix.length).split('/');
      const [runId, file] = parts;
      if (parts.length !== 2 || runId === undefined || file === undefined || !isRunId(runId)) continue;
      const bit = file === zipName(runId) ? 1 : file === `${zipName(runId)}.sha256` ? 2 : 0;
      if (bit !== 0) seen.set(runId, (seen.get(runId) ?? 0) | bit);
    }
    if (listed.IsTruncated !== true) break;
    token = listed.NextContinuationToken;
    if (token === undefined || token === '') {
      throw new ExportError(
        'destination_unreachable',
        `listing s3://${place.bucket}/${jobPrefix}: page ${page + 1} is truncated but gives no continuation token`,
      );
    }
    if (tokens.has(token)) {
      throw new ExportError(
        'destination_unreachable',
        `listing s3://${place.bucket}/${jobPrefix}: continuation token ${JSON.stringify(token.slice(0, 64))} came back on page ${page + 1} (the listing walks in a circle)`,
      );
    }
    tokens.add(token);
  }
  return [...seen]
    .filter(([, bits]) => bits === 3)
    .map(([runId]) => runId)
    .sort();
}

/** The stored zip of `ref` for ranged reads pinned to its ETag; null when there is no such key. */
export async function openS3Stored(place: S3Place, ref: ArchiveRef): Promise<BagSource | null> {
  checkedName(ref.name);
  if (!isRunId(ref.runId)) return null;
  const key = zipKey(place, ref);
  try {
    return await openS3Zip(place.client, place.bucket, key);
  } catch (error) {
    const cause = error instanceof ExportError ? error.cause : error;
    const status = statusOf(cause);
    if (status === 404 || (cause as AwsErrorLike | undefined)?.name === 'NotFound') return null;
    throw new ExportError(
      'destination_unreachable',
      `opening s3://${place.bucket}/${key}: ${describe(cause)}`,
      {
        cause: error,
        retryable: status !== 403,
      },
    );
  }
}

/** Object Lock retention and legal hold of the stored zip (HeadObject); null when it has neither. */
export async function s3LockOf(
  place: S3Place,
  ref: ArchiveRef,
): Promise<{ retainUntil: string | null; legalHold: boolean } | null> {
  const key = zipKey(place, checkedRef(ref));
  let head;
  try {
    head = await place.client.send(new (awsS3().HeadObjectCommand)({ Bucket: place.bucket, Key: key }));
  } catch (error) {
    throw new ExportError(
      'destination_unreachable',
      `HeadObject s3://${place.bucket}/${key}: ${describe(error)}`,
      {
        cause: error,
      },
    );
  }
  const until = head.ObjectLockRetainUntilDate;
  const retainUntil = until instanceof Date && !Number.isNaN(until.getTime()) ? until.toISOString() : null;
  const legalHold = head.ObjectLockLegalHoldStatus === 'ON';
  return retainUntil === null && !legalHold ? null : { retainUntil, legalHold };
}

function checkedRef(ref: ArchiveRef): ArchiveRef {
  checkedName(ref.name);
  if (!isRunId(ref.runId))
    throw new ExportError('usage', `run-id ${JSON.stringify(ref.runId)} is not a run-id`);
  return ref;
}
