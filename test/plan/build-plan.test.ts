/** buildPlan / estimateRequests are pure: a hand-made survey in, exact counts and lines out. */
import { describe, expect, it } from 'vitest';
import {
  buildPlan,
  renderPlan,
  runPages,
  type ListingSurvey,
  type SurveyWalk,
} from '../../src/plan/index.js';
import { loadSpecText } from '../../src/spec/index.js';
import type { ResolvedJobSpec } from '../../src/spec/types.js';

const ORG_A = '11111111-1111-4111-8111-111111111111';
const ORG_B = '22222222-2222-4222-8222-222222222222';

function spec(
  extra = '',
  include = 'directory, activities, chats, files, generated_files, chat_artifacts, projects, code_artifacts',
): ResolvedJobSpec {
  const yaml = `version: 1
name: hold-2026
source:
  requests_per_minute: 540
scope:
  organizations: all
  custodians: all
  include: [${include}]
consistency:
  quiescence:
    interval: 30s
destination:
  uri: s3://bucket/exports
${extra}`;
  return loadSpecText(yaml, 'job.yaml', { env: {} }).spec;
}

const walk = (kind: string, pages: number, items: number, limit = 1000, runLimit = limit): SurveyWalk => ({
  kind,
  endpoint: `/v1/compliance/${kind}`,
  limit,
  runLimit,
  pages,
  items,
});

function survey(over: Partial<ListingSurvey> = {}): ListingSurvey {
  return {
    surveyedAt: '2026-11-22T10:14:00.000Z',
    asOfCut: '2026-11-22T10:13:00.000Z',
    include: spec().scope.include,
    scopeGaps: [],
    probes: 5,
    destination: { kind: 's3', ok: true, detail: 'bucket bucket exists' },
    state: { dir: '/state/hold-2026', status: 'none' },
    organizations: [
      { uuid: ORG_A, name: 'A' },
      { uuid: ORG_B, name: 'B' },
    ],
    custodians: null,
    tallies: [
      { kind: 'organizations', organization: ORG_A, custodian: null, count: 1 },
      { kind: 'organizations', organization: ORG_B, custodian: null, count: 1 },
      { kind: 'users', organization: ORG_A, custodian: null, count: 3 },
      { kind: 'users', organization: ORG_B, custodian: null, count: 2 },
      { kind: 'roles', organization: ORG_A, custodian: null, count: 2 },
      { kind: 'groups', organization: null, custodian: null, count: 3 },
      { kind: 'chats', organization: ORG_A, custodian: 'ann@a.example', count: 1500 },
      { kind: 'chats', organization: ORG_B, custodian: 'bob@b.example', count: 700 },
      { kind: 'chats', organization: ORG_B, custodian: 'ann@a.example', count: 10 },
      { kind: 'projects', organization: ORG_A, custodian: 'ann@a.example', count: 4 },
      { kind: 'code_artifacts', organization: ORG_B, custodian: 'bob@b.example', count: 2 },
      { kind: 'code_artifact_versions', organization: ORG_B, custodian: 'bob@b.example', count: 9 },
      { kind: 'activities', organization: null, custodian: 'ann@a.example', count: 2500 },
    ],
    walks: [
      walk('organizations', 1, 2),
      walk('users', 1, 3),
      walk('users', 1, 2),
      walk('roles', 1, 2),
      walk('roles', 1, 0),
      walk('groups', 1, 3),
      walk('chats', 3, 2210),
      walk('projects', 1, 4, 100),
      walk('code_artifacts', 3, 2, 100),
      walk('activities', 1, 2500, 5000, 1000),
    ],
    hints: { chatFiles: 40, projectFiles: 3, projectDocuments: 5, chatArtifacts: 7 },
    requestsMade: 14,
    ...over,
  };
}

