/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatetime, suggest } from '../src/http/query.js';
import { V1, errorOf, openApi, type Api } from './helpers.js';

describe('sandbox query validation (§2, §5.2)', () => {
  let api: Api;
  beforeAll(async () => {
    api = await openApi();
  });
  afterAll(() => api.sb.close());

  const cases: [string, string][] = [
    [
      `${V1}/apps/chats?created_at[gte]=2025-01-01T00:00:00Z`,
      "Unknown query parameter: 'created_at[gte]'. Did you mean 'created_at.gte'?",
    ],
    [`${V1}/apps/chats?user_ids=user_x`, "Unknown query parameter: 'user_ids'. Did you mean 'user_ids[]'?"],
    [`${V1}/apps/chats?limt=5`, "Unknown query parameter: 'limt'. Did you mean 'limit'?"],
    [`${V1}/apps/chats?zzzzzzzz=1`, "Unknown query parameter: 'zzzzzzzz'."],
    [`${V1}/apps/chats?limit=1001`, 'limit: Input should be less than or equal to 1000'],
    [`${V1}/apps/chats?limit=0`, 'limit: Input should be greater than or equal to 1'],
    [
      `${V1}/apps/chats?limit=ten`,
      'limit: Input should be a valid integer, unable to parse string as an integer',
    ],
    [`${V1}/activities?limit=5001`, 'limit: Input should be less than or equal to 5000'],
    [`${V1}/apps/projects?limit=101`, 'limit: Input should be less than or equal to 100'],
    [`${V1}/organizations?limit=1001`, 'limit: Input should be less than or equal to 1000'],
    [`${V1}/apps/sessions/local?limit=501`, 'limit: Input should be less than or equal to 500'],
    [
      `${V1}/apps/chats?created_at.gte=abc`,
      'created_at.gte: Input should be a valid datetime or date, invalid character in year',
    ],
    [
      `${V1}/apps/chats?created_at.gte=2025-13-01`,
      'created_at.gte: Input should be a valid datetime or date, month value is outside expected range of 1-12',
    ],
    [
      `${V1}/activities?activity_types[]=claude_chat_created&activity_types[]=nope`,
      'activity_types[].1: Input is not one of the permitted values.',
    ],
    [`${V1}/activities?order=up`, "order: Input should be 'asc' or 'desc'"],
    [
      `${V1}/apps/sessions/local?created_at.gt=2025-01-01T00:00:00Z`,
      "Unknown query parameter: 'created_at.gt'. Did you mean 'created_at.gte'?",
    ],
    [
      `${V1}/apps/sessions/local/clls_x/messages?tool_result_max_bytes=0`,
      'tool_result_max_bytes: Input should be -1 or greater than 0',
    ],
    [`${V1}/apps/projects/claude_proj_x?foo=1`, "Unknown query parameter: 'foo'."],
  ];

  it.each(cases)('GET %s → 400 with the documented message', async (path, message) => {
    const res = await api.get(path);
    const e = await errorOf(res);
    expect(e).toEqual({ status: 400, type: 'invalid_request_error', message });
  });

  it('accepts the documented datetime forms and dot ranges combined with AND', async () => {
    expect(parseDatetime('x', '2024-03-01T00:00:00Z', false)).toBe(Date.UTC(2024, 2, 1));
    expect(parseDatetime('x', '2024-03-01T01:00:00+01:00', false)).toBe(Date.UTC(2024, 2, 1));
    expect(parseDatetime('x', '2024-03-01', false)).toBe(Date.UTC(2024, 2, 1));
    expect(suggest('created_at[lt]', ['created_at.lt', 'limit'])).toBe('created_at.lt');
    const all = (await api.json(`${V1}/apps/chats?limit=1000`)).data;
    const a = all[10].created_at;
    const b = all[20].created_at;
    const between = (
      await api.json(
        `${V1}/apps/chats?limit=1000&created_at.gte=${a}&created_at.lt=${b}&created_at.gt=1999-01-01`,
      )
    ).data;
    expect(between.map((c: any) => c.id)).toEqual(
      all.filter((c: any) => c.created_at >= a && c.created_at < b).map((c: any) => c.id),
    );
    expect(
      (await api.get(`${V1}/organizations`, api.sb.keys.full, { 'anthropic-version': '2023-06-01' })).status,
    ).toBe(200);
  });
});

describe('sandbox determinism', () => {
  async function snapshot(seed: number) {
    const api = await openApi({ seed });
    try {
      const truth = await api.truth('2026-11-01T00:00:00Z');
      const file = truth.files.find((f) => f.size > 1000)!;
      const bytes = Buffer.from(
        await (await api.get(`${V1}/apps/chats/files/${file.id}/content`)).arrayBuffer(),
      );
      const chats = await api.json(`${V1}/apps/chats?limit=5`);
      return { truth, keys: api.sb.keys, fileSha: createHash('sha256').update(bytes).digest('hex'), chats };
    } finally {
      await api.sb.close();
    }
  }

  it('gives the same ids, bytes and keys for the same seed, and different ones for another', async () => {
    const a = await snapshot(42);
    const b = await snapshot(42);
    const c = await snapshot(43);
    expect(b.truth).toEqual(a.truth);
    expect(b.keys).toEqual(a.keys);
    expect(b.fileSha).toBe(a.fileSha);
    expect(b.chats).toEqual(a.chats);
    expect(c.keys.full).not.toBe(a.keys.full);
    expect(c.truth.chats[0]!.id).not.toBe(a.truth.chats[0]!.id);
    expect(c.truth.files.map((f) => f.sha256)).not.toEqual(a.truth.files.map((f) => f.sha256));
    expect(a.keys.full).toMatch(/^sk-ant-api01-/);
    expect(a.keys.admin).toMatch(/^sk-ant-admin01-/);
    expect(a.keys.claudeApi).toMatch(/^sk-ant-api03-/);
    expect(a.truth.counts.chats).toBe(60);
  });
});

describe('sandbox profiles', () => {
  it('makes medium about ten times small, with messages generated on demand', async () => {
    const { buildWorld } = await import('../src/world.js');
    const small = buildWorld(1, 'small').world;
    const medium = buildWorld(1, 'medium').world;
    expect(medium.chats.length).toBe(10 * small.chats.length);
    const msgs = (w: typeof small) => w.chats.reduce((n, c) => n + c.messageCount, 0);
    expect(msgs(medium) / msgs(small)).toBeGreaterThan(7);
    expect(medium.blobs.length / small.blobs.length).toBeGreaterThan(4);
  });
});
