/**
 * `plan` against the real sandbox over loopback: counts equal /_sandbox/truth, only listing
 * endpoints are called, nothing is written, and the estimate brackets a real run's requests (the
 * `plan` command's exit codes: test/cli/plan.test.ts).
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
${over.extra ?? ''}`,
  );
  return path;
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
    specPath = await writeSpec('full');
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

  it('writes nothing at the destination or in the state folder', async () => {
    expect(plan.destination.check).toMatchObject({ kind: 'local', ok: true });
    expect(plan.state.status).toBe('none');
    expect(await readdir(dir)).toEqual(['full.yaml']);
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
    // now the state folder holds this spec's state: a second plan says a run would resume
    const again = await planJob({ specPath, env: envWith(sandbox.keys.full) });
    expect(again.plan.state.status).toBe('same_spec');
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
