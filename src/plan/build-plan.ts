/**
 * Resolved spec + listing survey → ExportPlan (pure; HOUSE-STYLE §2). Counts are folded from the
 * survey's tallies by kind, by organization and by custodian; the estimate comes from
 * ./estimate.ts. The result is plain data: `plan --json` prints it as is.
 */
import { runIdFromCut } from '../archive/bag-input.js';
import type { ResolvedJobSpec } from '../spec/types.js';
import { DEFAULT_MIN_FREE_BYTES } from '../disk/free-space.js';
import { checkDisk } from './check-disk.js';
import { estimateBytes, type SizeOverrides } from './estimate-bytes.js';
import { estimateRequests } from './estimate.js';
import {
  COUNT_KINDS,
  type CountKind,
  type ExportPlan,
  type KindCounts,
  type ListingSurvey,
} from './types.js';

export interface BuildPlanInput {
  readonly spec: ResolvedJobSpec;
  readonly specSha256: string;
  readonly file: string;
  readonly survey: ListingSurvey;
  /** `--min-free`: bytes the run keeps free on the state folder's filesystem (default 1 GiB). */
  readonly minFree?: number;
  /** `--assume item=size`: payload bytes per item instead of the measured defaults. */
  readonly assume?: SizeOverrides;
}

/** Where a run's archive lands: `<uri>/<name>/<run-id>/<name>-<run-id>.zip`. */
function archiveLocation(uri: string, name: string, runId: string): string {
  return `${uri.replace(/\/+$/, '')}/${name}/${runId}/${name}-${runId}.zip`;
}

function bump(counts: KindCounts, kind: CountKind, by: number): void {
  counts[kind] = (counts[kind] ?? 0) + by;
}

/** Same kinds, always in COUNT_KINDS order, so JSON output is stable. */
function ordered(counts: KindCounts): KindCounts {
  const out: KindCounts = {};
  for (const k of COUNT_KINDS) if (counts[k] !== undefined) out[k] = counts[k];
  return out;
}

export function buildPlan(input: BuildPlanInput): ExportPlan {
  const { spec, survey } = input;
  const totals: KindCounts = {};
  const byOrg = new Map<string, KindCounts>();
  const byCustodian = new Map<string, KindCounts>();
  for (const t of survey.tallies) {
    bump(totals, t.kind, t.count);
    if (t.organization !== null) {
      const c = byOrg.get(t.organization) ?? {};
      bump(c, t.kind, t.count);
      byOrg.set(t.organization, c);
    }
    if (t.custodian !== null && t.kind !== 'users') {
      const c = byCustodian.get(t.custodian) ?? {};
      bump(c, t.kind, t.count);
      byCustodian.set(t.custodian, c);
    }
  }
  const sumOf = (c: KindCounts): number => Object.values(c).reduce((s, v) => s + v, 0);
  const custodians = [...byCustodian.entries()]
    .map(([custodian, counts]) => ({ custodian, counts: ordered(counts) }))
    .sort((a, b) => sumOf(b.counts) - sumOf(a.counts) || (a.custodian < b.custodian ? -1 : 1));
  const notFound = (survey.custodians ?? []).filter((c) => c.userIds.length === 0).map((c) => c.input);
  // The same naming as the seal step, so the plan shows the key a run would write.
  const runId = runIdFromCut(survey.asOfCut);
  const estimate = estimateRequests(spec, survey, totals);
  const bytes = estimateBytes({
    spec,
    include: new Set(survey.include),
    totals,
    hints: survey.hints,
    requests: estimate.requests,
    ...(input.assume === undefined ? {} : { assume: input.assume }),
  });
  return {
    planVersion: 1,
    job: {
      name: spec.name,
      file: input.file,
      specSha256: input.specSha256,
      matter: spec.matter ?? null,
    },
    source: {
      baseUrl: spec.source.base_url,
      requestsPerMinute: spec.source.requests_per_minute,
      maxConcurrency: spec.source.max_concurrency,
    },
    destination: {
      uri: spec.destination.uri,
      archivePattern: archiveLocation(spec.destination.uri, spec.name, runId),
      check: survey.destination,
    },
    asOfCut: survey.asOfCut,
    state: survey.state,
    include: [...survey.include],
    scopeGaps: [...survey.scopeGaps],
    organizations: survey.organizations.map((o) => ({
      uuid: o.uuid,
      name: o.name,
      counts: ordered(byOrg.get(o.uuid) ?? {}),
    })),
    custodians: {
      requested: spec.scope.custodians === 'all' ? 'all' : [...spec.scope.custodians],
      notFound,
      counts: custodians,
    },
    totals: ordered(totals),
    hints: survey.hints,
    estimate,
    bytes,
    disk: checkDisk(bytes, survey.disk, input.minFree ?? DEFAULT_MIN_FREE_BYTES),
    survey: { surveyedAt: survey.surveyedAt, requests: survey.requestsMade },
    ...(survey.snapshotBase === undefined ? {} : { snapshotBase: survey.snapshotBase }),
  };
}
