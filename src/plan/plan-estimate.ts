/**
 * `plan-estimate.json`: what `plan` leaves in the job's state folder so that a run's progress line
 * has totals and an ETA before its own listings are through (pure: the shape, how it is made from
 * a plan, and how a run checks what it reads). The file holds counts and request figures only:
 * never the key, never a listed item.
 *
 * A run reads it as hostile bytes: `parsePlanEstimate` accepts exactly this shape (a format
 * version, a spec hash, a date no later than now and no older than PLAN_ESTIMATE_MAX_AGE_MS, and
 * bounded maps of kind name → count), or says in one line why not.
 */
import type { ExportPlan } from './types.js';

export const PLAN_ESTIMATE_FILE = 'plan-estimate.json';

/** A week: older, the listings have moved on too much to be shown as totals. */
export const PLAN_ESTIMATE_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** The file is a few hundred bytes; anything much larger is not ours. */
export const PLAN_ESTIMATE_MAX_BYTES = 64 * 1024;

/** Clocks of plan and run may differ a little; a file dated further ahead is not trusted. */
const FUTURE_SKEW_MS = 5 * 60 * 1000;

/** At most this many kinds per map (there are six content kinds). */
const MAX_KINDS = 32;

export interface PlanEstimateFile {
  readonly format: 1;
  readonly job: string;
  /** The spec's SHA-256, as the run binds its state to it. */
  readonly spec_sha256: string;
  readonly created_at: string;
  readonly as_of_cut: string;
  /**
   * Entries pass 1's listings returned to the survey, per relisted kind (`chats`, `projects`,
   * `code_artifacts`, `activities`, `sessions`): the progress line's listed totals.
   */
  readonly listed: Readonly<Record<string, number>>;
  readonly requests: {
    /** The plan's estimate: every request of the run, probes and one quiescence pass included. */
    readonly total: number;
    /** Each content kind's own share of `total`. */
    readonly by_kind: Readonly<Record<string, number>>;
    /** The plan named parts it could not count (generated files): the total is a floor. */
    readonly lower_bound: boolean;
  };
}

export function planEstimateOf(
  plan: ExportPlan,
  listed: Readonly<Record<string, number>>,
  createdAt: string,
): PlanEstimateFile {
  return {
    format: 1,
    job: plan.job.name,
    spec_sha256: plan.job.specSha256,
    created_at: createdAt,
    as_of_cut: plan.asOfCut,
    listed: { ...listed },
    requests: {
      total: plan.estimate.requests,
      by_kind: { ...plan.estimate.byKind },
      lower_bound: plan.estimate.lowerBound,
    },
  };
}

export type ParsedPlanEstimate =
  { readonly ok: true; readonly estimate: PlanEstimateFile } | { readonly ok: false; readonly cause: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** A kind name as the kinds spell theirs; `__proto__` and the like are not. */
const KIND_NAME = /^[a-z][a-z_]{0,39}$/u;
const SHA256 = /^[0-9a-f]{64}$/u;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/u;

class Invalid extends Error {}

function counts(v: unknown, where: string): Record<string, number> {
  if (!isObject(v)) throw new Invalid(`${where}: must be an object`);
  const entries = Object.entries(v);
  if (entries.length > MAX_KINDS) throw new Invalid(`${where}: more than ${MAX_KINDS} kinds`);
  for (const [k, n] of entries) {
    if (!KIND_NAME.test(k)) throw new Invalid(`${where}: a key is not a kind name`);
    if (!isCount(n)) throw new Invalid(`${where}/${k}: must be a non-negative integer`);
  }
  return Object.fromEntries(entries) as Record<string, number>;
}

function date(v: unknown, where: string): string {
  if (typeof v !== 'string' || !ISO_DATE.test(v) || !Number.isFinite(Date.parse(v)))
    throw new Invalid(`${where}: must be an RFC 3339 UTC date`);
  return v;
}

function shape(value: unknown): PlanEstimateFile {
  if (!isObject(value)) throw new Invalid('not a JSON object');
  if (value['format'] !== 1) throw new Invalid('/format: not 1 (made by another version?)');
  const job = value['job'];
  if (typeof job !== 'string' || job.length > 200) throw new Invalid('/job: must be a job name');
  const sha = value['spec_sha256'];
  if (typeof sha !== 'string' || !SHA256.test(sha)) throw new Invalid('/spec_sha256: must be a SHA-256');
  const requests = value['requests'];
  if (!isObject(requests)) throw new Invalid('/requests: must be an object');
  if (!isCount(requests['total'])) throw new Invalid('/requests/total: must be a non-negative integer');
  if (typeof requests['lower_bound'] !== 'boolean')
    throw new Invalid('/requests/lower_bound: must be true or false');
  return {
    format: 1,
    job,
    spec_sha256: sha,
    created_at: date(value['created_at'], '/created_at'),
    as_of_cut: date(value['as_of_cut'], '/as_of_cut'),
    listed: counts(value['listed'], '/listed'),
    requests: {
      total: requests['total'],
      by_kind: counts(requests['by_kind'], '/requests/by_kind'),
      lower_bound: requests['lower_bound'],
    },
  };
}

/** The file's text → the estimate a run may use for this spec now, or why not (one line, no file bytes). */
export function parsePlanEstimate(
  text: string,
  expect: { readonly specSha256: string; readonly now: Date },
): ParsedPlanEstimate {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, cause: 'not JSON' };
  }
  let estimate: PlanEstimateFile;
  try {
    estimate = shape(value);
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, cause: error.message };
    throw error;
  }
  if (estimate.spec_sha256 !== expect.specSha256)
    return {
      ok: false,
      cause:
        `made for another spec (sha256 ${estimate.spec_sha256.slice(0, 12)}…, ` +
        `this spec ${expect.specSha256.slice(0, 12)}…)`,
    };
  const age = expect.now.getTime() - Date.parse(estimate.created_at);
  if (age < -FUTURE_SKEW_MS) return { ok: false, cause: `dated in the future (${estimate.created_at})` };
  if (age > PLAN_ESTIMATE_MAX_AGE_MS)
    return { ok: false, cause: `stale: made ${estimate.created_at}, more than 7 days ago; run plan again` };
  return { ok: true, estimate };
}
