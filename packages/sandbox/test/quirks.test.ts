/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
/** The off-by-default quirk knobs: behaviours of the real API peers reported (§7.3). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Scenario } from '../src/index.js';
import { checkScenario } from '../src/scenario.js';
import { V1, errorOf, openApi, type Api } from './helpers.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0, 400);

async function withApi(
  options: { scenario?: Scenario; rpm?: number },
  fn: (api: Api, clock: { t: number }) => Promise<void>,
): Promise<void> {
  const clock = { t: T0 };
  const api = await openApi({ seed: 5, now: () => clock.t, ...options });
  try {
    await fn(api, clock);
  } finally {
    await api.sb.close();
  }
}

/** Every page of an ascending feed walk, following last_id while pages are full. */
async function feedPages(api: Api, limit: number): Promise<any[]> {
  const pages: any[] = [];
  let after: string | null = null;
  for (;;) {
    const body = await api.json(
      `${V1}/activities?limit=${limit}&order=asc${after === null ? '' : `&after_id=${after}`}`,
    );
    pages.push(body);
    if (body.data.length < limit) return pages;
    after = body.last_id;
  }
}

describe('activity backlog', () => {
  it('adds this many compliance_api_accessed events of another key, before the world ends', async () => {
    let base = 0;
    await withApi({}, async (api) => {
      base = (await api.truth()).activity_ids.length;
    });
    await withApi({ scenario: { activities: { backlog: 2_345 } } }, async (api) => {
      const truth = await api.truth();
      expect(truth.activity_ids).toHaveLength(base + 2_345);
      const ids = (await feedPages(api, 1000)).flatMap((p) => p.data.map((a: any) => a.id));
      expect(ids.sort()).toEqual([...truth.activity_ids].sort());
      const page = await api.json(`${V1}/activities?limit=5&activity_types[]=compliance_api_accessed`);
      expect(page.data).toHaveLength(5);
      for (const a of page.data) {
        expect(a).toMatchObject({ request_method: 'GET', status_code: 200, organization_id: null });
        expect(a.actor.type).toBe('api_actor');
        expect(Date.parse(a.created_at)).toBeLessThan(Date.UTC(2026, 9, 1));
      }
    });
  });
});

describe('quirk activityHasMore', () => {
  it('false_on_full: every full page says has_more false, also while more events exist', async () => {
    await withApi(
      { scenario: { activities: { backlog: 950 }, quirks: { activityHasMore: 'false_on_full' } } },
      async (api) => {
        const n = (await api.truth()).activity_ids.length;
        const pages = await feedPages(api, 100);
        expect(pages.map((p) => p.data.length).reduce((a, b) => a + b)).toBe(n);
        expect(pages.length).toBe(Math.floor(n / 100) + 1);
        for (const p of pages.slice(0, -1)) expect([p.data.length, p.has_more]).toEqual([100, false]);
        // a short page is the last one, and says so
        const last = pages.at(-1);
        if (last.data.length > 0) expect(last.has_more).toBe(false);
      },
    );
  });

  it('absent: no page carries has_more; without the quirk a full page with more says true', async () => {
    await withApi({ scenario: { quirks: { activityHasMore: 'absent' } } }, async (api) => {
      const pages = await feedPages(api, 50);
      expect(pages.length).toBeGreaterThan(2);
      for (const p of pages) expect(Object.keys(p).sort()).toEqual(['data', 'first_id', 'last_id']);
    });
    await withApi({}, async (api) => {
      const page = await api.json(`${V1}/activities?limit=50&order=asc`);
      expect([page.data.length, page.has_more]).toEqual([50, true]);
    });
  });
});

