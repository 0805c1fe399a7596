/**
 * A real S3-protocol server (the `s3rver` package) in-process on loopback, port 0, storing into a
 * temp folder, with the buckets the demo names. s3rver accepts its fixed default credentials
 * (S3RVER / S3RVER); `withS3rverCredentials` puts them in this process's env for the AWS SDK's
 * default chain while the demo runs and restores what was there afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;

/** s3rver's built-in access key and secret (not a secret: documented in its README). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** Folder s3rver keeps the objects in (`<bucket>/<key>._S3rver_object` files). */
  readonly directory: string;
  close(options?: { keepFiles?: boolean }): Promise<void>;
}

export async function startLocalS3(options: {
  buckets: readonly string[];
  directory?: string;
}): Promise<LocalS3> {
  // s3rver is CommonJS without types; load it through require.
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'compliance-export-s3-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    directory,
    close: async ({ keepFiles = false } = {}) => {
      await server.close();
      if (!keepFiles) await rm(directory, { recursive: true, force: true });
    },
  };
}

const AWS_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;

/**
 * Set s3rver's credentials for the AWS SDK's default chain; returns the function that restores
 * the previous values. A session token or profile would override or confuse them, so both are
 * cleared meanwhile.
 */
export function withS3rverCredentials(env: NodeJS.ProcessEnv = process.env): () => void {
  const saved = new Map(AWS_ENV.map((k) => [k, env[k]]));
  for (const k of AWS_ENV) delete env[k];
  env['AWS_ACCESS_KEY_ID'] = S3RVER_CREDENTIALS.accessKeyId;
  env['AWS_SECRET_ACCESS_KEY'] = S3RVER_CREDENTIALS.secretAccessKey;
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  };
}
