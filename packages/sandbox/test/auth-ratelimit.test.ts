/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, errorOf, openApi, type Api } from './helpers.js';

describe('sandbox auth (§1, §5.3–5.5)', () => {
  let api: Api;
  beforeAll(async () => {
    api = await openApi({ seed: 3 });
  });
  afterAll(() => api.sb.close());

  it('answers a missing key, a Claude API key and a Bearer header with 404 Not found', async () => {
    for (const res of [
      await api.get(`${V1}/apps/chats`, null),
      await api.get(`${V1}/apps/chats`, api.sb.keys.claudeApi),
      await api.get(`${V1}/organizations`, null, { authorization: `Bearer ${api.sb.keys.full}` }),
    ]) {
      expect(await errorOf(res)).toEqual({ status: 404, type: 'not_found_error', message: 'Not found' });
    }
  });

  it('answers 401 on /settings for a missing key, and 401 for altered or deactivated keys anywhere', async () => {
    const org = (await api.json(`${V1}/organizations`)).data[0].uuid;
    expect(await errorOf(await api.get(`${V1}/organizations/${org}/settings`, null))).toMatchObject({
      status: 401,
      type: 'authentication_error',
    });
    expect(
      await errorOf(await api.get(`${V1}/organizations/${org}/settings`, api.sb.keys.claudeApi)),
    ).toMatchObject({
      status: 401,
    });
    expect(await errorOf(await api.get(`${V1}/apps/chats`, `${api.sb.keys.full}x`))).toEqual({
      status: 401,
      type: 'authentication_error',
      message: 'API key is invalid.',
    });
    expect(await errorOf(await api.get(`${V1}/apps/chats`, api.sb.keys.deactivated))).toEqual({
      status: 401,
      type: 'authentication_error',
      message: 'API key has been deactivated.',
    });
  });

  it('answers 403 with the newest scope message, and lets read:org_audit read everything', async () => {
    const e = await errorOf(await api.get(`${V1}/apps/chats`, api.sb.keys.activitiesOnly));
    expect(e).toEqual({
      status: 403,
      type: 'permission_error',
      message:
        "Missing required scopes. Got: ['read:compliance_activities'] Needed one of: ['read:compliance_user_data', 'read:org_audit']",
    });
    expect((await errorOf(await api.get(`${V1}/organizations`, api.sb.keys.userDataOnly))).message).toBe(
      "Missing required scopes. Got: ['read:compliance_user_data'] Needed one of: ['read:compliance_org_data', 'read:org_audit']",
    );
    // Users need user_data, not org_data (§1.3).
    const org = (await api.json(`${V1}/organizations`)).data[0].uuid;
    expect((await api.get(`${V1}/organizations/${org}/users`, api.sb.keys.orgDataOnly)).status).toBe(403);
    expect((await api.get(`${V1}/organizations/${org}/users`, api.sb.keys.userDataOnly)).status).toBe(200);
    for (const path of [`${V1}/apps/chats`, `${V1}/organizations`, `${V1}/activities`, `${V1}/groups`]) {
      expect((await api.get(path, api.sb.keys.orgAudit)).status).toBe(200);
    }
    const del = await errorOf(await api.del(`${V1}/apps/chats/claude_chat_x`, api.sb.keys.full));
    expect(del.status).toBe(403);
    expect(del.message).toContain("Needed: ['delete:compliance_user_data']");
  });

  it('lets an Admin key read the feed only', async () => {
    expect((await api.get(`${V1}/activities?limit=1`, api.sb.keys.admin)).status).toBe(200);
    const e = await errorOf(await api.get(`${V1}/apps/chats`, api.sb.keys.admin));
    expect(e.status).toBe(403);
    expect(e.type).toBe('permission_error');
  });

  it('answers unknown paths with 404 Not found and puts a request-id on every response', async () => {
    const ids = new Set<string>();
    for (const res of [
      await api.get(`${V1}/nope`),
      await api.get(`${V1}/apps/chats`, null),
      await api.get(`${V1}/apps/chats?limit=1`),
      await api.get(`${V1}/apps/chats?limit=1`, api.sb.keys.full, { 'anthropic-version': '2023-06-01' }),
      await api.get('/_sandbox/stats'),
    ]) {
      const id = res.headers.get('request-id');
      expect(id).toMatch(/^req_/);
      ids.add(id!);
      await res.arrayBuffer();
    }
    expect(ids.size).toBe(5);
  });

  it('limits a single-org key to its org', async () => {
    const all = (await api.json(`${V1}/organizations`)).data;
    const mine = (await api.json(`${V1}/organizations`, api.sb.keys.singleOrg)).data;
    expect(mine.map((o: any) => o.uuid)).toEqual([all[0].uuid]);
    const other = all[1].uuid;
    const e = await errorOf(await api.get(`${V1}/organizations/${other}/users`, api.sb.keys.singleOrg));
    expect(e).toEqual({
      status: 404,
      type: 'not_found_error',
      message: `The "${other}" organization does not exist or the requester is not authorized to access it.`,
    });
    const chats = (await api.json(`${V1}/apps/chats?limit=1000`, api.sb.keys.singleOrg)).data;
    expect(chats.length).toBeGreaterThan(0);
    expect(chats.every((c: any) => c.organization_uuid === all[0].uuid)).toBe(true);
  });
});

