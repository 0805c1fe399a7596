/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
/**
 * Sessions as the fact sheet and peer integrations describe them (compliance-api.md §3.16, §5.3,
 * §5.5, §5.9, §7.3): `updated_at` on local sessions and its list filters, local sessions not
 * available, the retention-override 503, a pending remote session, an expired Admin key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkScenario } from '../src/scenario.js';
import { V1, errorOf, openApi, walkPages, type Api } from './helpers.js';

const RETENTION_503 =
  'The local-sessions index cannot currently evaluate retention overrides for this session. Try again later.';

async function transcript(api: Api, id: string): Promise<any[]> {
  return (await walkPages(api, `${V1}/apps/sessions/local/${id}/messages?limit=1000`)).flatMap((p) => p.data);
}

describe('sandbox local sessions carry updated_at (§3.16 eighth field, §7.3)', () => {
  let t = Date.UTC(2026, 10, 1);
  let api: Api;
  beforeAll(async () => {
    api = await openApi({ seed: 7, now: () => t });
  });
  afterAll(() => api.sb.close());

  it('serves it on list, retrieve and the messages envelope: the time of the newest message', async () => {
    const listed = (await walkPages(api, `${V1}/apps/sessions/local?limit=500`)).flatMap((p) => p.data);
    expect(listed.length).toBeGreaterThan(0);
    for (const s of listed) {
      expect(Object.keys(s)).toEqual([
        'type',
        'id',
        'organization_uuid',
        'workspace_id',
        'product_surface',
        'user',
        'created_at',
        'updated_at',
      ]);
      const messages = await transcript(api, s.id);
      expect(s.updated_at).toBe(messages.at(-1).created_at);
      expect((await api.json(`${V1}/apps/sessions/local/${s.id}`)).updated_at).toBe(s.updated_at);
      const envelope = await api.json(`${V1}/apps/sessions/local/${s.id}/messages?limit=1`);
      expect(envelope.session.updated_at).toBe(s.updated_at);
    }
  });

  it('moves updated_at (not created_at) when a session gains a message, and filters on it', async () => {
    const all = (await walkPages(api, `${V1}/apps/sessions/local?limit=500`)).flatMap((p) => p.data);
    t += 60_000;
    const res = await fetch(`${api.sb.baseUrl}/_sandbox/mutate?kind=new_session_message`, { method: 'POST' });
    const [change] = (await res.json()) as { kind: string; id: string; change: string; at: string }[];
    expect([change!.kind, change!.change, change!.at]).toEqual([
      'session',
      'updated',
      new Date(t).toISOString(),
    ]);
    const before = all.find((s: any) => s.id === change!.id);
    const after = await api.json(`${V1}/apps/sessions/local/${change!.id}`);
    expect([after.created_at, after.updated_at]).toEqual([before.created_at, change!.at]);
    const messages = await transcript(api, change!.id);
    const earlier = (await api.truth(new Date(t - 1).toISOString())).sessions.local.find(
      (s) => s.id === change!.id,
    )!.message_ids;
    expect([messages.length, messages.slice(0, -1).map((m) => m.id)]).toEqual([earlier.length + 1, earlier]);
    expect(messages.at(-1).created_at).toBe(change!.at);

    const q = (filter: string) =>
      walkPages(api, `${V1}/apps/sessions/local?limit=500&${filter}`).then((pages) =>
        pages.flatMap((p) => p.data.map((s: any) => s.id)).sort(),
      );
    const at = encodeURIComponent(change!.at);
    expect(await q(`updated_at.gte=${at}`)).toEqual([change!.id]);
    expect(await q(`updated_at.gt=${at}`)).toEqual([]);
    expect(await q(`updated_at.lte=${at}`)).toEqual(all.map((s: any) => s.id).sort());
    expect(await q(`updated_at.lt=${at}`)).toEqual(
      all
        .map((s: any) => s.id)
        .filter((id: string) => id !== change!.id)
        .sort(),
    );
    // Several operators are AND-ed, and combine with the created_at filter.
    expect(await q(`updated_at.gte=${at}&updated_at.lt=${at}`)).toEqual([]);
    expect(await q(`created_at.lt=${encodeURIComponent(before.created_at)}&updated_at.gte=${at}`)).toEqual(
      [],
    );
    const naive = await errorOf(
      await api.get(`${V1}/apps/sessions/local?updated_at.gte=2026-01-01T00:00:00`),
    );
    expect(naive).toEqual({
      status: 400,
      type: 'invalid_request_error',
      message: 'updated_at.gte: Input should have timezone info',
    });
  });
});

describe('sandbox session error cases (§5.3, §5.5, §5.9)', () => {
  it('answers every local-session call, the list included, 404 when local sessions are not available', async () => {
    const plain = await openApi({ seed: 7 });
    const id = (await plain.json(`${V1}/apps/sessions/local`)).data[0].id as string;
    await plain.sb.close();
    const api = await openApi({ seed: 7, scenario: { faults: { localSessionsUnavailable: true } } });
    try {
      for (const path of [
        `${V1}/apps/sessions/local`,
        `${V1}/apps/sessions/local/${id}`,
        `${V1}/apps/sessions/local/${id}/messages`,
      ]) {
        expect(await errorOf(await api.get(path))).toEqual({
          status: 404,
          type: 'not_found_error',
          message: 'Local sessions are not available.',
        });
      }
      expect((await api.get(`${V1}/apps/sessions/remote`)).status).toBe(200);
    } finally {
      await api.sb.close();
    }
  });

  it('answers retrieve and messages of a chosen session 503 (retention overrides), x-should-retry: false', async () => {
    const api = await openApi({ seed: 7, scenario: { faults: { retentionOverrideSessions: 1 } } });
    try {
      const faults = (await (await fetch(`${api.sb.baseUrl}/_sandbox/faults`)).json()) as {
        retention_override_sessions: string[];
      };
      expect(faults.retention_override_sessions).toHaveLength(1);
      const id = faults.retention_override_sessions[0]!;
      for (const path of [`${V1}/apps/sessions/local/${id}`, `${V1}/apps/sessions/local/${id}/messages`]) {
        const res = await api.get(path);
        expect(res.headers.get('x-should-retry')).toBe('false');
        expect(await errorOf(res)).toEqual({ status: 503, type: 'overloaded_error', message: RETENTION_503 });
      }
      const listed = (await walkPages(api, `${V1}/apps/sessions/local`)).flatMap((p) => p.data);
      expect(listed.map((s: any) => s.id)).toContain(id);
      const other = listed.find((s: any) => s.id !== id);
      expect((await api.get(`${V1}/apps/sessions/local/${other.id}/messages`)).status).toBe(200);
    } finally {
      await api.sb.close();
    }
  });

  it('lists one pending remote session in the small profile; its transcript answers 404', async () => {
    const api = await openApi({ seed: 7 });
    try {
      const listed = (await walkPages(api, `${V1}/apps/sessions/remote`)).flatMap((p) => p.data);
      const pending = listed.filter((s: any) => s.status === 'pending');
      expect(pending).toHaveLength(1);
      expect(await errorOf(await api.get(`${V1}/apps/sessions/remote/${pending[0].id}/messages`))).toEqual({
        status: 404,
        type: 'not_found_error',
        message: 'Remote session not found.',
      });
      expect((await api.truth()).sessions.remote.map((s) => s.id)).not.toContain(pending[0].id);
    } finally {
      await api.sb.close();
    }
  });

  it('answers an expired Admin key 401 "API key has expired." where a live one is served', async () => {
    const api = await openApi({ seed: 7 });
    try {
      expect(api.sb.keys.expiredAdmin.startsWith('sk-ant-admin01-')).toBe(true);
      expect((await api.get(`${V1}/activities?limit=1`, api.sb.keys.admin)).status).toBe(200);
      for (const path of [`${V1}/activities?limit=1`, `${V1}/apps/chats`]) {
        expect(await errorOf(await api.get(path, api.sb.keys.expiredAdmin))).toEqual({
          status: 401,
          type: 'authentication_error',
          message: 'API key has expired.',
        });
      }
    } finally {
      await api.sb.close();
    }
  });

  it('validates the new scenario knobs', () => {
    expect(
      checkScenario({ faults: { localSessionsUnavailable: true, retentionOverrideSessions: 2 } }),
    ).toEqual([]);
    expect(
      checkScenario({ faults: { localSessionsUnavailable: 'yes', retentionOverrideSessions: -1 } }),
    ).toEqual([
      '/faults/retentionOverrideSessions: must be a number in [0, 1000]',
      '/faults/localSessionsUnavailable: must be true or false',
    ]);
  });
});
