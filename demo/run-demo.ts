/**
 * The `npm start` demo (not part of the product: it imports the product from ../src and the
 * sandbox package), wired end to end on loopback: the Compliance API sandbox (port 0, limit
 * scaled to 6,000 rpm as jobs/demo.yaml expects) and an S3-protocol server (s3rver, port 0, a temp
 * folder, the bucket the demo job names), both in this process; jobs/demo.yaml with the real
 * ports, a fresh state folder and the sandbox's full key (env only, never printed); the job run by
 * run-job (collect → quiesce → seal → ship → read back); then an independent `verifyArchive` of
 * what landed in the bucket. Returns the figures the summary prints.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox, type RunningSandbox, type SandboxStats } from '@compliance-export/sandbox';
import type { Sleep } from '../src/collect/index.js';
import { ExportError } from '../src/errors.js';
import type { ProgressMode } from '../src/progress/progress.js';
import { runJob, type RunJobResult } from '../src/run-job.js';
import { loadSpecFile, parseDestinationUri } from '../src/spec/index.js';
import { verifyArchive, type VerifyReport } from '../src/verify/verify-archive.js';
import { startLocalS3, withS3rverCredentials, type LocalS3 } from './local-s3.js';

/** jobs/demo.yaml, next to this folder. */
export const DEMO_SPEC_PATH = fileURLToPath(new URL('../jobs/demo.yaml', import.meta.url));

/** The sandbox limit the demo job's budget (5,400 rpm) is 90 % of. */
export const DEMO_SANDBOX_RPM = 6000;

export interface DemoOptions {
  readonly specPath?: string;
  /** Sandbox data size, default `medium` (about a minute on two cores). */
  readonly profile?: 'small' | 'medium' | 'large';
  readonly seed?: number;
  /** Sandbox limit per minute; 0 = off. Default 6,000. */
  readonly sandboxRpm?: number;
  /** Override the job's budget (tests: far above the sandbox's, with `sandboxRpm: 0`). */
  readonly requestsPerMinute?: number;
  /** Leave the servers running and the files in place; call `close()` on the result later. */
  readonly keep?: boolean;
  readonly progress?: ProgressMode;
  readonly stderr?: NodeJS.WritableStream;
  /** Waits between quiescence passes (tests pass an instant one). */
  readonly sleep?: Sleep;
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly exitCode: number;
  readonly run: RunJobResult;
  readonly verify: VerifyReport | null;
  readonly sandbox: {
    readonly baseUrl: string;
    readonly profile: string;
    readonly rpm: number;
    readonly requests: number;
    readonly rateLimited: number;
  };
  readonly s3: { readonly endpoint: string; readonly directory: string; readonly bucket: string };
  /** Object key of the archive in the bucket: `<prefix>/<name>/<run-id>/<name>-<run-id>.zip`. */
  readonly archiveKey: string | null;
  readonly stateDir: string;
  readonly elapsedMs: number;
  readonly kept: boolean;
  /** Stops the servers and removes the temp files unless `keepFiles` (a no-op unless `keep`). */
  close(options?: { keepFiles?: boolean }): Promise<void>;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const specPath = options.specPath ?? DEMO_SPEC_PATH;
  const profile = options.profile ?? 'medium';
  const rpm = options.sandboxRpm ?? DEMO_SANDBOX_RPM;
  // Read the job once for what the servers must provide (its bucket, its key variable).
  const { spec } = await loadSpecFile(specPath, { env: {} });
  const target = parseDestinationUri(spec.destination.uri);
  if (target.kind !== 's3') {
    throw new ExportError(
      'usage',
      `${specPath}: the demo writes to its local S3 server; destination.uri must be s3://`,
    );
  }

  let sandbox: RunningSandbox | null = null;
  let s3: LocalS3 | null = null;
  let stateDir: string | null = null;
  let restoreEnv: (() => void) | null = null;
  let closed = false;
  const close = async ({ keepFiles = false }: { keepFiles?: boolean } = {}): Promise<void> => {
    if (closed) return;
    closed = true;
    restoreEnv?.();
    await sandbox?.close().catch(() => undefined);
    await s3?.close({ keepFiles }).catch(() => undefined);
    if (stateDir !== null && !keepFiles) await rm(stateDir, { recursive: true, force: true });
  };
  try {
    sandbox = await startSandbox({ port: 0, seed: options.seed ?? 1, profile, rpm });
    s3 = await startLocalS3({ buckets: [target.bucket] });
    stateDir = await mkdtemp(join(tmpdir(), 'compliance-export-demo-state-'));
    restoreEnv = withS3rverCredentials();
    const env = { ...process.env, [spec.source.api_key_env]: sandbox.keys.full };
    const run = await runJob({
      specPath,
      env,
      overrides: {
        base_url: sandbox.baseUrl,
        destination_endpoint: s3.endpoint,
        state_dir: stateDir,
        ...(options.requestsPerMinute !== undefined
          ? { requests_per_minute: options.requestsPerMinute }
          : {}),
      },
      progress: options.progress ?? 'off',
      ...(options.stderr !== undefined ? { stderr: options.stderr } : {}),
      ...(options.sleep !== undefined ? { sleep: options.sleep } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      commandLine: 'npm start',
    });
    let verify: VerifyReport | null = null;
    let archiveKey: string | null = null;
    if (run.archive !== null) {
      verify = await verifyArchive(run.archive.location, {
        endpoint: s3.endpoint,
        forcePathStyle: true,
        ...(spec.destination.region !== undefined ? { region: spec.destination.region } : {}),
      });
      archiveKey = run.archive.location.slice(`s3://${target.bucket}/`.length);
    }
    const stats = (await (await fetch(`${sandbox.baseUrl}/_sandbox/stats`)).json()) as SandboxStats;
    // A run that sealed an archive the verifier rejects did not succeed, whatever it collected.
    const exitCode = verify !== null && !verify.ok ? 1 : run.exitCode;
    const result: DemoResult = {
      exitCode,
      run,
      verify,
      sandbox: {
        baseUrl: sandbox.baseUrl,
        profile,
        rpm,
        requests: stats.total,
        rateLimited: stats.rateLimited,
      },
      s3: { endpoint: s3.endpoint, directory: s3.directory, bucket: target.bucket },
      archiveKey,
      stateDir,
      elapsedMs: Date.now() - started,
      kept: options.keep === true,
      close,
    };
    if (options.keep !== true) await close();
    return result;
  } catch (error) {
    await close();
    throw error;
  }
}
