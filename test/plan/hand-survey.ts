/** A hand-made resolved spec and listing survey for the pure plan tests (no sandbox, no disk). */
import type { ListingSurvey, SurveyWalk } from '../../src/plan/index.js';
import { loadSpecText } from '../../src/spec/index.js';
import type { ResolvedJobSpec } from '../../src/spec/types.js';

export const ORG_A = '11111111-1111-4111-8111-111111111111';
export const ORG_B = '22222222-2222-4222-8222-222222222222';

export function spec(
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

export const walk = (
  kind: string,
  pages: number,
  items: number,
  limit = 1000,
  runLimit = limit,
): SurveyWalk => ({
  kind,
  endpoint: `/v1/compliance/${kind}`,
  limit,
  runLimit,
  pages,
  items,
});

export function survey(over: Partial<ListingSurvey> = {}): ListingSurvey {
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
    disk: {
      state: { path: '/state', free: 500 * 1024 ** 3, total: 1024 ** 4, device: 1 },
      destination: null,
      alreadyStaged: 0,
    },
    requestsMade: 14,
    ...over,
  };
}
