/**
 * A read-only destination check for `plan`, which must write nothing at the destination. The
 * run's checks (src/run/preflight.ts `checkLocalDestination`, the sinks' `preflight`) create the
 * folder or open and abort a multipart upload to prove the write right; here we only look:
 * the bucket answers HeadBucket (and, when the job asks for retention, versioning and Object
 * Lock are on); a local folder, or its nearest existing parent, is a writable directory.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ExportError } from '../errors.js';
import type { DestinationCheckInfo } from '../plan/types.js';
import { createS3Client } from '../sink/s3-sink.js';
import { parseDestinationUri } from '../spec/index.js';
import type { ResolvedDestination } from '../spec/types.js';

interface AwsErrorLike {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

function unreachable(message: string, cause: unknown): ExportError {
  return new ExportError('destination_unreachable', message, { cause });
}

export async function checkDestinationReadOnly(
  dest: ResolvedDestination,
  options: { client?: S3Client } = {},
): Promise<DestinationCheckInfo> {
  const target = parseDestinationUri(dest.uri);
  if (target.kind === 'local') return checkLocal(target.path);
  const client =
    options.client ??
    createS3Client({
      ...(dest.region === undefined ? {} : { region: dest.region }),
      ...(dest.endpoint === undefined ? {} : { endpoint: dest.endpoint }),
      forcePathStyle: dest.force_path_style,
    });
  try {
    const bucket = target.bucket;
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const code = (error as AwsErrorLike).$metadata?.httpStatusCode;
      const why =
        code === 404
          ? 'does not exist'
          : code === 403
            ? 'is not accessible with these credentials'
            : 'cannot be reached';
      throw unreachable(
        `destination ${dest.uri}: bucket ${bucket} ${why} (${(error as AwsErrorLike).name ?? 'error'})`,
        error,
      );
    }
    const notes = [`bucket ${bucket} exists`];
    if (dest.object_lock !== undefined) {
      const v = await client
        .send(new GetBucketVersioningCommand({ Bucket: bucket }))
        .catch((error: unknown) => {
          throw unreachable(`destination ${dest.uri}: cannot read versioning of ${bucket}`, error);
        });
      if (v.Status !== 'Enabled')
        throw unreachable(
          `destination ${dest.uri}: versioning is ${v.Status ?? 'off'}; Object Lock needs it`,
          null,
        );
      const lock = await client
        .send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))
        .catch((error: unknown) => {
          throw unreachable(`destination ${dest.uri}: Object Lock is not enabled on ${bucket}`, error);
        });
      if (lock.ObjectLockConfiguration?.ObjectLockEnabled !== 'Enabled')
        throw unreachable(`destination ${dest.uri}: Object Lock is not enabled on ${bucket}`, null);
      notes.push('versioning and Object Lock on');
    }
    return { kind: 's3', ok: true, detail: notes.join(', ') };
  } finally {
    if (options.client === undefined) client.destroy();
  }
}

async function checkLocal(path: string): Promise<DestinationCheckInfo> {
  const wanted = resolve(path);
  let dir = wanted;
  // Walk up to the nearest folder that exists: the run would create the rest.
  for (;;) {
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) throw unreachable(`destination ${path}: ${dir} is not a directory`, null);
      break;
    } catch (error) {
      if (error instanceof ExportError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir)
        throw unreachable(`destination ${path}: cannot read ${dir}`, error);
      dir = dirname(dir);
    }
  }
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    throw unreachable(`destination ${path}: ${dir} is not writable`, error);
  }
  return {
    kind: 'local',
    ok: true,
    detail: dir === wanted ? `${dir} is writable` : `${dir} is writable (${wanted} would be created)`,
  };
}
