/**
 * Requests and duration a run would need, derived from listing counts only (pure). Scope
 * resolution (organizations, users) is estimated here; every content kind adds its own lines
 * (`estimate` of its module in src/collect/kinds, next to what it sends): listing pages at the
 * run's page size, then one call per item where the kind fetches per item. What no listing shows
 * (files and artifacts referenced inside messages, generated files) comes from activity-feed
 * hints or is named as an assumption; the total is then a floor, and `lowerBound` says so.
 */
import { KINDS, type Estimator } from '../collect/kinds/index.js';
import type { ResolvedJobSpec } from '../spec/types.js';
import type { EstimateLine, KindCounts, ListingSurvey, PlanEstimate, SurveyWalk } from './types.js';

/** Pages the run needs for a walk: as observed when the survey used the run's page size. */
export function runPages(walk: SurveyWalk): number {
  if (walk.limit === walk.runLimit) return walk.pages;
  return Math.max(1, Math.ceil(walk.items / walk.runLimit));
}

function pagesOf(survey: ListingSurvey, kind: string): { pages: number; walks: number; items: number } {
  let pages = 0;
  let walks = 0;
  let items = 0;
  for (const w of survey.walks) {
    if (w.kind !== kind) continue;
    pages += runPages(w);
    walks += 1;
    items += w.items;
  }
  return { pages, walks, items };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function estimateRequests(
  spec: ResolvedJobSpec,
  survey: ListingSurvey,
  totals: KindCounts,
): PlanEstimate {
  const include = new Set(survey.include);
  const lines: EstimateLine[] = [];
  const assumptions: string[] = [
    'no retries, no 429s and no other integration sharing the budget',
    'listing pages at the run’s page sizes; page counts observed by this survey where it used the same size',
  ];
  let lowerBound = false;
  const add = (part: string, requests: number, basis: string, assumed = false): void => {
    if (requests > 0 || assumed) lines.push({ part, requests, basis, assumed });
  };
  const estimator: Estimator = {
    spec,
    include,
    hints: survey.hints,
    count: (k) => totals[k] ?? 0,
    pages: (kind) => pagesOf(survey, kind),
    add,
    assume: (text) => assumptions.push(text),
    lowerBound: () => {
      lowerBound = true;
    },
  };

  add('preflight.probes', survey.probes, 'one probe per reachable content kind (first page only)');
  const orgs = pagesOf(survey, 'organizations');
  add('list.organizations', orgs.pages, plural(orgs.pages, 'page'));

  const custodianList = spec.scope.custodians !== 'all';
  const users = pagesOf(survey, 'users');
  const userLists = (include.has('directory') ? 1 : 0) + (custodianList ? 1 : 0);
  if (userLists > 0) {
    add(
      'list.users',
      users.pages * userLists,
      `${plural(users.pages, 'page')} over ${plural(users.walks, 'organization')}` +
        (userLists > 1 ? ' × 2 (directory and custodian resolution)' : ''),
    );
  }
  const included = KINDS.filter((kind) => include.has(kind.include));
  // Each kind's own lines, summed under its name (the run's progress line weighs them per kind).
  const byKind: Record<string, number> = {};
  for (const kind of included) {
    const from = lines.length;
    kind.estimate(estimator);
    byKind[kind.name] = lines.slice(from).reduce((s, l) => s + l.requests, 0);
  }

  // Quiescence: at least one more pass re-lists what can change behind a cursor (collect/quiesce.ts).
  let requery = 0;
  for (const kind of included) if (kind.relisted) requery += kind.relistEstimate?.(estimator) ?? 0;
  const quiescencePasses = requery > 0 ? 1 : 0;
  if (requery > 0) {
    add(
      'quiescence.relist',
      requery,
      'one re-enumeration pass that finds nothing new (chats, code artifacts, projects and activities listed in full)',
      true,
    );
    assumptions.push('data quiet during the run: one quiescence pass, nothing changed to refetch');
  }

  if (lowerBound) {
    assumptions.push(
      'files, generated files and artifact versions are referenced only inside messages; counts come from ' +
        'the activity feed where it has them, so the total is a floor',
    );
  }
  const requests = lines.reduce((s, l) => s + l.requests, 0);
  const rpm = spec.source.requests_per_minute;
  const waits = (quiescencePasses * spec.consistency.quiescence.interval_ms) / 1000;
  const durationSeconds = Math.round(((requests / rpm) * 60 + waits) * 10) / 10;
  return { requests, lines, byKind, requestsPerMinute: rpm, durationSeconds, lowerBound, assumptions };
}
