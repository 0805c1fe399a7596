/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../src/index.js';
import { V1, errorOf, openApi, walkPages, type Api } from './helpers.js';

async function withApi(
  scenario: Scenario,
  fn: (api: Api, clock: { t: number }) => Promise<void>,
): Promise<void> {
  const clock = { t: Date.UTC(2026, 10, 1, 12) };
  const api = await openApi({ seed: 9, scenario, now: () => clock.t });
  try {
    await fn(api, clock);
  } finally {
    await api.sb.close();
  }
}

const mutate = async (api: Api, kind: string): Promise<any[]> =>
  (await fetch(`${api.sb.baseUrl}/_sandbox/mutate?kind=${kind}`, { method: 'POST' })).json() as Promise<
    any[]
  >;

describe('sandbox faults (issue 3)', () => {
  it('fails a deterministic fraction transiently with documented bodies; a retry draws afresh', async () => {
    const statuses = async (): Promise<number[]> => {
      const out: number[] = [];
      await withApi(
        { faults: { transientRate: 0.5, transientKinds: ['500', '502', '503', '504', '529'] } },
        async (api) => {
          for (let i = 0; i < 30; i++) {
            const res = await api.get(`${V1}/organizations`);
            if (res.status !== 200) {
              const e = await errorOf(res);
              expect(['api_error', 'overloaded_error']).toContain(e.type);
              expect(res.headers.get('x-should-retry')).toBeNull();
            } else await res.arrayBuffer();
            out.push(res.status);
          }
        },
      );
      return out;
    };
    const a = await statuses();
    expect(a).toEqual(await statuses());
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(3);
    expect(new Set(a.filter((s) => s !== 200)).size).toBeGreaterThan(1);
  });

  it('resets connections and cuts chunked downloads short', async () => {
    await withApi({ faults: { transientRate: 1, transientKinds: ['reset'] } }, async (api) => {
      await expect(api.get(`${V1}/organizations`)).rejects.toThrow();
      expect((await api.stats()).byRoute[`${V1}/organizations`]).toEqual({ reset: 1 });
    });
    await withApi({ faults: { transientRate: 1, transientKinds: ['truncate'] } }, async (api) => {
      const truth = await api.truth();
      const f = truth.files.find((x) => x.size > 100_000)!;
      const res = await api.get(`${V1}/apps/chats/files/${f.id}/content`);
      expect(res.status).toBe(200);
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      await expect(res.arrayBuffer()).rejects.toThrow();
    });
  });

  it('adds latency', async () => {
    await withApi({ faults: { latency: { minMs: 40, maxMs: 40 } } }, async (api) => {
      const t0 = performance.now();
      expect((await api.get(`${V1}/organizations`)).status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(38);
    });
  });

  it('has permanent failures: 500 x-should-retry false, a Content-MD5 that never matches, a version in flight', async () => {
    await withApi(
      { faults: { permanentFailures: 1, badContentMd5: 1, inFlightVersions: 1, inFlightTimes: 2 } },
      async (api) => {
        const report: any = await (await api.get('/_sandbox/faults', null)).json();
        const bad = report.permanent_failures[0];
        for (let i = 0; i < 3; i++) {
          const res = await api.get(`${V1}/apps/chats/files/${bad}/content`);
          expect(res.status).toBe(500);
          expect(res.headers.get('x-should-retry')).toBe('false');
          await res.arrayBuffer();
        }
        const md5File = report.bad_content_md5[0];
        const res = await api.get(`${V1}/apps/chats/files/${md5File}/content`);
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(res.headers.get('content-md5')).not.toBe(createHash('md5').update(bytes).digest('base64'));
        const { artifact_id, version_id } = report.in_flight_versions[0];
        const path = `${V1}/apps/code/artifacts/${artifact_id}/versions/${version_id}`;
        for (let i = 0; i < 2; i++) {
          const r = await api.get(path);
          expect([r.status, r.headers.get('retry-after')]).toEqual([503, '1']);
          await r.arrayBuffer();
        }
        expect((await api.get(path)).status).toBe(200);
      },
    );
  });
});

describe('sandbox eventual consistency and live mutations (issue 3)', () => {
  it('makes activities queryable only after their lag', async () => {
    await withApi({ consistency: { activityLagMs: 60_000 } }, async (api, clock) => {
      const [change] = await mutate(api, 'new_chat');
      expect(change.kind).toBe('chat');
      const find = async () =>
        (await api.json(`${V1}/activities?limit=10&activity_types[]=claude_chat_created`)).data.some(
          (a: any) => a.claude_chat_id === change.id,
        );
      expect(await find()).toBe(false);
      clock.t += 59_000;
      expect(await find()).toBe(false);
      clock.t += 2_000;
      expect(await find()).toBe(true);
    });
  });

  it('lags the chat updated_at index: a bumped chat reappears ahead of the cursor only after the lag', async () => {
    await withApi({ consistency: { updatedAtLagMs: 30_000 } }, async (api, clock) => {
      const since = new Date(clock.t - 1000).toISOString();
      const changes = await mutate(api, 'new_message');
      const chatId = changes.find((c) => c.kind === 'chat').id;
      const walk = async () =>
        (await api.json(`${V1}/apps/chats?order_by=updated_at&updated_at.gte=${since}&limit=1000`)).data.map(
          (c: any) => c.id,
        );
      expect(await walk()).not.toContain(chatId);
      const body = await api.json(`${V1}/apps/chats/${chatId}/messages`);
      expect(Date.parse(body.updated_at)).toBeGreaterThanOrEqual(Date.parse(since));
      clock.t += 31_000;
      expect(await walk()).toEqual([chatId]);
    });
  });

  it('publishes a code artifact behind the cursor: one walk misses it, a second walk finds it', async () => {
    await withApi({}, async (api) => {
      const first = await api.json(`${V1}/apps/code/artifacts?limit=3`);
      const [change] = await mutate(api, 'new_code_artifact_behind');
      const rest = await walkPages(
        api,
        `${V1}/apps/code/artifacts?limit=3&page=${encodeURIComponent(first.next_page)}`,
      );
      const walked = [...first.data, ...rest.flatMap((p) => p.data)].map((a: any) => a.id);
      expect(walked).not.toContain(change.id);
      const again = (await walkPages(api, `${V1}/apps/code/artifacts?limit=3`)).flatMap((p) =>
        p.data.map((a: any) => a.id),
      );
      expect(again).toContain(change.id);
    });
  });

  it('answers truth as of T and what changed after T', async () => {
    await withApi({}, async (api, clock) => {
      const t0 = new Date(clock.t).toISOString();
      clock.t += 1000;
      const created = (await mutate(api, 'new_chat'))[0];
      clock.t += 1000;
      const soft = (await mutate(api, 'soft_delete_chat'))[0];
      const before = await api.truth(t0);
      const now = await api.truth();
      expect(before.chats.map((c) => c.id)).not.toContain(created.id);
      expect(now.chats.map((c) => c.id)).toContain(created.id);
      expect(before.changes_after.map((c) => [c.id, c.change])).toEqual([
        [created.id, 'created'],
        [soft.id, 'soft_deleted'],
      ]);
      expect(now.changes_after).toEqual([]);
      expect(before.chats.find((c) => c.id === soft.id)?.deleted).toBe(false);
      expect(now.chats.find((c) => c.id === soft.id)?.deleted).toBe(true);
      expect(
        (await errorOf(await fetch(`${api.sb.baseUrl}/_sandbox/mutate?kind=nope`, { method: 'POST' })))
          .status,
      ).toBe(400);
    });
  });

  it('applies scheduled mutations as the virtual clock moves, deterministically', async () => {
    const run = async (): Promise<any[]> => {
      let changes: any[] = [];
      await withApi({ mutations: { perMinute: 20 } }, async (api, clock) => {
        expect((await api.truth()).changes_after).toEqual([]);
        const start = new Date(clock.t).toISOString();
        clock.t += 5 * 60_000;
        changes = (await api.truth(start)).changes_after;
      });
      return changes;
    };
    const a = await run();
    expect(a.length).toBeGreaterThan(20);
    expect(await run()).toEqual(a);
  });
});

describe('sandbox compliance_api_accessed events (optional)', () => {
  it('records authenticated requests after the lag, and an ascending feed walk still ends', async () => {
    await withApi(
      { activities: { apiAccessEvents: true }, consistency: { activityLagMs: 60_000 } },
      async (api, clock) => {
        const res = await api.get(`${V1}/organizations?limit=5`);
        const requestId = res.headers.get('request-id');
        await res.arrayBuffer();
        await api.get(`${V1}/organizations`, null).then((r) => r.arrayBuffer());
        const find = async () =>
          (await api.json(`${V1}/activities?limit=100&activity_types[]=compliance_api_accessed`))
            .data as any[];
        expect(await find()).toEqual([]);
        clock.t += 61_000;
        const events = await find();
        const mine = events.find((a) => a.request_id === requestId);
        expect(mine).toMatchObject({
          request_method: 'GET',
          status_code: 200,
          url: `${V1}/organizations?limit=5`,
          organization_id: null,
        });
        expect(mine.actor.type).toBe('api_actor');
        // Only authenticated requests produce one (the 404 above did not); walking ends although
        // every page request adds an event.
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const body = await api.json(
            `${V1}/activities?limit=1000&order=asc${after === null ? '' : `&after_id=${after}`}`,
          );
          pages++;
          if (!body.has_more) break;
          after = body.last_id;
        }
        expect(pages).toBeLessThan(5);
      },
    );
  });
});

describe('sandbox remote-session second budget', () => {
  it('429s remote-session calls with retry-after: 1 while the shared budget still has room', async () => {
    await withApi({ faults: { remoteSessionRpm: 2 } }, async (api) => {
      for (let i = 0; i < 2; i++) expect((await api.get(`${V1}/apps/sessions/remote`)).status).toBe(200);
      const limited = await api.get(`${V1}/apps/sessions/remote`);
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '1']);
      expect((await errorOf(limited)).type).toBe('rate_limit_error');
      expect((await api.get(`${V1}/apps/sessions/local`)).status).toBe(200);
    });
  });
});
