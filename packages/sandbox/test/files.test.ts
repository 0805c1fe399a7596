/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxTruth } from '../src/truth.js';
import { HOSTILE_NAMES } from '../src/names.js';
import { V1, errorOf, openApi, type Api } from './helpers.js';

function decodeFilenameStar(header: string | null): string {
  const m = /^attachment; filename\*=utf-8''(.*)$/.exec(header ?? '');
  if (m === null) throw new Error(`bad content-disposition: ${header}`);
  return decodeURIComponent(m[1]!);
}

const md5b64 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sandbox files and downloads (§3.10–3.14)', () => {
  let api: Api;
  let truth: SandboxTruth;
  beforeAll(async () => {
    api = await openApi({ seed: 11 });
    truth = await api.truth();
  });
  afterAll(() => api.sb.close());

  it('serves every file chunked with Content-MD5, filename* and bytes matching metadata and truth', async () => {
    expect(truth.files.length).toBeGreaterThan(30);
    let big = 0;
    for (const f of truth.files) {
      const meta = await api.json(`${V1}/apps/chats/files/${f.id}`);
      const res = await request(`${api.sb.baseUrl}${V1}/apps/chats/files/${f.id}/content`, {
        headers: { 'x-api-key': api.sb.keys.full },
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      expect(res.statusCode).toBe(200);
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers['content-md5']).toBe(md5b64(bytes));
      expect(decodeFilenameStar(res.headers['content-disposition'] as string)).toBe(meta.filename);
      expect(meta.filename).toBe(f.filename);
      expect([meta.size_bytes, meta.md5]).toEqual([
        bytes.length,
        createHash('md5').update(bytes).digest('hex'),
      ]);
      expect([f.size, f.sha256]).toEqual([bytes.length, sha256(bytes)]);
      if (bytes.length > 2_000_000) big++;
    }
    expect(big).toBeGreaterThanOrEqual(2);
  });

  it('carries every hostile name, including NFC/NFD twins and same-name files', async () => {
    const names = truth.files.map((f) => f.filename);
    for (const n of HOSTILE_NAMES) expect(names).toContain(n);
    const twins = truth.files.filter((f) => f.filename === 'report.pdf');
    expect(twins.length).toBeGreaterThanOrEqual(2);
    expect(new Set(twins.map((f) => f.sha256)).size).toBe(twins.length);
    expect(names).toContain('caf\u00e9.txt');
    expect(names).toContain('cafe\u0301.txt');
    expect(truth.files.some((f) => f.size === 0)).toBe(true);
  });

  it('shares some files across messages and chats, and lists them on each message', async () => {
    let shared = 0;
    for (const f of truth.files.filter((x) => x.kind === 'upload')) {
      const meta = await api.json(`${V1}/apps/chats/files/${f.id}`);
      if (meta.claude_chat_ids.length < 2) continue;
      shared++;
      for (const chatId of meta.claude_chat_ids) {
        const body = await api.json(`${V1}/apps/chats/${chatId}/messages`);
        const holders = body.chat_messages.filter((m: any) =>
          (m.files ?? []).some((r: any) => r.id === f.id),
        );
        expect(holders.length).toBeGreaterThan(0);
        for (const h of holders) expect(meta.message_ids).toContain(h.id);
      }
    }
    expect(shared).toBeGreaterThan(0);
  });

  it('serves generated files by prefix: claude_gen_file_ via generated-files, claude_file_ via files', async () => {
    expect(truth.generated_files.length).toBeGreaterThan(0);
    for (const g of truth.generated_files) {
      const meta = await api.json(`${V1}/apps/chats/generated-files/${g.id}`);
      expect(meta.claude_chat_id).toBe(g.claude_chat_id);
      const res = await api.get(`${V1}/apps/chats/generated-files/${g.id}/content`);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(res.headers.get('content-md5')).toBe(md5b64(bytes));
      expect(sha256(bytes)).toBe(g.sha256);
    }
    expect(truth.files.some((f) => f.kind === 'generated')).toBe(true);
    const e = await errorOf(await api.get(`${V1}/apps/chats/generated-files/claude_gen_file_nope/content`));
    expect(e).toEqual({
      status: 404,
      type: 'not_found_error',
      message: "Generated file content not found: 'claude_gen_file_nope'",
    });
  });

  it('serves chat-artifact content as JSON whose content matches md5/size_bytes', async () => {
    expect(truth.chat_artifact_versions.length).toBeGreaterThan(3);
    for (const av of truth.chat_artifact_versions) {
      const meta = await api.json(`${V1}/apps/artifacts/${av.id}`);
      const body = await api.json(`${V1}/apps/artifacts/${av.id}/content`);
      const bytes = Buffer.from(body.content, 'utf8');
      expect([meta.id, meta.version_id, meta.size_bytes, meta.md5]).toEqual([
        av.artifact_id,
        av.id,
        bytes.length,
        createHash('md5').update(bytes).digest('hex'),
      ]);
      expect([body.title, body.artifact_type]).toEqual([meta.title, meta.artifact_type]);
      expect(sha256(bytes)).toBe(av.sha256);
    }
    expect(
      (await errorOf(await api.get(`${V1}/apps/artifacts/claude_artifact_version_x/content`))).message,
    ).toBe("Artifact version not found: 'claude_artifact_version_x'");
  });

  it('serves project documents and metadata consistently, and project files through /files', async () => {
    for (const d of truth.project_documents) {
      const doc = await api.json(`${V1}/apps/projects/documents/${d.id}`);
      const meta = await api.json(`${V1}/apps/projects/documents/${d.id}/metadata`);
      const bytes = Buffer.from(doc.content, 'utf8');
      expect([meta.size_bytes, meta.md5, meta.claude_project_id]).toEqual([
        bytes.length,
        createHash('md5').update(bytes).digest('hex'),
        d.project_id,
      ]);
      expect(sha256(bytes)).toBe(d.sha256);
    }
    const pf = truth.files.find((f) => f.kind === 'project_file')!;
    const meta = await api.json(`${V1}/apps/chats/files/${pf.id}`);
    expect([meta.message_ids, meta.claude_chat_ids]).toEqual([[], []]);
  });

  it('answers a missing file with the underlying UUID in the message', async () => {
    const id = truth.files[0]!.id;
    const fake = `${id.slice(0, -3)}zzz`;
    const e = await errorOf(await api.get(`${V1}/apps/chats/files/${fake}`));
    expect(e.status).toBe(404);
    expect(e.message).toMatch(
      /^File not found: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('deletes a file, a project document, and refuses a project with chats (409)', async () => {
    const f = truth.files.find((x) => x.kind === 'upload')!;
    expect(await (await api.del(`${V1}/apps/chats/files/${f.id}`, api.sb.keys.deleter)).json()).toEqual({
      id: f.id,
      type: 'claude_file_deleted',
    });
    expect((await api.get(`${V1}/apps/chats/files/${f.id}/content`)).status).toBe(404);
    const d = truth.project_documents[0]!;
    expect((await api.del(`${V1}/apps/projects/documents/${d.id}`, api.sb.keys.deleter)).status).toBe(200);
    expect(
      await errorOf(await api.del(`${V1}/apps/projects/documents/${d.id}`, api.sb.keys.deleter)),
    ).toEqual({
      status: 404,
      type: 'not_found_error',
      message: 'No project document found with the provided id, or it has already been deleted.',
    });
    const withChats = truth.chats.find((c) => c.project_id !== null)!.project_id!;
    const e = await errorOf(await api.del(`${V1}/apps/projects/${withChats}`, api.sb.keys.deleter));
    expect([e.status, e.type]).toEqual([409, 'invalid_request_error']);
    expect(e.message).toContain(withChats);
    const deleted = (await api.json(`${V1}/activities?limit=10&activity_types[]=claude_file_deleted`)).data;
    expect(deleted.map((a: any) => a.claude_file_id)).toContain(f.id);
  });
});
