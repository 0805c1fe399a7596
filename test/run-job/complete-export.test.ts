import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type RunJobResult } from '../../src/run-job.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { currentRecords, openStore, type StoredRecord, type StagingStore } from '../../src/store/index.js';
import type { SandboxTruth } from '../../src/sandbox/index.js';
import { harness, instantSleep, type Harness } from './helpers.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function blobText(store: StagingStore, sha: string): Promise<string> {
  return readFile(store.blobs.pathOf(sha), 'utf8');
}

const contentFile = (r: StoredRecord) => r.files.find((f) => !f.path.endsWith('/metadata.json'))!;

describe('a complete export of the small sandbox', () => {
  let h: Harness;
  let result: RunJobResult;
  let truth: SandboxTruth;
  let records: Map<string, StoredRecord>;
  let store: StagingStore;

  beforeAll(async () => {
    h = await harness();
    result = await runJob({
      specPath: h.specPath,
      env: h.env,
      sleep: instantSleep,
      progress: 'off',
      stopAfter: 'quiesce',
    });
    truth = await h.truth(result.asOfCut!);
    const { sha256: specSha } = await loadSpecFile(h.specPath, { env: h.env });
    store = await openStore({ stateDir: `${h.dir}/state`, jobName: 'test-job', specSha256: specSha });
    records = new Map();
    for await (const r of currentRecords(store)) records.set(`${r.kind}\t${r.id}`, r);
  });
  afterAll(async () => {
    await store?.close();
    await h?.close();
  });

  const ids = (kind: string) =>
    [...records.values()]
      .filter((r) => r.kind === kind)
      .map((r) => r.id)
      .sort();

  it('finishes complete, settled, with no gaps', () => {
    expect(result.exitCode).toBe(0);
    expect(result.status).toBe('complete');
    expect(result.exceptions).toBe(0);
    expect(result.quiescence).toEqual({ passes: 1, settled: true });
  });

  it('holds every chat with exactly its messages; soft-deleted chats kept with deleted_at', async () => {
    expect(ids('chat')).toEqual(truth.chats.map((c) => c.id).sort());
    const deleted = truth.chats.filter((c) => c.deleted);
    expect(deleted.length).toBeGreaterThan(0);
    for (const c of truth.chats) {
      const rec = records.get(`chat\t${c.id}`)!;
      expect(rec.files[0]!.path).toBe(`chats/${c.id}.json`);
      const doc = JSON.parse(await blobText(store, rec.files[0]!.sha256));
      expect(doc.chat.id).toBe(c.id);
      expect(doc.messages.map((m: { id: string }) => m.id)).toEqual(c.message_ids);
      expect(rec.deletedAt !== null).toBe(c.deleted);
      expect(doc.chat.deleted_at !== null).toBe(c.deleted);
    }
  });

  it('holds every file, generated file, artifact version, document and code version with the served hash', async () => {
    for (const [kind, list] of [
      ['file', truth.files],
      ['generated_file', truth.generated_files],
      ['project_document', truth.project_documents],
    ] as const) {
      expect(ids(kind)).toEqual(list.map((f: { id: string }) => f.id).sort());
      for (const f of list as { id: string; sha256: string; size: number }[]) {
        const file = contentFile(records.get(`${kind}\t${f.id}`)!);
        expect([f.id, file.sha256, file.size]).toEqual([f.id, f.sha256, f.size]);
      }
    }
    expect(ids('chat_artifact')).toEqual(truth.chat_artifact_versions.map((v) => v.id).sort());
    for (const v of truth.chat_artifact_versions) {
      const doc = JSON.parse(await blobText(store, records.get(`chat_artifact\t${v.id}`)!.files[0]!.sha256));
      expect(sha256(Buffer.from(doc.content.content, 'utf8'))).toBe(v.sha256);
    }
    const versions = truth.code_artifacts.flatMap((a) =>
      a.versions.map((v) => ({ ...v, key: `${a.id}/${v.id}` })),
    );
    expect(ids('code_artifact')).toEqual(truth.code_artifacts.map((a) => a.id).sort());
    expect(ids('code_artifact_version')).toEqual(versions.map((v) => v.key).sort());
    for (const v of versions)
      expect(records.get(`code_artifact_version\t${v.key}`)!.files[0]!.sha256).toBe(v.sha256);
  });

  it('holds the directory, projects and activities as of the cut', () => {
    expect(ids('organization')).toEqual([...truth.organizations].sort());
    expect(ids('user')).toEqual(
      truth.users.flatMap((o) => o.user_ids.map((u: string) => `${u}@${o.organization_uuid}`)).sort(),
    );
    expect(ids('role')).toEqual(
      truth.roles.flatMap((o) => o.role_ids.map((r: string) => `${r}@${o.organization_uuid}`)).sort(),
    );
    expect(ids('group')).toEqual(truth.groups.map((g) => g.id).sort());
    expect(ids('group_member')).toEqual(
      truth.groups.flatMap((g) => g.member_user_ids.map((u: string) => `${g.id}/${u}`)).sort(),
    );
    expect(ids('project')).toEqual(truth.projects.map((p) => p.id).sort());
    expect(ids('activity')).toEqual([...truth.activity_ids].sort());
  });

  it('fetches every shared file once', async () => {
    const stats = await h.stats();
    const content = stats.byRoute['/v1/compliance/apps/chats/files/{claude_file_id}/content'] ?? {};
    const fileIds = new Set(truth.files.map((f) => f.id));
    const refs =
      truth.chats.flatMap((c) => c.file_ids).length + truth.projects.flatMap((p) => p.file_ids).length;
    expect(refs).toBeGreaterThan(fileIds.size); // the data does share files
    expect(content['200']).toBe(fileIds.size);
    expect(
      Object.keys(stats.byRoute).every((r) => Object.keys(stats.byRoute[r]!).every((s) => s === '200')),
    ).toBe(true);
  });
});
