/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxTruth } from '../src/truth.js';
import { V1, errorOf, openApi, walkCursor, type Api } from './helpers.js';

describe('sandbox chats (§2.2, §3.8, §3.9)', () => {
  let api: Api;
  let truth: SandboxTruth;
  beforeAll(async () => {
    api = await openApi({ seed: 5 });
    truth = await api.truth();
  });
  afterAll(() => api.sb.close());

  it('walks the org-wide list by created_at and by updated_at with no chat lost or repeated', async () => {
    const expected = truth.chats.map((c) => c.id).sort();
    for (const orderBy of ['created_at', 'updated_at']) {
      const items = await walkCursor(api, `${V1}/apps/chats?order_by=${orderBy}&limit=7`);
      expect(items.map((c) => c.id).sort()).toEqual(expected);
      expect(new Set(items.map((c) => c.id)).size).toBe(items.length);
      const keys = items.map((c) => `${c[orderBy]}|${c.id}`);
      expect([...keys].sort()).toEqual(keys);
    }
    // The data deliberately holds created_at ties; they sort by id.
    const all = (await api.json(`${V1}/apps/chats?limit=1000`)).data;
    const times = all.map((c: any) => c.created_at);
    expect(new Set(times).size).toBeLessThan(times.length);
  });

  it('pages backwards with before_id on a per-user query', async () => {
    const all = (await api.json(`${V1}/apps/chats?limit=1000`)).data;
    const user = all.find((c: any) => c.user !== null).user.id;
    const mine = (await api.json(`${V1}/apps/chats?user_ids[]=${user}&limit=1000`)).data;
    expect(mine.length).toBeGreaterThan(2);
    const lastPage = await api.json(
      `${V1}/apps/chats?user_ids[]=${user}&limit=1&after_id=${encodeURIComponent(
        (await api.json(`${V1}/apps/chats?user_ids[]=${user}&limit=${mine.length - 1}`)).last_id,
      )}`,
    );
    expect(lastPage.data.map((c: any) => c.id)).toEqual([mine[mine.length - 1].id]);
    const back = await api.json(
      `${V1}/apps/chats?user_ids[]=${user}&limit=2&before_id=${encodeURIComponent(lastPage.first_id)}`,
    );
    expect(back.data.map((c: any) => c.id)).toEqual(mine.slice(-3, -1).map((c: any) => c.id));
    expect(back.has_more).toBe(mine.length > 3);
  });

  it('filters by created_at range and by user/project', async () => {
    const all = (await api.json(`${V1}/apps/chats?limit=1000`)).data;
    const mid = all[Math.floor(all.length / 2)].created_at;
    const later = (await api.json(`${V1}/apps/chats?limit=1000&created_at.gte=${mid}`)).data;
    expect(later.map((c: any) => c.id)).toEqual(
      all.filter((c: any) => c.created_at >= mid).map((c: any) => c.id),
    );
    const inProject = all.find((c: any) => c.project_id !== null && c.user !== null);
    const filtered = (
      await api.json(
        `${V1}/apps/chats?limit=1000&user_ids[]=${inProject.user.id}&project_ids[]=${inProject.project_id}`,
      )
    ).data;
    expect(filtered.map((c: any) => c.id)).toContain(inProject.id);
    expect(filtered.every((c: any) => c.project_id === inProject.project_id)).toBe(true);
  });

  it('rejects the §2.2 combinations with 400', async () => {
    const all = (await api.json(`${V1}/apps/chats?limit=2`)).data;
    const user = 'user_x';
    const page = await api.json(`${V1}/apps/chats?limit=1`);
    const updPage = await api.json(`${V1}/apps/chats?limit=1&order_by=updated_at`);
    const bad = [
      `order_by=updated_at&user_ids[]=${user}`,
      `user_ids[]=${user}&updated_at.gte=2025-01-01T00:00:00Z`,
      `project_ids[]=claude_proj_x`,
      `before_id=${encodeURIComponent(page.last_id)}`,
      `updated_at.gte=2025-01-01T00:00:00Z`,
      `order_by=updated_at&created_at.gte=2025-01-01T00:00:00Z`,
      `after_id=${encodeURIComponent(updPage.last_id)}`,
      `order_by=updated_at&after_id=${encodeURIComponent(page.last_id)}`,
      `user_ids[]=${user}&after_id=${encodeURIComponent(page.last_id)}&before_id=${encodeURIComponent(page.last_id)}`,
      `after_id=garbage`,
      `user_ids[]=${Array.from({ length: 11 }, (_, i) => `u${i}`).join('&user_ids[]=')}`,
      `order_by=name`,
    ];
    for (const q of bad) {
      const e = await errorOf(await api.get(`${V1}/apps/chats?${q}`));
      expect([q, e.status, e.type]).toEqual([q, 400, 'invalid_request_error']);
    }
    expect(all.length).toBe(2);
    expect((await errorOf(await api.get(`${V1}/apps/chats?after_id=garbage`))).message).toBe(
      "Invalid pagination cursor for 'after_id'",
    );
  });

  it('returns every message without limit, and pages them with after_id/before_id in both orders', async () => {
    const long = truth.chats.reduce((a, b) => (b.message_ids.length > a.message_ids.length ? b : a));
    expect(long.message_ids.length).toBeGreaterThan(100);
    const whole = await api.json(`${V1}/apps/chats/${long.id}/messages`);
    expect(whole.chat_messages.map((m: any) => m.id)).toEqual(long.message_ids);
    expect(whole.has_more).toBe(false);
    expect(whole.id).toBe(long.id);
    const walked = await walkCursor(api, `${V1}/apps/chats/${long.id}/messages?limit=13`, 'chat_messages');
    expect(walked.map((m) => m.id)).toEqual(long.message_ids);
    const desc = await walkCursor(
      api,
      `${V1}/apps/chats/${long.id}/messages?limit=50&order=desc`,
      'chat_messages',
    );
    expect(desc.map((m) => m.id)).toEqual([...long.message_ids].reverse());
    const p2 = await api.json(
      `${V1}/apps/chats/${long.id}/messages?limit=10&after_id=${encodeURIComponent(
        (await api.json(`${V1}/apps/chats/${long.id}/messages?limit=10`)).last_id,
      )}`,
    );
    const back = await api.json(
      `${V1}/apps/chats/${long.id}/messages?limit=5&before_id=${encodeURIComponent(p2.first_id)}`,
    );
    expect(back.chat_messages.map((m: any) => m.id)).toEqual(long.message_ids.slice(5, 10));
  });

  it('caps tool inputs and results at 10000 chars unless -1 is passed', async () => {
    let found = false;
    for (const c of truth.chats.filter((x) => !x.deleted)) {
      const body = await api.json(`${V1}/apps/chats/${c.id}/messages`);
      const block = body.chat_messages
        .flatMap((m: any) => m.content)
        .find((b: any) => b.type === 'tool_use' && b.truncated);
      if (block === undefined) continue;
      expect(block.input.length).toBe(10_000);
      const full = await api.json(
        `${V1}/apps/chats/${c.id}/messages?tool_use_input_max_chars=-1&tool_result_max_chars=-1`,
      );
      const same = full.chat_messages
        .flatMap((m: any) => m.content)
        .find((b: any) => b.type === 'tool_use' && b.id === block.id);
      expect(same.truncated).toBe(false);
      expect(JSON.parse(same.input)).toHaveProperty('payload');
      found = true;
      break;
    }
    expect(found).toBe(true);
  });

  it('shows soft-deleted chats per §4.3 newest: name "", content [], attachments null, files 404', async () => {
    const deleted = truth.chats.filter((c) => c.deleted);
    expect(deleted.length).toBeGreaterThan(0);
    const body = await api.json(`${V1}/apps/chats/${deleted[0]!.id}/messages`);
    expect(body.name).toBe('');
    expect(body.deleted_at).not.toBeNull();
    expect(body.chat_messages.length).toBe(deleted[0]!.message_ids.length);
    for (const m of body.chat_messages) {
      expect(m.content).toEqual([]);
      expect([m.files, m.generated_files, m.artifacts]).toEqual([null, null, null]);
    }
    const listed = (await api.json(`${V1}/apps/chats?limit=1000`)).data.find(
      (c: any) => c.id === deleted[0]!.id,
    );
    expect(listed.name).toBe('');
    const truthFiles = new Set(truth.files.map((f) => f.id));
    const { data: activities } = await api.json(
      `${V1}/activities?limit=5000&activity_types[]=claude_file_uploaded`,
    );
    const deletedIds = new Set(deleted.map((c) => c.id));
    const goneFile = activities.find((a: any) => deletedIds.has(a.claude_chat_id));
    expect(goneFile).toBeDefined();
    expect(truthFiles.has(goneFile.claude_file_id)).toBe(false);
    const e = await errorOf(await api.get(`${V1}/apps/chats/files/${goneFile.claude_file_id}/content`));
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/^File not found: [0-9a-f-]{36}$/);
  });

  it('shows user null for chats of users who left', async () => {
    const all = (await api.json(`${V1}/apps/chats?limit=1000`)).data;
    expect(all.some((c: any) => c.user === null)).toBe(true);
    expect(all.some((c: any) => c.user !== null && c.user.id.startsWith('user_'))).toBe(true);
  });

  it('hard-deletes a chat: 200, then 404 for the chat, its messages and its files', async () => {
    const chat = truth.chats.find((c) => !c.deleted && c.file_ids.length > 0)!;
    expect((await api.del(`${V1}/apps/chats/${chat.id}`, api.sb.keys.userDataOnly)).status).toBe(403);
    const res = await api.del(`${V1}/apps/chats/${chat.id}`, api.sb.keys.deleter);
    expect(await res.json()).toEqual({ id: chat.id, type: 'claude_chat_deleted' });
    expect(await errorOf(await api.get(`${V1}/apps/chats/${chat.id}/messages`))).toEqual({
      status: 404,
      type: 'not_found_error',
      message: `Chat conversation not found: '${chat.id}'`,
    });
    expect((await api.get(`${V1}/apps/chats/files/${chat.file_ids[0]}`)).status).toBe(404);
    expect((await api.del(`${V1}/apps/chats/${chat.id}`, api.sb.keys.deleter)).status).toBe(404);
    const after = await api.truth();
    expect(after.chats.map((c) => c.id)).not.toContain(chat.id);
    const listed = (await api.json(`${V1}/apps/chats?limit=1000`)).data.map((c: any) => c.id);
    expect(listed).not.toContain(chat.id);
  });
});