describe('quirks of 429s', () => {
  /** Spend the 2-request budget, then return the 429 of the third request. */
  const limited = async (api: Api): Promise<Response> => {
    for (let i = 0; i < 2; i++) expect((await api.get(`${V1}/groups`)).status).toBe(200);
    const res = await api.get(`${V1}/groups`);
    expect(res.status).toBe(429);
    return res;
  };

  it('documented: retry-after in seconds and a reset ahead; the Date header is the sandbox clock', async () => {
    await withApi({ rpm: 2 }, async (api) => {
      const res = await limited(api);
      expect(res.headers.get('date')).toBe(new Date(T0).toUTCString());
      expect(res.headers.get('retry-after')).toBe('60');
      expect(res.headers.get('anthropic-ratelimit-requests-reset')).toBe('2026-11-01T12:01:01Z');
    });
  });

  it('retryAfterDate: retry-after is an HTTP-date, never earlier than the slot that frees', async () => {
    await withApi({ rpm: 2, scenario: { quirks: { retryAfterDate: true } } }, async (api, clock) => {
      const res = await limited(api);
      const at = res.headers.get('retry-after')!;
      expect(at).toBe('Sun, 01 Nov 2026 12:01:01 GMT');
      expect(await errorOf(res)).toMatchObject({ status: 429, type: 'rate_limit_error' });
      clock.t = Date.parse(at);
      expect((await api.get(`${V1}/groups`)).status).toBe(200);
    });
  });

  it.each([
    ['zero', '0'],
    ['absent', null],
  ] as const)('pastReset %s: the reset is already past, retry-after %s', async (pastReset, retryAfter) => {
    await withApi({ rpm: 2, scenario: { quirks: { pastReset } } }, async (api) => {
      const res = await limited(api);
      expect(res.headers.get('retry-after')).toBe(retryAfter);
      expect(res.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
      const reset = Date.parse(res.headers.get('anthropic-ratelimit-requests-reset')!);
      expect(reset).toBeLessThan(Date.parse(res.headers.get('date')!));
      // the budget itself is unchanged: still refused until the window slides
      expect((await api.get(`${V1}/groups`)).status).toBe(429);
    });
  });
});

describe('transient 429 and 409 (named in transientKinds only)', () => {
  it('answers a 429 of a spent shared budget and a 409 with x-should-retry: true; a retry draws afresh', async () => {
    const scenario: Scenario = { faults: { transientRate: 0.5, transientKinds: ['429', '409'] } };
    await withApi({ scenario }, async (api) => {
      const seen = new Map<number, number>();
      for (let i = 0; i < 40; i++) {
        const res = await api.get(`${V1}/organizations`);
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        if (res.status === 429) {
          expect(res.headers.get('retry-after')).toBe('2');
          expect(res.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
          expect(res.headers.get('anthropic-ratelimit-requests-reset')).toBe('2026-11-01T12:00:03Z');
          expect(res.headers.get('x-should-retry')).toBeNull();
          expect((await errorOf(res)).type).toBe('rate_limit_error');
        } else if (res.status === 409) {
          expect(res.headers.get('x-should-retry')).toBe('true');
          expect((await errorOf(res)).type).toBe('invalid_request_error');
        } else await res.arrayBuffer();
      }
      expect([...seen.keys()].sort()).toEqual([200, 409, 429]);
    });
    await withApi({ scenario: { faults: { transientRate: 1 } } }, async (api) => {
      for (let i = 0; i < 20; i++) {
        const res = await api.get(`${V1}/organizations`).catch(() => null);
        expect([409, 429]).not.toContain(res?.status);
        await res?.arrayBuffer().catch(() => undefined);
      }
    });
  });
});

describe('scenario validation of the quirks', () => {
  it('accepts the knobs and reports every bad value with its path', () => {
    expect(
      checkScenario({
        faults: { transientKinds: ['429', '409'] },
        activities: { backlog: 12_000 },
        quirks: { activityHasMore: 'absent', retryAfterDate: true, pastReset: 'zero' },
      }),
    ).toEqual([]);
    expect(
      checkScenario({
        faults: { transientKinds: ['418'] },
        activities: { backlog: -1 },
        quirks: { activityHasMore: false, retryAfterDate: 'yes', pastReset: 'past', other: 1 },
      }),
    ).toEqual([
      '/quirks/other: unknown key',
      '/faults/transientKinds: must be a list of 500, 502, 503, 504, 529, reset, truncate, 429, 409',
      '/activities/backlog: must be a number in [0, 1000000]',
      '/quirks/activityHasMore: must be one of false_on_full, absent',
      '/quirks/retryAfterDate: must be one of true, false',
      '/quirks/pastReset: must be one of zero, absent',
    ]);
    // a section that is not a mapping is one problem, not a crash
    expect(checkScenario({ quirks: null, activities: 'x' })).toEqual([
      '/activities: must be a mapping',
      '/quirks: must be a mapping',
    ]);
  });
});

describe('README "Sandbox adversity" block', () => {
  it('is a valid scenario that shows every quirk and the backlog', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Sandbox adversity'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const scenario = parseYaml(yaml) as Scenario;
    expect(checkScenario(scenario)).toEqual([]);
    expect(Object.keys(scenario.quirks ?? {}).sort()).toEqual([
      'activityHasMore',
      'pastReset',
      'retryAfterDate',
    ]);
    expect(scenario.activities?.backlog).toBeGreaterThan(0);
  });
});
