/**
 * Completeness against the documented consistency model (compliance-api.md §4.2, §3.10): what an
 * eventually consistent index or a processed copy does to an export, end to end over loopback.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runJob } from '../../src/run-job.js';
import { currentRecords } from '../../src/store/index.js';
import { fastClock, harness, type Harness, openJobStore as open } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  h = undefined;
});

interface Change {
  kind: string;
  id: string;
  change: string;
  parent_id?: string;
}

describe('re-enumeration', () => {
  it('refetches a chat whose new message is indexed later than the overlap', async () => {
    // The updated_at index lags writes by an hour, far beyond the spec's 10 s overlap: an
    // updated_at window never sees the change during the run.
    h = await harness({
      include: ['chats', 'files'],
      scenario: { consistency: { updatedAtLagMs: 3_600_000 } },
    });
    const base = h.sandbox.baseUrl;
    const published: Change[] = [];
    let sleeps = 0;
    const result = await runJob({
      specPath: h.specPath,
      env: h.env,
      progress: 'off',
      stopAfter: 'quiesce',
      client: { clock: fastClock },
      sleep: async () => {
        sleeps += 1;
        // After pass 1 has captured every chat: a new message carrying a new upload.
        if (sleeps === 1) {
          const res = await fetch(`${base}/_sandbox/mutate?kind=new_file`, { method: 'POST' });
          published.push(...((await res.json()) as Change[]));
        }
      },
    });
    const upload = published.find((c) => c.kind === 'file' && c.change === 'created')!;
    const chatId = upload.parent_id!;
    expect(result.exitCode).toBe(0);
    const store = await open(h);
    // The chat is held at its new state and named as drift; the upload it gained after the cut is
    // seen and named as drift too (left out of data/, as everything created after the cut is).
    expect(store.status('file', upload.id).state).not.toBe('absent');
    expect(store.driftOf('file', upload.id)?.change).toBe('created_after_cut');
    const drift = store.driftOf('chat', chatId)!;
    expect(drift.change).toBe('updated_after_cut');
    expect(drift.afterSha256).toBe(store.status('chat', chatId).hash);
    let chatJson = '';
    for await (const r of currentRecords(store)) {
      if (r.kind === 'chat' && r.id === chatId) {
        const blob = r.files[0]!;
        chatJson = await readFile(store.blobs.pathOf(blob.sha256), 'utf8');
      }
    }
    expect(chatJson).toContain(upload.id);
    expect(store.exceptions()).toEqual([]);
    await store.close();
    // Listing again in full cost one chats page per pass (pass 1, the pass that saw the change,
    // the pass that settled) plus the preflight probe: not a request per chat.
    const stats = await h.stats();
    expect(stats.byRoute['/v1/compliance/apps/chats']).toEqual({ '200': 4 });
  });
});

describe('a served copy that differs from the listing', () => {
  it('is archived as served and named served_copy_differs with both hashes', async () => {
    h = await harness({ include: ['chats', 'files'], scenario: { faults: { processedCopies: 1 } } });
    const result = await runJob({
      specPath: h.specPath,
      env: h.env,
      progress: 'off',
      sleep: async () => undefined,
      client: { clock: fastClock },
    });
    const faults = (await (await fetch(`${h.sandbox.baseUrl}/_sandbox/faults`)).json()) as {
      processed_copies: string[];
    };
    const [id] = faults.processed_copies;
    expect(id).toMatch(/^claude_file_/);
    // Exit 3: the archive holds a copy, not the original, and says so.
    expect(result.exitCode).toBe(3);
    const store = await open(h);
    expect(store.status('file', id!).state).toBe('stored');
    expect(store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable])).toEqual([
      ['file', id, 'served_copy_differs', false],
    ]);
    const truth = await h.truth(result.asOfCut!);
    const listed = truth.files.find((f) => f.id === id)!;
    const detail = store.exceptions()[0]!.detail;
    expect(detail).toContain(`listed size_bytes ${listed.size} md5 ${listed.md5}`);
    for await (const r of currentRecords(store)) {
      if (r.kind !== 'file' || r.id !== id) continue;
      const content = r.files.find((f) => !f.path.endsWith('/metadata.json'))!;
      expect(content.md5).not.toBe(listed.md5);
      expect(detail).toContain(`sha256 ${content.sha256}`);
    }
    await store.close();
    // The sealed exceptions report names it too.
    expect(result.archive).not.toBeNull();
  });
});
