/**
 * An archive named on the command line (`materialize`, `verify --chain`): a zip path or an
 * `s3://` URI of the sink layout, `<root>/<name>/<run-id>/<name>-<run-id>.zip`, turned into the
 * sink of `<root>` and the archive's ref, so the rest of its chain is found beside it.
 */
import { basename, dirname } from 'node:path/posix';
import { ExportError } from '../errors.js';
import { createSink, parseDestination } from '../sink/create-sink.js';
import { archiveFileName, isJobName, isRunId, type ArchiveRef, type Sink } from '../sink/sink.js';

/** Where an archive lives, from a zip path or an `s3://` URI of the usual layout. */
export interface LocatedArchive {
  readonly sink: Sink;
  readonly ref: ArchiveRef;
}

export interface S3Access {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
}

const LAYOUT = '<root>/<name>/<run-id>/<name>-<run-id>.zip (run-id like 20261122T101300Z)';

/** The sink and ref of an archive given as a zip path or `s3://bucket/…/<name>/<run-id>/<name>-<run-id>.zip`. */
export function locateArchive(target: string, s3: S3Access): LocatedArchive {
  const parsed = parseDestination(target);
  const path = parsed.kind === 's3' ? parsed.prefix : parsed.path;
  const file = basename(path);
  const runId = basename(dirname(path));
  const name = basename(dirname(dirname(path)));
  const ref = { name, runId };
  if (
    (parsed.kind === 's3' && path.split('/').includes('')) ||
    !isJobName(name) ||
    !isRunId(runId) ||
    file !== archiveFileName(ref)
  ) {
    throw new ExportError('usage', `${target}: not an archive of the sink layout; expected ${LAYOUT}`);
  }
  const root = dirname(dirname(dirname(path)));
  if (parsed.kind === 'local') return { sink: createSink({ uri: root }), ref };
  const prefix = root === '.' ? '' : root;
  return {
    sink: createSink({
      uri: `s3://${parsed.bucket}${prefix === '' ? '' : `/${prefix}`}`,
      ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint }),
      ...(s3.region === undefined ? {} : { region: s3.region }),
      ...(s3.forcePathStyle === undefined ? {} : { force_path_style: s3.forcePathStyle }),
    }),
    ref,
  };
}
