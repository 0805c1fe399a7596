/**
 * `compliance-export run` in-process against the real sandbox: the exit code is the run's (also
 * in the --json summary), the key comes from io.env, and a key missing there is exit 1 before
 * anything is written. Signals and a second process holding the lock: test/run-job (real processes).
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { startSandbox, type RunningSandbox } from '@compliance-export/sandbox';
import { runCli } from './run-cli.js';

let sandbox: RunningSandbox;
let dir: string;
let spec: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 3, profile: 'small', rpm: 0 });
  dir = await mkdtemp(join(tmpdir(), 'run-cli-'));
  spec = join(dir, 'job.yaml');
  await writeFile(
    spec,
    `version: 1
name: cli-run
source:
  base_url: ${sandbox.baseUrl}
  api_key_env: RUN_CLI_KEY
  requests_per_minute: 60000
  allow_above_documented_limit: true
scope:
  organizations: all
  include: [chats]
consistency:
  indexing_lag: 1s
  overlap: 10s
  quiescence:
    interval: 1s
    max_passes: 2
destination:
  uri: ${join(dir, 'out')}
state_dir: ${join(dir, 'state')}
`,
  );
});
afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('compliance-export run', () => {
  it('exit 1 with api_key_missing when io.env lacks the key, and nothing is written', async () => {
    expect(process.env['RUN_CLI_KEY']).toBeUndefined();
    const r = await runCli(['run', spec, '--progress', 'off'], { env: {} });
    expect(r.code).toBe(EXIT.failure);
    expect(r.err).toMatch(/^compliance-export: api_key_missing: /u);
    expect(await readdir(dir)).toEqual(['job.yaml']);
  });

  it('returns the run exit code and prints it in the --json summary; a rerun with --quiet prints nothing', async () => {
    const env = { RUN_CLI_KEY: sandbox.keys.full };
    const r = await runCli(['run', 'job.yaml', '--json', '--progress', 'off'], { env, cwd: dir });
    const summary = JSON.parse(r.out) as { status: string; exitCode: number; counts: Record<string, number> };
    expect([r.code, summary.status, summary.exitCode]).toEqual([EXIT.ok, 'complete', EXIT.ok]);
    expect(summary.counts['chat']).toBeGreaterThan(0);
    expect(r.out + r.err).not.toContain(sandbox.keys.full);
    const again = await runCli(['run', spec, '--quiet'], { env });
    expect(again).toEqual({ code: EXIT.ok, out: '', err: '' });
  });
});