describe('sandbox rate limit (§5.8)', () => {
  it('shares 600/min-style budget across keys, counts 403s, not auth failures, and recovers with the clock', async () => {
    let t = Date.UTC(2026, 10, 1, 12, 0, 0);
    const api = await openApi({ rpm: 5, now: () => t });
    try {
      const first = await api.get(`${V1}/organizations`);
      expect(first.headers.get('anthropic-ratelimit-requests-limit')).toBe('5');
      expect(first.headers.get('anthropic-ratelimit-requests-remaining')).toBe('4');
      expect(first.headers.get('anthropic-ratelimit-requests-reset')).toBe('2026-11-01T12:01:00Z');
      // Auth failures use no quota and carry no rate headers.
      for (let i = 0; i < 4; i++) {
        const r = await api.get(`${V1}/organizations`, null);
        expect(r.status).toBe(404);
        expect(r.headers.get('anthropic-ratelimit-requests-remaining')).toBeNull();
      }
      expect((await api.get(`${V1}/apps/chats`, api.sb.keys.deactivated)).status).toBe(401);
      // A 403 uses one unit; another key draws on the same budget.
      const forbidden = await api.get(`${V1}/apps/chats`, api.sb.keys.activitiesOnly);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('anthropic-ratelimit-requests-remaining')).toBe('3');
      t += 10_000;
      expect(
        (await api.get(`${V1}/activities?limit=1`, api.sb.keys.admin)).headers.get(
          'anthropic-ratelimit-requests-remaining',
        ),
      ).toBe('2');
      expect((await api.get(`${V1}/groups`, api.sb.keys.orgAudit)).status).toBe(200);
      expect((await api.get(`${V1}/groups`)).headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
      const limited = await api.get(`${V1}/groups`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('50');
      expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
      expect(await errorOf(limited)).toEqual({
        status: 429,
        type: 'rate_limit_error',
        message:
          'Compliance API rate limit of 5 requests per minute per parent organization has been exceeded. Retry after the time indicated by the retry-after header. Quote the request-id response header when contacting Anthropic support.',
      });
      // Sliding window: after the first two requests age out, two slots free up.
      t += 50_000;
      expect((await api.get(`${V1}/groups`)).status).toBe(200);
      expect((await api.get(`${V1}/groups`)).status).toBe(200);
      expect((await api.get(`${V1}/groups`)).status).toBe(429);
      const stats = await api.stats();
      expect(stats.rateLimited).toBe(2);
      expect(stats.byRoute[`${V1}/groups`]).toEqual({ '200': 4, '429': 2 });
      expect(stats.byRoute[`${V1}/organizations`]).toEqual({ '200': 1, '404': 4 });
      expect(stats.byRoute[`${V1}/apps/chats`]).toEqual({ '401': 1, '403': 1 });
    } finally {
      await api.sb.close();
    }
  });

  it('still sends the rate headers when unlimited (rpm 0), with a limit of 1,000,000, and refuses nothing', async () => {
    let t = Date.UTC(2026, 10, 1, 12, 0, 0, 250);
    const api = await openApi({ rpm: 0, now: () => t });
    try {
      const headersOf = (res: Response) => [
        res.status,
        res.headers.get('anthropic-ratelimit-requests-limit'),
        res.headers.get('anthropic-ratelimit-requests-remaining'),
        res.headers.get('anthropic-ratelimit-requests-reset'),
      ];
      for (let i = 1; i <= 1100; i++) {
        const res = await api.get(`${V1}/groups`);
        await res.arrayBuffer();
        if (i === 1 || i === 1100)
          expect(headersOf(res)).toEqual([200, '1000000', String(1_000_000 - i), '2026-11-01T12:01:01Z']);
      }
      // errors carry them too; the window slides as for a real limit
      expect(headersOf(await api.get(`${V1}/apps/chats`, api.sb.keys.activitiesOnly))).toEqual([
        403,
        '1000000',
        '998899',
        '2026-11-01T12:01:01Z',
      ]);
      t += 60_000;
      expect(headersOf(await api.get(`${V1}/groups`))).toEqual([
        200,
        '1000000',
        '999999',
        '2026-11-01T12:02:01Z',
      ]);
      expect((await api.stats()).rateLimited).toBe(0);
    } finally {
      await api.sb.close();
    }
  });

  it('states a reset rounded up: a client that waits until it exactly finds the budget replenished', async () => {
    // Requests at .600 of a second: the budget is back at .600 a minute later, so a reset that
    // dropped the milliseconds would name a time at which the next request still gets a 429.
    let t = Date.UTC(2026, 10, 1, 12, 0, 0, 600);
    const api = await openApi({ rpm: 2, now: () => t });
    try {
      expect((await api.get(`${V1}/groups`)).status).toBe(200);
      const second = await api.get(`${V1}/groups`);
      expect(second.status).toBe(200);
      const limited = await api.get(`${V1}/groups`);
      expect(limited.status).toBe(429);
      const stated = limited.headers.get('anthropic-ratelimit-requests-reset')!;
      t = Date.parse(stated);
      const after = await api.get(`${V1}/groups`);
      expect(after.status).toBe(200);
      expect(after.headers.get('anthropic-ratelimit-requests-remaining')).toBe('1');
      expect(stated).toBe('2026-11-01T12:01:01Z');
      expect(second.headers.get('anthropic-ratelimit-requests-reset')).toBe(stated);
      // retry-after is whole seconds rounded up as well: the oldest request leaves in exactly 60 s
      expect(limited.headers.get('retry-after')).toBe('60');
    } finally {
      await api.sb.close();
    }
  });
});
