/**
 * The AWS SDK, loaded when an S3 destination or source is first used: loading it costs ~0.2 s of
 * CPU and ~3 MB of heap at start-up (measured on Node 20 with the rest of the tool loaded), which a
 * run to a local folder, `validate` or `--version` never needs. The packages ship CommonJS as their
 * entry point, so `require` here gives the very module instance an `import` of them would (tests
 * mock its client class).
 */
import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';

const load = createRequire(import.meta.url);
let clientS3: typeof ClientS3 | undefined;
let libStorage: typeof LibStorage | undefined;

/** `@aws-sdk/client-s3`: the client and its commands. */
export function awsS3(): typeof ClientS3 {
  // The SDK warns once per process, when a client is made, that Node 20 support ends in 2027; in
  // a CLI that reads as a fault. Users can still opt in by setting the variable to anything else.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  clientS3 ??= load('@aws-sdk/client-s3') as typeof ClientS3;
  return clientS3;
}

/** `@aws-sdk/lib-storage`: the multipart `Upload`. */
export function awsStorage(): typeof LibStorage {
  libStorage ??= load('@aws-sdk/lib-storage') as typeof LibStorage;
  return libStorage;
}

/** How long an S3 connection may take to open before it fails. */
const S3_CONNECT_TIMEOUT_MS = 30_000;

export interface S3ClientSettings {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly forcePathStyle?: boolean | undefined;
}

/**
 * An S3 client for the sink and the verifier alike: a connection that does not open in 30 s fails
 * (the SDK sets no timeout of its own). No socket idle timeout: over TLS the SDK sends an upload
 * part as one write, which does not reset the socket's timer while it goes out, so a healthy part
 * on a slow link would fail. Bodies read whole are watched for idleness instead (`digestStream`).
 */
export function newS3Client(settings: S3ClientSettings = {}): ClientS3.S3Client {
  return new (awsS3().S3Client)({
    region: settings.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle ?? false,
    requestHandler: { connectionTimeout: S3_CONNECT_TIMEOUT_MS },
  });
}
