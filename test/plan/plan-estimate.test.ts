/**
 * plan-estimate.json, pure: what `plan` writes from a plan (per-kind request shares that add up
 * with the rest to the plan's total), what a run accepts of it (this spec, at most 7 days old, the
 * exact shape) and why it refuses the rest, and the run's totals less a resumed job's earlier work.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/index.js';
import {
  parsePlanEstimate,
  planEstimateOf,
  PLAN_ESTIMATE_MAX_AGE_MS,
  type PlanEstimateFile,
} from '../../src/plan/plan-estimate.js';
import { provisionalTotals } from '../../src/progress/plan-totals.js';
import { spec, survey } from './hand-survey.js';

const SHA = 'ab'.repeat(32);
const MADE = '2026-11-22T10:13:00.000Z';
const now = new Date(Date.parse(MADE) + 60_000);
const plan = buildPlan({ spec: spec(), specSha256: SHA, file: 'job.yaml', survey: survey() });
const estimate = planEstimateOf(plan, { chats: 2_300, activities: 2_500 }, MADE);
const text = (v: unknown): string => JSON.stringify(v);
const parse = (v: unknown): ReturnType<typeof parsePlanEstimate> =>
  parsePlanEstimate(typeof v === 'string' ? v : text(v), { specSha256: SHA, now });
const cause = (v: unknown): string | null => {
  const r = parse(v);
  return r.ok ? null : r.cause;
};

describe('plan-estimate.json', () => {
  it("holds the spec's hash, the listed counts and the request estimate with each kind's share", () => {
    expect(estimate).toMatchObject({
      format: 1,
      job: 'hold-2026',
      spec_sha256: SHA,
      created_at: MADE,
      as_of_cut: plan.asOfCut,
      listed: { chats: 2_300, activities: 2_500 },
      requests: { total: plan.estimate.requests, lower_bound: true },
    });
    const parts = Object.fromEntries(plan.estimate.lines.map((l) => [l.part, l.requests]));
    expect(estimate.requests.by_kind['chats']).toBe(
      parts['list.chats']! +
        parts['chats.messages']! +
        parts['files.chat']! +
        parts['chat_artifacts.versions']!,
    );
    const shares = Object.values(estimate.requests.by_kind).reduce((s, n) => s + n, 0);
    const rest = parts['preflight.probes']! + parts['list.organizations']! + parts['list.users']!;
    expect(shares + rest + parts['quiescence.relist']!).toBe(estimate.requests.total);
    expect(parse(estimate)).toEqual({ ok: true, estimate });
  });

  it('is refused, with the cause, when it is not for this spec, stale, or not its shape', () => {
    const aged = (ms: number): PlanEstimateFile => ({
      ...estimate,
      created_at: new Date(now.getTime() - ms).toISOString(),
    });
    expect(cause({ ...estimate, spec_sha256: 'cd'.repeat(32) })).toMatch(/^made for another spec/);
    expect(cause(aged(PLAN_ESTIMATE_MAX_AGE_MS + 1_000))).toMatch(/^stale: /);
    expect(cause(aged(PLAN_ESTIMATE_MAX_AGE_MS - 1_000))).toBeNull();
    expect(cause(aged(-3_600_000))).toMatch(/^dated in the future/);
    expect(cause('{"format":1,')).toBe('not JSON');
    expect(cause('[]')).toBe('not a JSON object');
    expect(cause({ ...estimate, format: 2 })).toMatch(/^\/format/);
    expect(cause({ ...estimate, created_at: 'yesterday' })).toMatch(/^\/created_at/);
    expect(cause({ ...estimate, listed: { chats: -1 } })).toBe(
      '/listed/chats: must be a non-negative integer',
    );
    expect(cause({ ...estimate, listed: { chats: 1.5 } })).toMatch(/^\/listed\/chats/);
    expect(cause({ ...estimate, listed: { 'chats\u001b[2J': 1 } })).toBe('/listed: a key is not a kind name');
    expect(cause(text(estimate).replace('"listed":{', '"listed":{"__proto__":5,'))).toBe(
      '/listed: a key is not a kind name',
    );
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${'a'.repeat(i)}`, 1]));
    expect(cause({ ...estimate, listed: many })).toMatch(/more than 32 kinds/);
    expect(cause({ ...estimate, requests: { ...estimate.requests, total: '9' } })).toMatch(
      /^\/requests\/total/,
    );
  });

  it("gives a resumed run plan's figures less what its earlier runs did, never below zero", () => {
    const earlier = {
      requests: 1_000,
      requestsByKind: { chats: 900, activities: 50 },
      staged: { chats: 2_000, activities: 3_000 },
    };
    const totals = provisionalTotals(estimate, earlier);
    expect(totals.listed).toEqual({ chats: 300, activities: 0 });
    expect(totals.requests).toBe(estimate.requests.total - 1_000);
    expect(totals.requestsByKind['chats']).toBe(estimate.requests.by_kind['chats']! - 900);
    expect(totals.requestsByKind['directory']).toBe(estimate.requests.by_kind['directory']);
    expect(provisionalTotals(estimate, null)).toEqual({
      listed: estimate.listed,
      requests: estimate.requests.total,
      requestsByKind: estimate.requests.by_kind,
    });
    // a kind named like an Object.prototype member is an own key: no inherited value is subtracted
    const odd = parse({ ...estimate, listed: { constructor: 7 } });
    expect(odd.ok).toBe(true);
    if (odd.ok) expect(provisionalTotals(odd.estimate, earlier).listed).toEqual({ constructor: 7 });
  });
});
