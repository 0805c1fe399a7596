/**
 * `compliance-export plan` in-process against the real sandbox over loopback: --json output, exit 2
 * on a bad spec, exit 1 on each preflight failure, the key taken from io.env and never printed.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import type { ExportPlan } from '../../src/plan/index.js';
import { startSandbox, type RunningSandbox } from '@compliance-export/sandbox';
import { runCli, type CliResult } from './run-cli.js';

let sandbox: RunningSandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 11, profile: 'small', rpm: 0 });
  dir = await mkdtemp(join(tmpdir(), 'plan-cli-'));
});
afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeSpec(name: string, include: string): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    `version: 1
name: ${name}
source:
  base_url: ${sandbox.baseUrl}
  api_key_env: PLAN_CLI_KEY
  requests_per_minute: 60000
  allow_above_documented_limit: true
scope:
  organizations: all
  include: [${include}]
destination:
  uri: ${join(dir, `${name}-out`, 'archives')}
state_dir: ${join(dir, `${name}-state`)}
`,
  );
  return path;
}

/** The key only in io.env: the process environment never holds it. */
const plan = (key: string | null, ...args: string[]): Promise<CliResult> =>
  runCli(['plan', ...args], { env: key === null ? {} : { PLAN_CLI_KEY: key } });

describe('compliance-export plan', () => {
  it('--json prints the plan object; exit 0', async () => {
    expect(process.env['PLAN_CLI_KEY']).toBeUndefined();
    const path = await writeSpec('cli-json', 'chats');
    const r = await plan(sandbox.keys.full, path, '--json', '--state-dir', join(dir, 'elsewhere'));
    expect(r.code).toBe(EXIT.ok);
    const parsed = JSON.parse(r.out) as ExportPlan;
    expect(parsed.state).toEqual({ dir: join(dir, 'elsewhere', 'cli-json'), status: 'none' });
    expect(parsed.planVersion).toBe(1);
    expect(parsed.job.name).toBe('cli-json');
    expect(parsed.estimate.lines.map((l) => l.part)).toContain('chats.messages');
    expect(r.out + r.err).not.toContain(sandbox.keys.full);
  });

  it('exit 2 on a bad spec, naming the path', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'version: 1\nname: Bad Name\nscope: {}\n');
    const r = await plan(sandbox.keys.full, path);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('spec_invalid');
    expect(r.err).toContain('/name');
  });

  it('exit 1 on preflight failures: key unset, key rejected, scope missing', async () => {
    const path = await writeSpec('cli-pre', 'chats, activities');
    const unset = await plan(null, path);
    expect([unset.code, unset.err]).toEqual([EXIT.failure, expect.stringContaining('api_key_missing')]);
    const rejected = await plan(sandbox.keys.deactivated, path);
    expect([rejected.code, rejected.err]).toEqual([
      EXIT.failure,
      expect.stringContaining('api_key_rejected'),
    ]);
    const scoped = await plan(sandbox.keys.activitiesOnly, path);
    expect([scoped.code, scoped.err]).toEqual([EXIT.failure, expect.stringContaining('scope_missing')]);
    expect(scoped.err).not.toContain(sandbox.keys.activitiesOnly);
  });

  it('exit 1 when the destination cannot be written', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const path = await writeSpec('cli-dest', 'chats');
    await writeFile(path, (await readFile(path, 'utf8')).replace(/uri: .*/, `uri: ${blocker}/sub`));
    const r = await plan(sandbox.keys.full, path);
    expect(r.code).toBe(EXIT.failure);
    expect(r.err).toContain('destination_unreachable');
    await expect(access(join(blocker, 'sub'))).rejects.toThrow();
  });
});
