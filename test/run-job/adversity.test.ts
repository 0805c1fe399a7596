import { afterEach, describe, expect, it } from 'vitest';
import { runJob } from '../../src/run-job.js';
import { currentRecords } from '../../src/store/index.js';
import { startSandbox, type SandboxStats } from '@compliance-export/sandbox';
import { fastClock, harness, type Harness, openJobStore as open } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  h = undefined;
});

describe('under faults', () => {
  it('names every permanent failure in the exceptions and misses nothing else', async () => {
    h = await harness({
      scenario: {
        faults: {
          transientRate: 0.05,
          permanentFailures: 2,
          badContentMd5: 1,
          inFlightVersions: 2,
          inFlightTimes: 2,
        },
      },
    });
    const result = await runJob({
      specPath: h.specPath,
      env: h.env,
      sleep: async () => undefined,
      progress: 'off',
      stopAfter: 'quiesce',
      client: { clock: fastClock },
    });
    expect(result.exitCode).toBe(3);
    const faults = (await (await fetch(`${h.sandbox.baseUrl}/_sandbox/faults`)).json()) as {
      permanent_failures: string[];
      bad_content_md5: string[];
    };
    const store = await open(h);
    const gaps = store
      .exceptions()
      .map((e) => [e.kind, e.id, e.reason])
      .sort();
    expect(gaps).toEqual(
      [
        ...faults.permanent_failures.map((id) => ['file', id, 'permanent_server_error']),
        ...faults.bad_content_md5.map((id) => ['file', id, 'checksum_mismatch']),
      ].sort(),
    );
    const truth = await h.truth(result.asOfCut!);
    const held = new Set<string>();
    for await (const r of currentRecords(store)) held.add(`${r.kind}\t${r.id}`);
    const missing = (kind: string, ids: string[]) => ids.filter((id) => !held.has(`${kind}\t${id}`));
    const failed = new Set([...faults.permanent_failures, ...faults.bad_content_md5]);
    expect(
      missing(
        'file',
        truth.files.map((f) => f.id),
      ).sort(),
    ).toEqual([...failed].sort());
    expect(
      missing(
        'chat',
        truth.chats.map((c) => c.id),
      ),
    ).toEqual([]);
    expect(
      missing(
        'generated_file',
        truth.generated_files.map((f) => f.id),
      ),
    ).toEqual([]);
    expect(
      missing(
        'chat_artifact',
        truth.chat_artifact_versions.map((v) => v.id),
      ),
    ).toEqual([]);
    expect(
      missing(
        'project_document',
        truth.project_documents.map((d) => d.id),
      ),
    ).toEqual([]);
    expect(
      missing(
        'code_artifact_version',
        truth.code_artifacts.flatMap((a) => a.versions.map((v) => `${a.id}/${v.id}`)),
      ),
    ).toEqual([]);
    expect(missing('activity', truth.activity_ids)).toEqual([]);
    await store.close();
  });
});

describe('with live mutations', () => {
  it('captures items published behind the cursor and chats changed during the run as drift', async () => {
    h = await harness({ include: ['chats', 'code_artifacts'] });
    const sandbox = h.sandbox;
    const mutate = async (kind: string) =>
      (await (await fetch(`${sandbox.baseUrl}/_sandbox/mutate?kind=${kind}`, { method: 'POST' })).json()) as {
        kind: string;
        id: string;
        change: string;
        parent_id?: string;
      }[];
    const published: { kind: string; id: string; change: string; parent_id?: string }[] = [];
    let sleeps = 0;
    const result = await runJob({
      specPath: h.specPath,
      env: h.env,
      progress: 'off',
      stopAfter: 'quiesce',
      // Between pass 1 and pass 2 the tenant keeps changing: a code artifact whose id sorts behind
      // every cursor, and a new message in an existing chat.
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 1)
          published.push(
            ...(await mutate('new_code_artifact_behind')),
            ...(await mutate('new_message')),
            ...(await mutate('soft_delete_chat')),
          );
      },
    });
    const behind = published.find((c) => c.kind === 'code_artifact' && c.change === 'created')!;
    const bumped =
      published.find((c) => c.kind === 'message')?.parent_id ??
      published.find((c) => c.kind === 'chat' && c.change === 'updated')!.id;
    expect(behind.id < 'cart_1').toBe(true);
    expect(result.quiescence).toEqual({ passes: 2, settled: true });
    const store = await open(h);
    const drift = new Map(store.drift().map((d) => [`${d.kind}\t${d.id}`, d]));
    expect(drift.get(`code_artifact\t${behind.id}`)?.change).toBe('created_after_cut');
    const chatDrift = drift.get(`chat\t${bumped}`)!;
    expect(chatDrift.change).toBe('updated_after_cut');
    expect(chatDrift.beforeSha256).not.toBeNull();
    expect(chatDrift.afterSha256).toBe(store.status('chat', bumped).hash);
    expect(chatDrift.beforeSha256).not.toBe(chatDrift.afterSha256);
    // Soft-deleted after the cut: the captured state (with content) stays; the deletion is drift.
    const deleted = published.find((c) => c.change === 'soft_deleted')!.id;
    expect(drift.get(`chat\t${deleted}`)?.change).toBe('deleted_after_cut');
    expect(drift.get(`chat\t${deleted}`)?.beforeSha256).toBe(store.status('chat', deleted).hash);
    // Left out of the archive (created after the cut), and everything that existed at the cut is held.
    expect(store.idsOf('code_artifact')).not.toContain(behind.id);
    const truth = await h.truth(result.asOfCut!);
    expect(store.idsOf('chat').sort()).toEqual(truth.chats.map((c) => c.id).sort());
    expect(store.idsOf('code_artifact').sort()).toEqual(truth.code_artifacts.map((a) => a.id).sort());
    await store.close();
  });
});

