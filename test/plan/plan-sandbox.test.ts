/**
 * `plan` against the real sandbox over loopback: counts equal /_sandbox/truth, only listing
 * endpoints are called, nothing is written but plan-estimate.json, the estimate brackets a real
 * run's requests, and the byte estimate and free-space checks hold against the real disk, a real
 * run's state and zip, and a forced small disk (the `plan` command's exit codes:
 * test/cli/plan.test.ts; plan-estimate.json and the run: test/run-job/plan-estimate.test.ts).
 */
import { lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statfsFree, type FreeSpaceReader } from '../../src/disk/free-space.js';
import { planJob } from '../../src/plan-job.js';
import type { ExportPlan } from '../../src/plan/index.js';
import { runJob } from '../../src/run-job.js';
import {
  startSandbox,
  type RunningSandbox,
  type SandboxStats,
  type SandboxTruth,
} from '@compliance-export/sandbox';

let sandbox: RunningSandbox;
let dir: string;

const ALL = 'directory, activities, chats, files, generated_files, chat_artifacts, projects, code_artifacts';

async function writeSpec(
  name: string,
  over: { custodians?: string; include?: string; extra?: string } = {},
): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    `version: 1
name: ${name}
source:
  base_url: ${sandbox.baseUrl}
  api_key_env: PLAN_TEST_KEY
  requests_per_minute: 60000
  allow_above_documented_limit: true
  max_concurrency: 8
scope:
  organizations: all
  custodians: ${over.custodians ?? 'all'}
  include: [${over.include ?? ALL}]
consistency:
  indexing_lag: 1s
  overlap: 10s
  quiescence:
    interval: 1s
    max_passes: 2
destination:
  uri: ${join(dir, `${name}-out`, 'archives')}
state_dir: ${join(dir, `${name}-state`)}
${over.extra ?? ''}
`,
  );
  return path;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Bytes of the regular files under a folder, for comparing with what plan measured. */
async function folderBytes(path: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? await folderBytes(p) : (await lstat(p)).size;
  }
  return total;
}

