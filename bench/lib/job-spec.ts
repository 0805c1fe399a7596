/**
 * One bench job: a folder holding its `job.yaml`, staging state and local destination. The spec
 * is written like a user would write it; everything a bench varies is an option here.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTENT_KINDS } from '../../src/spec/types.js';

/** Every content kind, sessions included. */
export const ALL_KINDS = CONTENT_KINDS;

export const KEY_ENV = 'BENCH_COMPLIANCE_KEY';

export interface JobOptions {
  readonly baseUrl: string;
  readonly requestsPerMinute: number;
  readonly maxConcurrency: number;
  readonly include?: readonly string[];
  /** Quiescence: wait between passes and the most re-enumeration passes. */
  readonly interval?: string;
  readonly maxPasses?: number;
  readonly name?: string;
  /** `snapshot.mode`; left out, the job is not a snapshot series. */
  readonly snapshot?: 'full' | 'incremental';
}

export interface BenchJob {
  readonly dir: string;
  readonly specPath: string;
  readonly stateDir: string;
  readonly outDir: string;
  /** The store's folder inside the state dir (journal, requests.jsonl, custody.jsonl). */
  readonly storeDir: string;
}

export async function writeJob(dir: string, options: JobOptions): Promise<BenchJob> {
  const name = options.name ?? 'bench';
  const stateDir = join(dir, 'state');
  const outDir = join(dir, 'out');
  await mkdir(dir, { recursive: true });
  const yaml = `version: 1
name: ${name}
matter: BENCH (sandbox data only)
source:
  base_url: ${options.baseUrl}
  api_key_env: ${KEY_ENV}
  requests_per_minute: ${options.requestsPerMinute}
  allow_above_documented_limit: ${options.requestsPerMinute > 600}
  max_concurrency: ${options.maxConcurrency}
scope:
  organizations: all
  custodians: all
  include: [${(options.include ?? ALL_KINDS).join(', ')}]
consistency:
  indexing_lag: 1s
  overlap: 10s
  quiescence:
    interval: ${options.interval ?? '1s'}
    max_passes: ${options.maxPasses ?? 2}
archive:
  compression: auto
destination:
  uri: ${outDir}
state_dir: ${stateDir}
${options.snapshot === undefined ? '' : `snapshot:\n  mode: ${options.snapshot}\n`}`;
  const specPath = join(dir, 'job.yaml');
  await writeFile(specPath, yaml);
  return { dir, specPath, stateDir, outDir, storeDir: join(stateDir, name) };
}
