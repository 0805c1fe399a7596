/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxTruth } from '../src/truth.js';
import { V1, errorOf, openApi, walkCursor, walkPages, type Api } from './helpers.js';

const ids = (pages: any[]) => pages.flatMap((p) => p.data.map((x: any) => x.id ?? x.uuid ?? x.user_id));

describe('sandbox pagination (§4.1)', () => {
  let api: Api;
  let truth: SandboxTruth;
  beforeAll(async () => {
    api = await openApi({ seed: 7 });
    truth = await api.truth();
  });
  afterAll(() => api.sb.close());

  it('walks the directory with page tokens: orgs, users, roles, permissions, groups, members', async () => {
    expect(ids(await walkPages(api, `${V1}/organizations?limit=1`))).toEqual(truth.organizations);
    for (const org of truth.users) {
      const pages = await walkPages(api, `${V1}/organizations/${org.organization_uuid}/users?limit=2`);
      expect(pages.length).toBeGreaterThan(2);
      expect(pages.every((p) => typeof p.has_more === 'boolean')).toBe(true);
      expect(ids(pages).sort()).toEqual([...org.user_ids].sort());
      const roles = ids(await walkPages(api, `${V1}/organizations/${org.organization_uuid}/roles?limit=1`));
      expect(roles.sort()).toEqual(
        truth.roles.find((r) => r.organization_uuid === org.organization_uuid)!.role_ids.sort(),
      );
      const role = await api.json(`${V1}/organizations/${org.organization_uuid}/roles/${roles[0]}`);
      expect(role.id).toBe(roles[0]);
      const perms = (
        await walkPages(
          api,
          `${V1}/organizations/${org.organization_uuid}/roles/${roles[0]}/permissions?limit=1`,
        )
      ).flatMap((p) => p.data);
      expect(perms.length).toBeGreaterThan(0);
      expect(perms[0]).toHaveProperty('action');
    }
    const groups = ids(await walkPages(api, `${V1}/groups?limit=1`));
    expect(groups.sort()).toEqual(truth.groups.map((g) => g.id).sort());
    for (const g of truth.groups) {
      const members = ids(await walkPages(api, `${V1}/groups/${g.id}/members?limit=1`));
      expect(members.sort()).toEqual([...g.member_user_ids].sort());
    }
    expect(await errorOf(await api.get(`${V1}/groups/rbac_group_nope`))).toEqual({
      status: 404,
      type: 'not_found_error',
      message: 'Group not found.',
    });
    expect((await errorOf(await api.get(`${V1}/organizations?page=%%%`))).status).toBe(400);
  });

  it('walks the activity feed both ways with no item lost or repeated', async () => {
    const desc = await walkCursor(api, `${V1}/activities?limit=17`);
    expect(desc.map((a) => a.id).sort()).toEqual([...truth.activity_ids].sort());
    expect(new Set(desc.map((a) => a.id)).size).toBe(desc.length);
    const times = desc.map((a) => a.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    const asc = await walkCursor(api, `${V1}/activities?limit=23&order=asc`);
    expect(asc.map((a) => a.id)).toEqual([...desc.map((a) => a.id)].reverse());
    // before_id walks back toward the present.
    const mid = desc[40];
    const back = await api.json(`${V1}/activities?limit=5&before_id=${mid.id}`);
    expect(back.data.map((a: any) => a.id)).toEqual(desc.slice(35, 40).map((a) => a.id));
    expect((await errorOf(await api.get(`${V1}/activities?after_id=activity_invalid123`))).message).toBe(
      "Invalid activity_id format: 'activity_invalid123'",
    );
    const only = (await api.json(`${V1}/activities?limit=5000&activity_types[]=claude_chat_created`)).data;
    expect(only.length).toBe(truth.chats.length);
    const without = (
      await api.json(`${V1}/activities?limit=5000&exclude_activity_types[]=claude_chat_created`)
    ).data;
    expect(without.length + only.length).toBe(truth.activity_ids.length);
  });

  it('walks projects, attachments and collaborators', async () => {
    const projects = await walkPages(api, `${V1}/apps/projects?limit=1`);
    expect(projects[0].next_page).toMatch(/^page_/);
    expect(ids(projects).sort()).toEqual(truth.projects.map((p) => p.id).sort());
    for (const p of truth.projects) {
      const att = await walkPages(api, `${V1}/apps/projects/${p.id}/attachments?limit=3`);
      expect(ids(att).sort()).toEqual([...p.document_ids, ...p.file_ids].sort());
      const detail = await api.json(`${V1}/apps/projects/${p.id}`);
      expect(detail.attachments_count).toBe(p.attachment_count);
      const coll = (await walkPages(api, `${V1}/apps/projects/${p.id}/collaborators?limit=1`)).flatMap(
        (x) => x.data,
      );
      expect(coll.length).toBe(p.collaborator_count);
    }
    const first = truth.projects[0]!;
    expect((await walkPages(api, `${V1}/apps/projects/${first.id}/attachments`)).length).toBeGreaterThan(1);
    expect(truth.projects.some((p) => p.deleted)).toBe(true);
  });

  it('walks code artifacts through short and empty pages until next_page is null', async () => {
    const pages = await walkPages(api, `${V1}/apps/code/artifacts?limit=3`);
    expect(ids(pages).sort()).toEqual(truth.code_artifacts.map((a) => a.id).sort());
    expect(pages.some((p) => p.data.length < 3 && p.next_page !== null)).toBe(true);
    expect(pages.at(-1).next_page).toBeNull();
    const rotated = truth.code_artifacts.filter((a) => a.rotated_version_ids.length > 0);
    expect(rotated.length).toBeGreaterThanOrEqual(1);
    const a = rotated[0]!;
    const listed = pages.flatMap((p) => p.data).find((x: any) => x.id === a.id);
    expect(listed.versions.length).toBe(20);
    expect(
      (await api.get(`${V1}/apps/code/artifacts/${a.id}/versions/${a.rotated_version_ids[0]}`)).status,
    ).toBe(404);
    const v = a.versions[0]!;
    const res = await api.get(`${V1}/apps/code/artifacts/${a.id}/versions/${v.id}`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename*=utf-8''${a.id}-${v.id}.txt`);
    expect(res.headers.get('cache-control')).toBe('no-store, private');
    expect(Buffer.from(await res.arrayBuffer()).length).toBe(v.size);
    // Artifacts without updated_at never match a time filter (§4.2).
    const nulls = truth.code_artifacts.filter((x) => x.updated_at === null).map((x) => x.id);
    expect(nulls.length).toBeGreaterThan(0);
    const filtered = ids(
      await walkPages(api, `${V1}/apps/code/artifacts?limit=100&updated_at.gte=2000-01-01T00:00:00Z`),
    );
    expect(filtered.sort()).toEqual(
      truth.code_artifacts
        .filter((x) => x.updated_at !== null)
        .map((x) => x.id)
        .sort(),
    );
  });

  it('walks sessions with page tokens and no has_more', async () => {
    const local = await walkPages(api, `${V1}/apps/sessions/local?limit=2`);
    expect(local.every((p) => !('has_more' in p))).toBe(true);
    expect(ids(local).sort()).toEqual(truth.sessions.local.map((s) => s.id).sort());
    const created = local.flatMap((p) => p.data.map((s: any) => s.created_at));
    expect([...created].sort().reverse()).toEqual(created);
    for (const s of truth.sessions.local) {
      const pages = await walkPages(api, `${V1}/apps/sessions/local/${s.id}/messages?limit=4`);
      expect(pages.flatMap((p) => p.data.map((m: any) => m.id))).toEqual(s.message_ids);
      expect(pages[0].session.user.email_address).toBeNull();
    }
    const remote = await walkPages(api, `${V1}/apps/sessions/remote?limit=1`);
    // The listing also shows sessions still pending, which have no transcript (truth leaves them out).
    const started = remote.flatMap((p) => p.data).filter((s: any) => s.status !== 'pending');
    expect(started.map((s: any) => s.id).sort()).toEqual(truth.sessions.remote.map((s) => s.id).sort());
    for (const s of truth.sessions.remote) {
      const pages = await walkPages(api, `${V1}/apps/sessions/remote/${s.id}/messages?limit=1000`);
      expect(pages.flatMap((p) => p.data.map((m: any) => m.id))).toEqual(s.message_ids);
    }
    const e = await errorOf(await api.get(`${V1}/apps/sessions/local?created_at.gte=2025-01-01T00:00:00`));
    expect(e.message).toBe('created_at.gte: Input should have timezone info');
    const r = await errorOf(
      await api.get(
        `${V1}/apps/sessions/local?created_at.gte=2025-02-01T00:00:00Z&created_at.lt=2025-01-01T00:00:00Z`,
      ),
    );
    expect(r.message).toBe('created_at.lt must be strictly after created_at.gte.');
  });

  it('expires local transcript cursors 24 h after the walk started', async () => {
    let t = Date.UTC(2026, 10, 1);
    const clocked = await openApi({ seed: 7, now: () => t });
    try {
      const s = truth.sessions.local.find((x) => x.message_ids.length > 2)!;
      const p1 = await clocked.json(`${V1}/apps/sessions/local/${s.id}/messages?limit=1`);
      t += 23 * 3_600_000;
      const p2 = await clocked.json(
        `${V1}/apps/sessions/local/${s.id}/messages?limit=1&page=${encodeURIComponent(p1.next_page)}`,
      );
      t += 2 * 3_600_000;
      const e = await errorOf(
        await clocked.get(
          `${V1}/apps/sessions/local/${s.id}/messages?limit=1&page=${encodeURIComponent(p2.next_page)}`,
        ),
      );
      expect([e.status, e.message]).toEqual([
        400,
        'The page cursor has expired. Restart the walk without a page parameter; results will reflect the current retention boundary.',
      ]);
      const wrongOrder = await errorOf(
        await clocked.get(
          `${V1}/apps/sessions/local/${s.id}/messages?order=desc&page=${encodeURIComponent(p1.next_page)}`,
        ),
      );
      expect(wrongOrder.message).toBe('The page parameter is not a valid cursor for this request.');
    } finally {
      await clocked.sb.close();
    }
  });
});

describe('sandbox multi-file code artifacts (§3.15 newest)', () => {
  it('answers 422 multi_file_unavailable without multi_file_format=zip, and a readable ZIP with it', async () => {
    const api = await openApi({ seed: 7 });
    try {
      const truth = await api.truth();
      const listed = (await walkPages(api, `${V1}/apps/code/artifacts?limit=100`)).flatMap((p) => p.data);
      const doc = listed.find((a: any) => a.artifact_type === 'claude_docs');
      expect(doc).toBeDefined();
      const e = await api.get(`${V1}/apps/code/artifacts/${doc.id}/content`);
      expect(e.status).toBe(422);
      expect(((await e.json()) as any).error.details).toEqual({ error_code: 'multi_file_unavailable' });
      const v = doc.versions[0].id;
      const res = await api.get(`${V1}/apps/code/artifacts/${doc.id}/versions/${v}?multi_file_format=zip`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/zip');
      expect(res.headers.get('content-md5')).toBeNull();
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename*=utf-8''${doc.id}-${v}.zip`);
      const bytes = Buffer.from(await res.arrayBuffer());
      const t = truth.code_artifacts.find((a) => a.id === doc.id)!.versions.find((x) => x.id === v)!;
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(t.sha256);
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.fromBuffer(bytes, { lazyEntries: false }, (err, z) => (err ? reject(err) : resolve(z))),
      );
      const names: string[] = [];
      await new Promise<void>((resolve) => {
        zip.on('entry', (entry: yauzl.Entry) => names.push(entry.fileName));
        zip.on('end', () => resolve());
      });
      expect(names.at(-1)).toBe(`${doc.id}-${v}/files.json`);
      expect(names.slice(0, -1).every((n) => n.startsWith(`${doc.id}-${v}/files/`))).toBe(true);
    } finally {
      await api.sb.close();
    }
  });
});
