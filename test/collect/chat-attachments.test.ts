import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createComplianceClient, type ComplianceClient, type FileRef } from '../../src/api/index.js';
import { rawArrayItems } from '../../src/api/raw-json.js';
import {
  fetchFile,
  fetchGeneratedFile,
  type FileReference,
} from '../../src/collect/kinds/chat-attachments.js';
import type { PassContext } from '../../src/collect/context.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { currentRecords, openStore, type StagingStore, type StoredRecord } from '../../src/store/index.js';
import { harness, type Harness } from '../run-job/helpers.js';
import { countingProgress, firstPass } from './context-fixture.js';

const META = '/v1/compliance/apps/chats/files/{claude_file_id}';
const CONTENT = '/v1/compliance/apps/chats/files/{claude_file_id}/content';
const GEN_META = '/v1/compliance/apps/chats/generated-files/{claude_gen_file_id}';

let h: Harness;
let store: StagingStore;
let client: ComplianceClient;
beforeEach(async () => {
  h = await harness({ include: ['chats', 'files', 'generated_files'] });
  const { spec, sha256 } = await loadSpecFile(h.specPath, { env: h.env });
  store = await openStore({ stateDir: `${h.dir}/state`, jobName: spec.name, specSha256: sha256 });
  client = createComplianceClient({
    baseUrl: h.sandbox.baseUrl,
    apiKey: h.env['TEST_COMPLIANCE_KEY']!,
    requestsPerMinute: 60_000,
  });
});
afterEach(async () => {
  await store.close();
  await client.close();
  await h.close();
});

async function context(): Promise<PassContext> {
  const { spec } = await loadSpecFile(h.specPath, { env: h.env });
  return firstPass({
    store,
    client,
    spec,
    cut: new Date().toISOString(),
    concurrency: 4,
    readAhead: 8,
    signal: undefined,
    progress: countingProgress(),
  });
}

/** Real message entries from the sandbox, with their exact JSON text. */
async function entries(field: 'files' | 'generated_files', want: number): Promise<FileReference[]> {
  const found: FileReference[] = [];
  for await (const page of client.listChats({ limit: 1000 })) {
    for (const chat of page.items) {
      for await (const mp of client.chatMessagePages(chat.id, { limit: 1000 })) {
        mp.items.forEach((m, i) => {
          const refs = m[field] ?? [];
          const raws = rawArrayItems(mp.rawItems[i]!, field) ?? [];
          refs.forEach((record, j) => {
            const complete = typeof record.md5 === 'string' && typeof record.size_bytes === 'number';
            if (complete && !found.some((f) => f.record.id === record.id))
              found.push({ record, raw: raws[j]! });
          });
        });
      }
      if (found.length >= want) return found;
    }
  }
  return found;
}

const calls = async (route: string): Promise<number> => {
  const stats = await h.stats();
  return Object.values(stats.byRoute[route] ?? {}).reduce((s, n) => s + n, 0);
};

async function stored(kind: string, id: string): Promise<StoredRecord | undefined> {
  for await (const r of currentRecords(store)) if (r.kind === kind && r.id === id) return r;
  return undefined;
}

describe('files named by a message entry with md5 and size', () => {
  it('are downloaded without a metadata call, once however many callers share them', async () => {
    const [ref] = await entries('files', 1);
    expect(ref).toBeDefined();
    const ctx = await context();
    const before = { meta: await calls(META), content: await calls(CONTENT) };
    const hint = { filename: ref!.record.filename, custodian: null, parent: 'chat', ref: ref! };
    await Promise.all([fetchFile(ctx, ref!.record.id, hint), fetchFile(ctx, ref!.record.id, hint)]);
    expect(await calls(META)).toBe(before.meta);
    expect(await calls(CONTENT)).toBe(before.content + 1);
    expect(store.exceptions()).toEqual([]);
    const rec = (await stored('file', ref!.record.id))!;
    const content = rec.files.find((f) => !f.path.endsWith('/metadata.json'))!;
    const meta = rec.files.find((f) => f.path.endsWith('/metadata.json'))!;
    expect(content.size).toBe((ref!.record as FileRef).size_bytes);
    // The archive keeps the API's record of the file: the entry, byte for byte.
    const text = await readFile(store.blobs.pathOf(meta.sha256), 'utf8');
    expect(text).toBe(`{"source":"listing_entry","entry":${ref!.raw}}`);
  });

  it('generated files too (no generated-file metadata call)', async () => {
    const gens = (await entries('generated_files', 3)).filter((g) =>
      g.record.id.startsWith('claude_gen_file_'),
    );
    expect(gens.length).toBeGreaterThan(0);
    const ctx = await context();
    const before = await calls(GEN_META);
    for (const g of gens) await fetchGeneratedFile(ctx, g.record, null, 'chat', g);
    expect(await calls(GEN_META)).toBe(before);
    expect(store.exceptions()).toEqual([]);
    for (const g of gens) expect((await stored('generated_file', g.record.id))?.files).toHaveLength(2);
  });
});

describe('entries without md5 or size (old uploads, retried gaps)', () => {
  it('ask the metadata endpoint, whose record becomes metadata.json', async () => {
    const [ref] = await entries('files', 1);
    const old: FileReference = { record: { ...(ref!.record as FileRef), size_bytes: null }, raw: ref!.raw };
    const ctx = await context();
    const before = await calls(META);
    await fetchFile(ctx, old.record.id, { parent: 'chat', ref: old });
    expect(await calls(META)).toBe(before + 1);
    const rec = (await stored('file', old.record.id))!;
    const meta = rec.files.find((f) => f.path.endsWith('/metadata.json'))!;
    const record = JSON.parse(await readFile(store.blobs.pathOf(meta.sha256), 'utf8')) as {
      id: string;
      message_ids: string[];
    };
    expect(record.id).toBe(old.record.id);
    expect(Array.isArray(record.message_ids)).toBe(true);
  });

  it('an entry md5/size the served bytes disagree with: the served bytes are kept and named as a copy', async () => {
    const [ref] = await entries('files', 1);
    const wrong: FileReference = {
      record: { ...(ref!.record as FileRef), md5: '0'.repeat(32), size_bytes: 1 },
      raw: ref!.raw,
    };
    const ctx = await context();
    await fetchFile(ctx, wrong.record.id, { parent: 'chat', ref: wrong });
    // Content-MD5 vouches for the served bytes (§3.10: the header wins): stored as served, not
    // what the entry claimed...
    const rec = await stored('file', wrong.record.id);
    const content = rec!.files.find((f) => !f.path.endsWith('/metadata.json'))!;
    expect(content.md5).not.toBe('0'.repeat(32));
    expect(content.size).toBe((ref!.record as FileRef).size_bytes);
    // ...and named, so no reviewer takes the copy for the original (§3.10: it may be gone).
    const rows = store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable, e.parent]);
    expect(rows).toEqual([['file', wrong.record.id, 'served_copy_differs', false, 'chat']]);
    const detail = store.exceptions()[0]!.detail;
    expect(detail).toContain(`listed size_bytes 1 md5 ${'0'.repeat(32)}`);
    expect(detail).toContain(`served ${content.size} bytes md5 ${content.md5} sha256 ${content.sha256}`);
  });
});