const envWith = (key: string): NodeJS.ProcessEnv => ({ ...process.env, PLAN_TEST_KEY: key });
const stats = async (): Promise<SandboxStats> =>
  (await fetch(`${sandbox.baseUrl}/_sandbox/stats`)).json() as Promise<SandboxStats>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 11, profile: 'small', rpm: 0 });
  dir = await mkdtemp(join(tmpdir(), 'plan-test-'));
});
afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('plan of the whole small sandbox', () => {
  let plan: ExportPlan;
  let truth: SandboxTruth;
  let before: SandboxStats;
  let after: SandboxStats;
  let specPath: string;

  beforeAll(async () => {
    // retain: all, so the state a real run leaves can be measured against the estimate
    specPath = await writeSpec('full', { extra: 'state:\n  retain: all' });
    before = await stats();
    plan = (await planJob({ specPath, env: envWith(sandbox.keys.full) })).plan;
    after = await stats();
    truth = (await (
      await fetch(`${sandbox.baseUrl}/_sandbox/truth?as_of=${encodeURIComponent(plan.asOfCut)}`)
    ).json()) as SandboxTruth;
  });

  it('counts what the truth holds', () => {
    expect(plan.totals.organizations).toBe(truth.organizations.length);
    expect(plan.totals.users).toBe(truth.users.reduce((s, u) => s + u.user_ids.length, 0));
    expect(plan.totals.roles).toBe(truth.roles.reduce((s, r) => s + r.role_ids.length, 0));
    expect(plan.totals.groups).toBe(truth.groups.length);
    expect(plan.totals.chats).toBe(truth.chats.length);
    expect(plan.totals.projects).toBe(truth.projects.length);
    expect(plan.totals.code_artifacts).toBe(truth.code_artifacts.length);
    expect(plan.totals.code_artifact_versions).toBe(
      truth.code_artifacts.reduce((s, a) => s + a.versions.length, 0),
    );
    expect(plan.totals.activities).toBe(truth.activity_ids.length);
    expect(plan.organizations.map((o) => o.uuid).sort()).toEqual([...truth.organizations].sort());
    for (const org of plan.organizations) {
      expect(org.counts.chats ?? 0).toBe(truth.chats.filter((c) => c.organization_uuid === org.uuid).length);
    }
    const perCustodianChats = plan.custodians.counts.reduce((s, c) => s + (c.counts.chats ?? 0), 0);
    expect(perCustodianChats).toBeLessThanOrEqual(truth.chats.length);
    // the feed also names uploads whose chat was deleted since: a hint, never fewer than held
    expect(plan.hints!.chatFiles).toBeGreaterThanOrEqual(
      truth.files.filter((f) => f.kind === 'upload').length,
    );
    expect(plan.hints!.projectDocuments).toBe(truth.project_documents.length);
  });

  it('calls list endpoints only: no messages, no content, no detail records', () => {
    const routes = Object.keys(after.byRoute).filter(
      (r) =>
        (after.byRoute[r] ? Object.values(after.byRoute[r]).reduce((s, n) => s + n, 0) : 0) >
        (before.byRoute[r] ? Object.values(before.byRoute[r]).reduce((s, n) => s + n, 0) : 0),
    );
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) {
      expect(r).not.toMatch(
        /messages|content|\/files\/|generated-files|artifacts\/\{|documents|settings|permissions|members|\/projects\/\{/,
      );
    }
    expect(after.total - before.total).toBe(plan.survey.requests);
  });

  it('writes nothing at the destination, and only its estimate for the run in the state folder', async () => {
    expect(plan.destination.check).toMatchObject({ kind: 'local', ok: true });
    expect(plan.state.status).toBe('none');
    expect((await readdir(dir)).sort()).toEqual(['full-state', 'full.yaml']);
    expect(await readdir(join(dir, 'full-state'), { recursive: true })).toEqual([
      'full',
      join('full', 'plan-estimate.json'),
    ]);
  });

  it('estimates bytes from the listed counts, and checks the real disk of state and destination', async () => {
    const count = (item: string): number | undefined => plan.bytes.lines.find((l) => l.item === item)?.count;
    expect(count('chat')).toBe(truth.chats.length);
    expect(count('activity')).toBe(truth.activity_ids.length);
    expect(count('project')).toBe(truth.projects.length);
    expect(count('chat_file')).toBe(plan.hints!.chatFiles);
    expect(plan.bytes.lines.find((l) => l.item === 'chat')?.countFrom).toBe('listed');
    expect(plan.bytes.staged).toBeGreaterThan(plan.bytes.shipped);
    expect(plan.bytes.shipped).toBeGreaterThan(0);
    expect([plan.bytes.compression, plan.bytes.retain]).toEqual(['auto', 'all']);
    // a temp folder: state and destination on one filesystem, one check of both
    const real = await statfsFree(dir);
    expect(plan.disk.checks).toHaveLength(1);
    const [check] = plan.disk.checks;
    expect(check).toMatchObject({
      filesystem: 'state_and_destination',
      paths: [join(dir, 'full-state'), join(dir, 'full-out', 'archives')],
      total: real.total,
      need: plan.disk.toStage + plan.bytes.shipped + GiB,
    });
    expect(check!.fits).toBe(check!.free! >= check!.need);
    expect([plan.disk.minFree, plan.disk.alreadyStaged, plan.disk.toStage]).toEqual([
      GiB,
      0,
      plan.bytes.staged,
    ]);
  });

  it('estimates within the real run’s requests (a floor, not far below)', async () => {
    const run = await runJob({
      specPath,
      env: envWith(sandbox.keys.full),
      sleep: async () => undefined,
      progress: 'off',
    });
    expect(run.exitCode).toBe(0);
    expect(plan.estimate.lowerBound).toBe(true);
    expect(plan.estimate.requests).toBeLessThanOrEqual(run.requests);
    expect(plan.estimate.requests).toBeGreaterThanOrEqual(Math.floor(run.requests * 0.8));
    // now the state folder holds this spec's state: a second plan says a run would resume, and
    // counts what is already staged (measured) against what is left to stage
    // (not saving its estimate: the folder is measured as the run left it)
    const again = await planJob({ specPath, env: envWith(sandbox.keys.full), save: false });
    expect(again.plan.state.status).toBe('same_spec');
    const staged = await folderBytes(join(dir, 'full-state', 'full'));
    expect(again.plan.disk.alreadyStaged).toBe(staged);
    expect(again.plan.disk.toStage).toBe(Math.max(0, again.plan.bytes.staged - staged));
    // The sizes are assumed (medium profile), so only the order of magnitude is checked: the small
    // profile's 3 files of several MB among 20 weigh more per file than the medium's 6 among 240.
    const out = join(dir, 'full-out', 'archives');
    const zips = (await readdir(out, { recursive: true })).filter((f) => f.endsWith('.zip'));
    expect(zips).toHaveLength(1);
    const zip = (await lstat(join(out, zips[0]!))).size;
    expect(plan.bytes.staged / staged).toBeGreaterThan(0.25);
    expect(plan.bytes.staged / staged).toBeLessThan(4);
    expect(plan.bytes.shipped / zip).toBeGreaterThan(0.25);
    expect(plan.bytes.shipped / zip).toBeLessThan(4);
  });

  it('warns when the estimate and --min-free exceed the free space (a forced small disk)', async () => {
    const tiny: FreeSpaceReader = async () => ({ free: 10 * MiB, total: 20 * MiB, device: 9 });
    const small = (await planJob({ specPath, env: envWith(sandbox.keys.full), freeSpace: tiny })).plan;
    const need = small.disk.toStage + small.bytes.shipped + GiB;
    expect(small.disk.warnings).toEqual([
      {
        code: 'disk_short',
        filesystem: 'state_and_destination',
        path: join(dir, 'full-state'),
        free: 10 * MiB,
        need,
        short: need - 10 * MiB,
      },
    ]);
    // the state folder and the destination on two disks: each is judged on its own
    const split: FreeSpaceReader = async (path) =>
      path.startsWith(join(dir, 'full-out'))
        ? { free: 1024, total: GiB, device: 2 }
        : { free: 100 * GiB, total: 200 * GiB, device: 1 };
    const two = (await planJob({ specPath, env: envWith(sandbox.keys.full), freeSpace: split, minFree: 0 }))
      .plan;
    expect(two.disk.checks.map((c) => [c.filesystem, c.free, c.need, c.fits])).toEqual([
      ['state', 100 * GiB, two.disk.toStage, true],
      ['destination', 1024, two.bytes.shipped, false],
    ]);
    expect(two.disk.warnings.map((w) => [w.filesystem, w.short])).toEqual([
      ['destination', two.bytes.shipped - 1024],
    ]);
  });
});

describe('plan for custodians and scopes', () => {
  it('resolves custodians by email and names the unknown ones', async () => {
    const full = (await planJob({ specPath: await writeSpec('probe'), env: envWith(sandbox.keys.full) }))
      .plan;
    const someone = full.custodians.counts.find(
      (c) => c.custodian.includes('@') && (c.counts.chats ?? 0) > 0,
    )!;
    const path = await writeSpec('custodians', {
      custodians: `[${someone.custodian}, ghost@nowhere.example]`,
      include: 'chats, projects',
    });
    const { plan } = await planJob({ specPath: path, env: envWith(sandbox.keys.full) });
    expect(plan.custodians.notFound).toEqual(['ghost@nowhere.example']);
    expect(plan.totals.chats).toBe(someone.counts.chats);
    expect(plan.custodians.counts.map((c) => c.custodian)).toEqual([someone.custodian]);
    expect(plan.include).toEqual(['chats', 'projects']);
  });

  it('records a scope gap when the spec allows it', async () => {
    const path = await writeSpec('gaps', { extra: 'on_missing_scope: record_gap' });
    const { plan } = await planJob({ specPath: path, env: envWith(sandbox.keys.activitiesOnly) });
    expect(plan.include).toEqual(['activities']);
    expect(plan.scopeGaps.map((g) => g.kind).sort()).toEqual(
      [
        'chat_artifacts',
        'chats',
        'code_artifacts',
        'directory',
        'files',
        'generated_files',
        'projects',
      ].sort(),
    );
    expect(plan.totals.activities).toBeGreaterThan(0);
  });
});
