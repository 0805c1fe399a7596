/** buildPlan / estimateRequests are pure: a hand-made survey in, exact counts and lines out. */
import { describe, expect, it } from 'vitest';
import { buildPlan, renderPlan, runPages } from '../../src/plan/index.js';
import { ORG_A, ORG_B, spec, survey, walk } from './hand-survey.js';

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
