/**
 * The destination check of `plan`, which must write nothing at the destination: the sink's own
 * read-only `inspect` (the bucket answers and, when the job asks for retention, versioning and
 * Object Lock are on; a local folder, or its nearest existing parent, is a writable directory),
 * so plan and run judge a destination by the same code. The run's `preflight` goes further and
 * proves the write right.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DestinationCheckInfo } from '../plan/types.js';
import { createS3Client, createSink, parseDestination } from '../sink/create-sink.js';
import type { ResolvedDestination } from '../spec/types.js';

const LABELS: Readonly<Record<string, string>> = { versioning: 'versioning', object_lock: 'Object Lock' };

export async function checkDestinationReadOnly(
  dest: ResolvedDestination,
  options: { client?: S3Client } = {},
): Promise<DestinationCheckInfo> {
  const kind = parseDestination(dest.uri).kind;
  const client =
    options.client ??
    (kind === 's3'
      ? createS3Client({
          ...(dest.region === undefined ? {} : { region: dest.region }),
          ...(dest.endpoint === undefined ? {} : { endpoint: dest.endpoint }),
          forcePathStyle: dest.force_path_style,
        })
      : undefined);
  try {
    const checks = await createSink(dest, client === undefined ? {} : { client }).inspect();
    const detail = checks
      .map((c) => (LABELS[c.check] === undefined ? c.detail : `${LABELS[c.check]} ${c.detail}`))
      .join(', ');
    return { kind, ok: true, detail };
  } finally {
    if (options.client === undefined) client?.destroy();
  }
}
