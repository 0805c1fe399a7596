/**
 * The AWS SDK is loaded only when S3 is used: a run to a local folder, `validate` and `--version`
 * start without its ~0.2 s of CPU. A fresh Node process (tsx) imports the whole run pipeline and
 * the CLI, then says which SDK modules it holds, before and after the first S3 use.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const PROBE = `
const { createRequire } = await import('node:module');
const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/@aws-sdk/')).length;
await import('./src/run-job.ts');
await import('./src/cli/main.ts');
const before = loaded();
const { awsS3, awsStorage } = await import('./src/aws-sdk.ts');
const { S3Client } = await import('@aws-sdk/client-s3');
const same = awsS3().S3Client === S3Client && typeof awsStorage().Upload === 'function';
console.log(JSON.stringify({ before, after: loaded(), same }));
`;

describe('the AWS SDK', () => {
  it('is not loaded by importing the pipeline and the CLI, and is the imported module once used', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', PROBE],
      { cwd: ROOT },
    );
    const probe = JSON.parse(stdout.trim().split('\n').pop()!) as {
      before: number;
      after: number;
      same: boolean;
    };
    expect(probe.before).toBe(0);
    expect(probe.after).toBeGreaterThan(0);
    expect(probe.same).toBe(true);
  }, 60_000);
});
