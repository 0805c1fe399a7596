/** Shared set-up for run-job tests: a sandbox on loopback and a job spec pointing at it. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../src/api/index.js';
import { runJob, type RunJobOptions, type RunJobResult } from '../../src/run-job.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { openStore, type StagingStore } from '../../src/store/index.js';
import { CONTENT_KINDS } from '../../src/spec/types.js';
import {
  startSandbox,
  type RunningSandbox,
  type SandboxStats,
  type SandboxTruth,
  type Scenario,
} from '@compliance-export/sandbox';

export interface Harness {
  readonly sandbox: RunningSandbox;
  readonly dir: string;
  readonly specPath: string;
  readonly env: NodeJS.ProcessEnv;
  truth(asOf: string): Promise<SandboxTruth>;
  stats(): Promise<SandboxStats>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly include?: string[];
  readonly custodians?: string[] | 'all';
  readonly key?: 'full' | 'userDataOnly' | 'orgDataOnly' | 'activitiesOnly';
  readonly extra?: string;
  readonly seed?: number;
  readonly scenario?: Scenario;
  /** The spec's request budget (default 60,000: as fast as the machine goes). */
  readonly requestsPerMinute?: number;
}

/** Every content kind except sessions (the spec's default `include`). */
export const ALL_KINDS: string[] = CONTENT_KINDS.filter((k) => k !== 'sessions');

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox({
    port: 0,
    seed: options.seed ?? 7,
    profile: 'small',
    rpm: 0,
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
  });
  const dir = await mkdtemp(join(tmpdir(), 'run-job-'));
  const custodians =
    options.custodians === undefined || options.custodians === 'all'
      ? 'all'
      : `[${options.custodians.map((c) => JSON.stringify(c)).join(', ')}]`;
  const yaml = `version: 1
name: test-job
source:
  base_url: ${sandbox.baseUrl}
  api_key_env: TEST_COMPLIANCE_KEY
  requests_per_minute: ${options.requestsPerMinute ?? 60000}
  allow_above_documented_limit: true
  max_concurrency: 8
scope:
  organizations: all
  custodians: ${custodians}
  include: [${(options.include ?? ALL_KINDS).join(', ')}]
consistency:
  indexing_lag: 1s
  overlap: 10s
  quiescence:
    interval: 1s
    max_passes: 2
destination:
  uri: ${join(dir, 'out')}
state_dir: ${join(dir, 'state')}
${options.extra ?? ''}
`;
  const specPath = join(dir, 'job.yaml');
  await writeFile(specPath, yaml);
  const env = { ...process.env, TEST_COMPLIANCE_KEY: sandbox.keys[options.key ?? 'full'] };
  return {
    sandbox,
    dir,
    specPath,
    env,
    truth: async (asOf) =>
      (
        await fetch(`${sandbox.baseUrl}/_sandbox/truth?as_of=${encodeURIComponent(asOf)}`)
      ).json() as Promise<SandboxTruth>,
    stats: async () => (await fetch(`${sandbox.baseUrl}/_sandbox/stats`)).json() as Promise<SandboxStats>,
    close: async () => {
      await sandbox.close().catch(() => undefined); // a test may have closed it already
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const instantSleep = async (): Promise<void> => undefined;

/**
 * A quiet run of the harness's spec (or `specPath`) in a folder of its own: state in
 * `<dir>/<name>/state`, archives in `<dir>/<name>/out`.
 */
export function runIsolated(
  h: Harness,
  name: string,
  extra: Partial<RunJobOptions> = {},
): Promise<RunJobResult> {
  return runJob({
    specPath: h.specPath,
    env: h.env,
    sleep: instantSleep,
    progress: 'off',
    overrides: { state_dir: join(h.dir, name, 'state'), destination_uri: join(h.dir, name, 'out') },
    ...extra,
  });
}

/** Real time, but every wait capped at 5 ms: retry backoff and retry-after never really sleep. */
export const fastClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(Math.min(ms, 5), undefined, signal === undefined ? undefined : { signal }),
};

/** The staging store a harness job's runs left (the default state folder, the spec's hash). */
export async function openJobStore(h: Harness): Promise<StagingStore> {
  const { sha256 } = await loadSpecFile(h.specPath, { env: h.env });
  return openStore({ stateDir: `${h.dir}/state`, jobName: 'test-job', specSha256: sha256 });
}

/**
 * A copy of the harness's spec (`<name>.yaml` beside it) whose destination is `s3://archive/exports`
 * on the S3 server at `endpoint` (s3rver on loopback), with `extra` YAML appended; returns its path.
 */
export async function s3JobSpec(h: Harness, endpoint: string, name: string, extra = ''): Promise<string> {
  const yaml = await readFile(h.specPath, 'utf8');
  const specPath = join(h.dir, `${name}.yaml`);
  await writeFile(
    specPath,
    yaml.replace(
      /destination:\n {2}uri: .*\n/u,
      `destination:\n  uri: s3://archive/exports\n  endpoint: ${endpoint}\n  force_path_style: true\n  region: us-east-1\n`,
    ) + extra,
  );
  return specPath;
}
