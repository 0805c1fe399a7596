/**
 * `compliance-export plan` in-process against the real sandbox over loopback: --json output, exit 2
 * on a bad spec or flag, exit 1 on each preflight failure, the key taken from io.env and never
 * printed, and a disk the run would fill: exit 0 with a WARNING line and `disk.warnings`.
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

  it('--json carries the byte figures; a disk too small is a warning there and on stderr, exit 0', async () => {
    const path = await writeSpec('cli-bytes', 'chats, files');
    // 1 PiB to keep free: more than any disk has, so the run would not fit
    const r = await plan(
      sandbox.keys.full,
      path,
      '--json',
      '--min-free',
      '1048576GiB',
      '--assume',
      'chat=1MiB',
    );
    expect(r.code).toBe(EXIT.ok);
    const parsed = JSON.parse(r.out) as ExportPlan;
    const chat = parsed.bytes.lines.find((l) => l.item === 'chat')!;
    expect([chat.count, chat.countFrom, chat.sizeFrom, chat.payloadPerItem]).toEqual([
      parsed.totals.chats,
      'listed',
      'assume',
      1024 ** 2,
    ]);
    expect(parsed.bytes.lines.map((l) => l.item)).toEqual(['chat', 'chat_file']);
    const sum = parsed.bytes.lines.reduce((t, l) => t + l.staged, 0);
    expect(parsed.bytes.staged).toBe(sum + parsed.bytes.ledger.staged + parsed.bytes.production.staged);
    expect(parsed.bytes.shipped).toBeGreaterThan(0);
    expect(parsed.disk.minFree).toBe(1024 ** 5);
    expect(parsed.disk.warnings).toHaveLength(1);
    const [w] = parsed.disk.warnings;
    expect(w).toMatchObject({
      code: 'disk_short',
      filesystem: 'state_and_destination',
      path: join(dir, 'cli-bytes-state'),
      need: parsed.bytes.staged + parsed.bytes.shipped + 1024 ** 5,
    });
    expect(w!.short).toBe(w!.need - w!.free);
    expect(r.err.split('\n').filter((l) => l.startsWith('WARNING: '))).toHaveLength(1);
    // the text plan prints it too; with the default floor the sandbox fits and nothing is printed
    const text = await plan(sandbox.keys.full, path, '--min-free', '1048576GiB');
    expect(text.code).toBe(EXIT.ok);
    expect(text.out.split('\n').filter((l) => l.startsWith('WARNING: '))).toHaveLength(1);
    const fits = await plan(sandbox.keys.full, path, '--json', '--min-free', '0B');
    expect((JSON.parse(fits.out) as ExportPlan).disk.warnings).toEqual([]);
    expect(fits.err).not.toContain('WARNING');
  });

  it('exit 2 on a bad --min-free or --assume', async () => {
    const path = await writeSpec('cli-flags', 'chats');
    const bad = await Promise.all([
      plan(sandbox.keys.full, path, '--min-free', 'lots'),
      plan(sandbox.keys.full, path, '--assume', 'chat'),
      plan(sandbox.keys.full, path, '--assume', 'activity=1KiB'),
      plan(sandbox.keys.full, path, '--assume', 'chat=big'),
    ]);
    for (const r of bad) expect([r.code, r.err]).toEqual([EXIT.usage, expect.stringContaining('usage')]);
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