describe('a rerun of a job with gaps', () => {
  it('retries the gaps a rerun may help with, and clears them when the item comes back', async () => {
    h = await harness({ include: ['chats', 'files'], scenario: { faults: { badContentMd5: 1 } } });
    const opts = {
      specPath: h.specPath,
      env: h.env,
      sleep: async () => undefined,
      progress: 'off' as const,
      stopAfter: 'quiesce' as const,
      client: { clock: fastClock },
    };
    const first = await runJob(opts);
    expect(first.exitCode).toBe(3);
    const faults = (await (await fetch(`${h.sandbox.baseUrl}/_sandbox/faults`)).json()) as {
      bad_content_md5: string[];
    };
    const bad = faults.bad_content_md5[0]!;
    let store = await open(h);
    expect(store.exceptions().map((e) => [e.id, e.reason, e.retryable])).toEqual([
      [bad, 'checksum_mismatch', true],
    ]);
    await store.close();

    // The same tenant, healed: the same data on the same address, without the fault.
    const port = Number(new URL(h.sandbox.baseUrl).port);
    await h.sandbox.close();
    const healed = await startSandbox({ port, seed: 7, profile: 'small', rpm: 0 });
    try {
      const second = await runJob(opts);
      expect([second.exitCode, second.exceptions]).toEqual([0, 0]);
      store = await open(h);
      expect(store.status('file', bad).state).not.toBe('absent');
      expect(store.exceptions()).toEqual([]);
      await store.close();
      const stats = (await (await fetch(`${healed.baseUrl}/_sandbox/stats`)).json()) as SandboxStats;
      // Only the gap was fetched again: one metadata and one content request for files.
      expect(stats.byRoute['/v1/compliance/apps/chats/files/{claude_file_id}/content']).toEqual({ '200': 1 });
      expect(stats.byRoute['/v1/compliance/apps/chats/{claude_chat_id}/messages']).toBeUndefined();
    } finally {
      await healed.close();
    }
  });
});

describe('a tenant that never goes quiet', () => {
  it('stops after max_passes and names what still changed as unresolved drift', async () => {
    h = await harness({ include: ['chats'] });
    const base = h.sandbox.baseUrl;
    const bumped: string[] = [];
    const result = await runJob({
      specPath: h.specPath,
      env: h.env,
      progress: 'off',
      stopAfter: 'quiesce',
      sleep: async () => {
        const changes = (await (
          await fetch(`${base}/_sandbox/mutate?kind=new_message`, { method: 'POST' })
        ).json()) as {
          kind: string;
          id: string;
          parent_id?: string;
        }[];
        bumped.push(changes.find((c) => c.kind === 'message')?.parent_id ?? changes[0]!.id);
      },
    });
    expect(result.quiescence).toEqual({ passes: 2, settled: false });
    expect(result.exitCode).toBe(3);
    const store = await open(h);
    // The chat bumped before the last pass changed in it; it is archived at its latest state.
    expect(store.exceptions().map((e) => [e.kind, e.id, e.reason, e.retryable])).toEqual([
      ['chat', bumped[1], 'unresolved_drift', true],
    ]);
    expect(store.status('chat', bumped[1]!).state).toBe('stored');
    await store.close();
  });
});