describe('buildPlan', () => {
  const plan = buildPlan({ spec: spec(), specSha256: 'ab'.repeat(32), file: 'job.yaml', survey: survey() });

  it('folds tallies into totals, per organization and per custodian (users never per custodian)', () => {
    expect(plan.totals).toEqual({
      organizations: 2,
      users: 5,
      roles: 2,
      groups: 3,
      chats: 2210,
      projects: 4,
      code_artifacts: 2,
      code_artifact_versions: 9,
      activities: 2500,
    });
    expect(plan.organizations.map((o) => [o.uuid, o.counts.chats, o.counts.users])).toEqual([
      [ORG_A, 1500, 3],
      [ORG_B, 710, 2],
    ]);
    expect(plan.custodians.counts.map((c) => c.custodian)).toEqual(['ann@a.example', 'bob@b.example']);
    expect(plan.custodians.counts[0]!.counts).toEqual({ chats: 1510, projects: 4, activities: 2500 });
    expect(plan.custodians.requested).toBe('all');
  });

  it('names the archive key a run started at the cut would write', () => {
    expect(plan.destination.archivePattern).toBe(
      's3://bucket/exports/hold-2026/20261122T101300Z/hold-2026-20261122T101300Z.zip',
    );
  });

  it('estimates per part from the counts', () => {
    const parts = Object.fromEntries(plan.estimate.lines.map((l) => [l.part, l.requests]));
    expect(parts).toEqual({
      'preflight.probes': 5,
      'list.organizations': 1,
      'list.users': 2,
      'list.roles': 2,
      'directory.role_permissions': 2,
      'directory.settings': 2,
      'list.groups': 1,
      'directory.group_members': 3,
      'list.chats': 3,
      'chats.messages': 2210,
      'files.chat': 40, // content only: md5/size come with the message entry
      'chat_artifacts.versions': 14,
      generated_files: 0,
      'list.projects': 1,
      'projects.detail': 12,
      'projects.files': 3, // content only: md5/size come with the attachment entry
      'projects.documents': 10,
      'list.code_artifacts': 3,
      'code_artifacts.versions': 9,
      // surveyed in pages of 5,000; the run reads 1,000 a page
      'list.activities': 3,
      // chats listed in full again (3 pages of 1,000), code artifacts, projects, activities
      'quiescence.relist': 3 + 3 + 1 + 3,
    });
    const total = Object.values(parts).reduce((s, n) => s + n, 0);
    expect(plan.estimate.requests).toBe(total);
    expect(plan.estimate.lowerBound).toBe(true);
    // requests ÷ 540/min, plus one 30 s quiescence interval
    expect(plan.estimate.durationSeconds).toBeCloseTo((total / 540) * 60 + 30, 1);
  });

  it('counts users twice when a custodian list is resolved and the directory exported', () => {
    const s = spec('', 'directory, chats');
    const custodianSpec = { ...s, scope: { ...s.scope, custodians: ['ann@a.example', 'nobody@x.example'] } };
    const p = buildPlan({
      spec: custodianSpec,
      specSha256: 'cd'.repeat(32),
      file: 'job.yaml',
      survey: survey({
        include: ['directory', 'chats'],
        custodians: [
          { input: 'ann@a.example', userIds: ['user_1'] },
          { input: 'nobody@x.example', userIds: [] },
        ],
      }),
    });
    expect(p.estimate.lines.find((l) => l.part === 'list.users')!.requests).toBe(4);
    expect(p.custodians.notFound).toEqual(['nobody@x.example']);
    expect(p.estimate.lines.map((l) => l.part)).not.toContain('list.projects');
    expect(p.estimate.lowerBound).toBe(false);
  });

  it('is a floor without activity hints when files are included', () => {
    const p = buildPlan({
      spec: spec(),
      specSha256: 'ef'.repeat(32),
      file: 'job.yaml',
      survey: survey({ hints: null }),
    });
    expect(p.estimate.lines.map((l) => l.part)).not.toContain('files.chat');
    expect(p.estimate.lowerBound).toBe(true);
  });

  it('is plain data (JSON round trip) and renders every organization and part', () => {
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    const text = renderPlan(plan);
    for (const l of plan.estimate.lines) expect(text).toContain(l.part);
    expect(text).toContain(ORG_A.slice(0, 8));
    expect(text).toContain(plan.destination.archivePattern);
  });
});

describe('runPages', () => {
  it('keeps observed pages at the run size, recomputes otherwise', () => {
    expect(runPages(walk('code_artifacts', 7, 3, 100))).toBe(7); // short/empty pages are real
    expect(runPages(walk('activities', 1, 4001, 5000, 1000))).toBe(5);
    expect(runPages(walk('activities', 1, 0, 5000, 1000))).toBe(1);
  });
});
